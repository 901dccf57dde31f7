import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import AdmZip from 'adm-zip'
import { spawnSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { LayerActionError } from '../../src/errors'
import { zipLayer as zipEntries, ZipError, type ZipOptions } from '../../src/assemble/zip'
import { filesUnder } from '../../src/assemble/include'
import { readCentralDirectory, readEntry } from '../../src/zip/reader'
import { captureLog } from '../helpers/log'

const MiB = 1 << 20
let tmp: string

/** A directory's python/ zipped as files from disk (the way `include` files go into the layer). */
async function zipLayer(root: string, out: string, o?: ZipOptions) {
  const entries = await filesUnder(path.join(root, 'python'), '')
  const log = captureLog()
  try {
    return await zipEntries(entries, out, o)
  } finally {
    log.restore()
  }
}
let tree: string
/** python/-relative path → content, following symlinks: what every reader must give back */
let expected: Map<string, Buffer>

function write(file: string, content: string | Buffer, mode = 0o644): void {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, content)
  fs.chmodSync(file, mode)
}

function text(bytes: number, seed: string): string {
  const words: string[] = []
  for (let i = 0, n = 0; n < bytes; i++) {
    words.push(`${seed}_${(i * 7919) % 1013}`)
    n += words[i].length + 1
  }
  return words.join(' ').slice(0, bytes)
}

/** A layer tree with what real layers hold, plus the cases a zip writer gets wrong. */
function makeTree(root: string): void {
  const py = path.join(root, 'python')
  write(path.join(py, 'pkg/__init__.py'), '')
  write(path.join(py, 'pkg/core.py'), text(40_000, 'def'))
  write(path.join(py, 'pkg/big.txt'), text(2 * MiB + 12_345, 'piece')) // several 1 MiB pieces
  write(path.join(py, 'pkg/noise.bin'), randomBytes(MiB + 777)) // several pieces, does not shrink
  write(path.join(py, 'pkg/small-noise.dat'), randomBytes(5000)) // does not shrink
  write(path.join(py, 'pkg/logo.png'), Buffer.from(text(20_000, 'png'))) // would shrink, but .png
  write(path.join(py, 'pkg/_ext.cpython-311-x86_64-linux-gnu.so'), text(30_000, 'elf'), 0o755)
  write(path.join(py, 'bin/tool'), '#!/bin/sh\necho hi\n', 0o755)
  write(path.join(py, 'a-b/x.py'), 'x = 1\n') // '-' sorts before '/': python/a-b/ before python/a/
  write(path.join(py, 'a/x.py'), 'x = 2\n')
  write(path.join(py, 'B/upper.py'), 'upper = True\n') // 'B' (0x42) before 'a' (0x61)
  write(path.join(py, 'ünïcödé/名前.py'), 'name = "名前"\n')
  fs.mkdirSync(path.join(py, 'empty-dir'))
  write(path.join(root, 'outside.txt'), 'not in the zip\n')
  write(path.join(root, 'shared/lib.py'), 'shared = 1\n')
  fs.symlinkSync(path.join(py, 'pkg/core.py'), path.join(py, 'linked.py'))
  fs.symlinkSync(path.join(root, 'shared'), path.join(py, 'shared'))
}

function contents(dir: string, prefix = ''): Map<string, Buffer> {
  const out = new Map<string, Buffer>()
  for (const child of fs.readdirSync(dir)) {
    const full = path.join(dir, child)
    if (fs.statSync(full).isDirectory()) {
      for (const [k, v] of contents(full, `${prefix}${child}/`)) out.set(k, v)
    } else out.set(`${prefix}${child}`, fs.readFileSync(full))
  }
  return out
}

interface Info {
  name: string
  mode: number
  system: number
  date: number[]
  method: number
  extra: string
  flags: number
}

/** The central directory as Python's zipfile reads it, in file order. */
function pythonInfo(zip: string): Info[] {
  const script = [
    'import json, sys, zipfile',
    'z = zipfile.ZipFile(sys.argv[1])',
    'print(json.dumps([dict(name=i.filename, mode=i.external_attr >> 16, system=i.create_system,',
    '  date=list(i.date_time), method=i.compress_type, extra=i.extra.hex(), flags=i.flag_bits)',
    '  for i in z.infolist()]))'
  ].join('\n')
  const r = spawnSync('python3', ['-c', script, zip], { encoding: 'utf8', maxBuffer: 1 << 28 })
  assert.equal(r.status, 0, r.stderr)
  return JSON.parse(r.stdout) as Info[]
}

function run(command: string, args: string[]): string {
  const r = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 1 << 28 })
  assert.equal(r.status, 0, `${command} ${args.join(' ')}: ${r.stdout}${r.stderr}`)
  return r.stdout
}

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'layer-zip-'))
  tree = path.join(tmp, 'tree')
  makeTree(tree)
  expected = contents(path.join(tree, 'python'))
})

after(() => fs.rmSync(tmp, { recursive: true, force: true }))

test('the same tree zipped twice gives the same bytes', async () => {
  const one = await zipLayer(tree, path.join(tmp, 'one.zip'))
  const two = await zipLayer(tree, path.join(tmp, 'two.zip'))
  assert.ok(fs.readFileSync(one.path).equals(fs.readFileSync(two.path)))
  assert.equal(one.sha256, two.sha256)
})

test('a copy with other mtimes and permissions (x bits aside) gives the same bytes', async () => {
  const copy = path.join(tmp, 'copy')
  fs.cpSync(tree, copy, { recursive: true, dereference: false, verbatimSymlinks: false })
  const walk = (dir: string) => {
    for (const child of fs.readdirSync(dir)) {
      const full = path.join(dir, child)
      const st = fs.lstatSync(full)
      if (st.isSymbolicLink()) continue
      if (st.isDirectory()) {
        walk(full)
        fs.chmodSync(full, 0o700)
      } else fs.chmodSync(full, st.mode & 0o111 ? 0o700 : 0o600)
      fs.utimesSync(full, new Date('2031-05-06T07:08:09Z'), new Date('2031-05-06T07:08:09Z'))
    }
  }
  walk(path.join(copy, 'python'))
  const original = await zipLayer(tree, path.join(tmp, 'original.zip'))
  const copied = await zipLayer(copy, path.join(tmp, 'copied.zip'))
  assert.ok(fs.readFileSync(original.path).equals(fs.readFileSync(copied.path)))
})

test('entries: sorted by byte-wise path, all under python/, fixed time, unix modes, no extras', async () => {
  const zip = await zipLayer(tree, path.join(tmp, 'layout.zip'))
  const infos = pythonInfo(zip.path)
  const names = infos.map(i => i.name)
  const sorted = [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
  assert.deepEqual(names, sorted)
  assert.equal(names[0], 'python/')
  assert.ok(names.every(n => n.startsWith('python/')))
  assert.ok(names.indexOf('python/a-b/') < names.indexOf('python/a/'))
  assert.ok(names.indexOf('python/B/') < names.indexOf('python/a-b/'))
  assert.ok(!names.some(n => n.includes('outside.txt')))
  assert.equal(zip.entries, infos.length)
  for (const i of infos) {
    assert.deepEqual(i.date, [1980, 1, 1, 0, 0, 0], i.name)
    assert.equal(i.system, 3, `${i.name}: made by unix`)
    assert.equal(i.extra, '', `${i.name}: no extra fields`)
    const wanted = i.name.endsWith('/')
      ? 0o040755
      : ['python/bin/tool', 'python/pkg/_ext.cpython-311-x86_64-linux-gnu.so'].includes(i.name)
        ? 0o100755
        : 0o100644
    assert.equal(i.mode, wanted, `${i.name}: mode ${i.mode.toString(8)}`)
  }
  const unicode = infos.find(i => i.name === 'python/ünïcödé/名前.py')
  assert.ok(unicode, 'the UTF-8 name reads back as written')
  assert.equal(unicode.flags & 0x800, 0x800)
})

test('reads back with adm-zip, unzip and python -m zipfile, with every byte and the x bit', async () => {
  const zip = await zipLayer(tree, path.join(tmp, 'read.zip'))
  run('unzip', ['-tq', zip.path])
  run('python3', ['-m', 'zipfile', '-t', zip.path])

  const adm = new AdmZip(zip.path)
  const files = adm.getEntries().filter(e => !e.isDirectory)
  assert.deepEqual(
    files.map(e => e.entryName.slice('python/'.length)).sort(),
    [...expected.keys()].sort()
  )
  for (const e of files)
    assert.ok(e.getData().equals(expected.get(e.entryName.slice(7)) as Buffer), e.entryName)

  const out = path.join(tmp, 'unzipped')
  run('unzip', ['-q', zip.path, '-d', out])
  assert.deepEqual(contents(path.join(out, 'python')), expected)
  assert.equal(fs.statSync(path.join(out, 'python/bin/tool')).mode & 0o777, 0o755)
  assert.equal(fs.statSync(path.join(out, 'python/pkg/core.py')).mode & 0o777, 0o644)
  assert.ok(!fs.lstatSync(path.join(out, 'python/linked.py')).isSymbolicLink(), 'symlinks followed')
})

test('already-compressed and incompressible files are stored, the rest deflated', async () => {
  const zip = await zipLayer(tree, path.join(tmp, 'methods.zip'))
  const method = new Map(pythonInfo(zip.path).map(i => [i.name, i.method]))
  assert.equal(method.get('python/pkg/logo.png'), 0, '.png is stored without trying')
  assert.equal(method.get('python/pkg/noise.bin'), 0, 'random data over several pieces')
  assert.equal(method.get('python/pkg/small-noise.dat'), 0, 'random data in one piece')
  assert.equal(method.get('python/pkg/__init__.py'), 0, 'empty')
  assert.equal(method.get('python/pkg/big.txt'), 8)
  assert.equal(method.get('python/pkg/core.py'), 8)
  assert.equal(method.get('python/a/x.py'), 0, 'six bytes do not shrink either')
  const files = [...method].filter(([name]) => !name.endsWith('/'))
  assert.equal(zip.stored, files.filter(([, m]) => m === 0).length)
})

test('sha256 and sizes describe the file written', async () => {
  const zip = await zipLayer(tree, path.join(tmp, 'hash.zip'))
  const bytes = fs.readFileSync(zip.path)
  assert.equal(zip.sha256, createHash('sha256').update(bytes).digest('base64'))
  assert.equal(zip.sha256Hex, createHash('sha256').update(bytes).digest('hex'))
  assert.equal(zip.zipSize, bytes.length)
  assert.equal(
    zip.unzippedSize,
    [...expected.values()].reduce((n, b) => n + b.length, 0)
  )
  assert.ok(zip.zipSize < zip.unzippedSize)
})

test('large files streamed through a spill file give the same bytes as in memory', async () => {
  const memory = await zipLayer(tree, path.join(tmp, 'memory.zip'))
  const spilled = await zipLayer(tree, path.join(tmp, 'spilled.zip'), { largeFileBytes: 1000 })
  assert.ok(fs.readFileSync(memory.path).equals(fs.readFileSync(spilled.path)))
  assert.deepEqual(
    fs.readdirSync(tmp).filter(f => f.includes('.spill')),
    [],
    'no spill file left behind'
  )
})

test('level 0 stores every file; other levels read back the same content', async () => {
  const zero = await zipLayer(tree, path.join(tmp, 'level0.zip'), { level: 0 })
  assert.equal(zero.stored, expected.size)
  const nine = await zipLayer(tree, path.join(tmp, 'level9.zip'), { level: 9 })
  const adm = new AdmZip(nine.path)
  for (const [name, data] of expected) assert.ok(adm.readFile(`python/${name}`)?.equals(data), name)
  await assert.rejects(zipLayer(tree, path.join(tmp, 'bad.zip'), { level: 10 }), ZipError)
})

test('more than 65,535 entries: zip64 end records, read by python zipfile', async () => {
  const big = path.join(tmp, 'many')
  const count = 66_000
  for (let d = 0; d < 66; d++) {
    const dir = path.join(big, 'python', `d${String(d).padStart(2, '0')}`)
    fs.mkdirSync(dir, { recursive: true })
    // hard links to an empty file: creating 66,000 files is slow on some disks, linking is not
    // (one file per directory: ext4 allows 65,000 links to a file)
    const blank = path.join(big, `blank${d}`)
    fs.writeFileSync(blank, '')
    for (let f = d === 0 ? 1 : 0; f < 1000; f++) fs.linkSync(blank, path.join(dir, `f${f}`))
  }
  fs.writeFileSync(path.join(big, 'python', 'd00', 'f0'), 'first')
  const zip = await zipLayer(big, path.join(tmp, 'many.zip'))
  assert.equal(zip.entries, count + 66 + 1)
  const bytes = fs.readFileSync(zip.path)
  assert.notEqual(bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x06, 0x06])), -1, 'zip64 record')
  const script = [
    'import sys, zipfile',
    'z = zipfile.ZipFile(sys.argv[1])',
    'assert z.testzip() is None',
    'print(len(z.infolist()), z.read("python/d00/f0").decode())'
  ].join('\n')
  assert.equal(run('python3', ['-c', script, zip.path]).trim(), `${count + 67} first`)
  // and this action's own reader, which the layer is assembled with, finds them through zip64 too
  const fd = fs.openSync(zip.path, 'r')
  try {
    const central = readCentralDirectory(fd, 'many.zip')
    assert.equal(central.length, count + 67)
    const first = central.find(e => e.name === 'python/d00/f0')
    assert.ok(first)
    assert.equal((await readEntry(fd, first, 'many.zip')).toString(), 'first')
  } finally {
    fs.closeSync(fd)
  }
})

test('a broken symlink or a symlink loop fails, naming the path', async () => {
  const broken = path.join(tmp, 'broken')
  fs.mkdirSync(path.join(broken, 'python'), { recursive: true })
  fs.symlinkSync(path.join(broken, 'nowhere'), path.join(broken, 'python', 'dangling'))
  await assert.rejects(zipLayer(broken, path.join(tmp, 'broken.zip')), (e: unknown) => {
    assert.ok(e instanceof LayerActionError)
    assert.match(e.message, /dangling.*broken symlink/)
    return true
  })

  const loop = path.join(tmp, 'loop')
  fs.mkdirSync(path.join(loop, 'python', 'pkg'), { recursive: true })
  fs.symlinkSync(path.join(loop, 'python'), path.join(loop, 'python', 'pkg', 'back'))
  await assert.rejects(zipLayer(loop, path.join(tmp, 'loop.zip')), /Symlink loop.*back/)
})

test('a file that changes size while it is zipped fails the zip and leaves no zip behind', async () => {
  const t = path.join(tmp, 'changing')
  write(path.join(t, 'python', 'a.py'), 'a')
  write(path.join(t, 'python', 'b.bin'), randomBytes(3 * MiB))
  // the file is read after the listing: its size is checked against the one listed
  const listed = await filesUnder(path.join(t, 'python'), '')
  const zipping = zipEntries(listed, path.join(tmp, 'changing.zip'))
  fs.truncateSync(path.join(t, 'python', 'b.bin'), 10)
  await assert.rejects(zipping, (e: unknown) => {
    assert.ok(e instanceof ZipError)
    assert.match(e.message, /b\.bin changed size while the layer was being zipped/)
    return true
  })
  assert.deepEqual(
    fs.readdirSync(tmp).filter(f => f.startsWith('changing.zip')),
    []
  )
})
