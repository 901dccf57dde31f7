/**
 * Every wheel entry copied into the layer is verified: each hostile wheel is a real wheel (makeWheel)
 * with one field or a few bytes changed as a bad disk, mirror or attacker would (patchWheel), then
 * read and zipped by the action's own code. The zip must fail naming the wheel and the entry, and
 * leave no zip behind.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { wheelContent, WheelError } from '../../src/assemble/wheel'
import { mergeWheels } from '../../src/assemble/layer'
import { zipLayer } from '../../src/assemble/zip'
import { readCentralDirectory, ZipFormatError } from '../../src/zip/reader'
import { EntryVerificationError, verifyEntries } from '../../src/zip/verify'
import { captureLog } from '../helpers/log'
import { makeBombWheel, makeWheel, patchWheel, type WheelSpec } from '../helpers/wheels'

let tmp: string
let n = 0

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'layer-verify-'))
})
after(() => fs.rmSync(tmp, { recursive: true, force: true }))

const CODE = 'def f(x):\n    return x * 2\n'.repeat(400) // deflates well: stored only if asked

/** A fresh wheel in its own directory (patches change it in place). */
async function wheel(more: Partial<WheelSpec> = {}): Promise<string> {
  const dir = path.join(tmp, `w${++n}`)
  return (
    await makeWheel(dir, {
      name: 'victim',
      version: '1.0',
      tags: 'py3-none-any',
      modules: {
        'victim/__init__.py': CODE,
        'victim/table.dat': 'stored as it is\n'.repeat(200)
      },
      stored: ['victim/table.dat'],
      ...more
    })
  ).path
}

function entryOf(file: string, name: string) {
  const fd = fs.openSync(file, 'r')
  try {
    const e = readCentralDirectory(fd, path.basename(file)).find(x => x.name === name)
    assert.ok(e, name)
    return e
  } finally {
    fs.closeSync(fd)
  }
}

/** The wheels → layer entries → zip, as assemble and zip do it; returns the zip path and the log. */
async function zipOf(files: string[]): Promise<{ out: string; log: string }> {
  const out = path.join(tmp, `layer-${++n}.zip`)
  const entries = mergeWheels(await Promise.all(files.map(f => wheelContent(f))))
  const log = captureLog()
  try {
    await zipLayer(entries, out)
  } finally {
    log.restore()
  }
  return { out, log: log.text() }
}

/** The zip fails with EntryVerificationError naming the wheel and the entry; no zip is left. */
async function refused(file: string, entry: string, why: RegExp): Promise<string> {
  const out = path.join(tmp, `layer-${++n}.zip`)
  const entries = mergeWheels([await wheelContent(file)])
  const log = captureLog()
  let error: unknown
  try {
    await zipLayer(entries, out)
  } catch (e) {
    error = e
  } finally {
    log.restore()
  }
  assert.ok(error instanceof EntryVerificationError, `expected a verification error, got ${error}`)
  assert.equal(error.wheel, path.basename(file))
  assert.equal(error.entry, entry)
  assert.ok(
    error.message.startsWith(`The wheel ${path.basename(file)} is damaged: its entry ${entry} `)
  )
  assert.match(error.message, why)
  assert.ok(!fs.existsSync(out), 'no zip is left behind')
  assert.deepEqual(
    fs.readdirSync(tmp).filter(f => f.startsWith(path.basename(out))),
    [],
    'no spill file either'
  )
  return error.message
}

test('a sound wheel zips, and the log says each wheel file was checked', async () => {
  const { out, log } = await zipOf([await wheel()])
  assert.ok(fs.statSync(out).size > 0)
  assert.match(log, /\(3 stored; 6 files from wheels, each checked against its CRC-32 and size\)/)
})

test('a wrong CRC-32 in a deflated entry', async () => {
  const file = await wheel()
  const e = entryOf(file, 'victim/__init__.py')
  assert.equal(e.method, 8, 'the entry is deflated')
  await patchWheel(file, 'victim/__init__.py', { crc: e.crc ^ 0x10 })
  await refused(
    file,
    'victim/__init__.py',
    /does not match its CRC-32 \([0-9a-f]{8} read, [0-9a-f]{8} declared\)/
  )
})

test('a flipped byte in a stored entry: its CRC-32 no longer matches', async () => {
  const file = await wheel()
  assert.equal(entryOf(file, 'victim/table.dat').method, 0)
  await patchWheel(file, 'victim/table.dat', { data: b => (b[100] ^= 0x20) })
  await refused(file, 'victim/table.dat', /does not match its CRC-32/)
})

test('a damaged deflate stream (a block of the reserved type 3)', async () => {
  const file = await wheel()
  await patchWheel(file, 'victim/__init__.py', { data: b => (b[0] = 0x07) })
  await refused(file, 'victim/__init__.py', /has a damaged deflate stream \(invalid block type\)/)
})

test('a deflate stream cut short', async () => {
  const file = await wheel()
  const e = entryOf(file, 'victim/__init__.py')
  // the end of the stream overwritten by the next header's bytes would be a real cut; zeros do the same
  await patchWheel(file, 'victim/__init__.py', {
    data: b => b.fill(0, Math.floor(e.compressedSize / 2))
  })
  await refused(file, 'victim/__init__.py', /damaged deflate stream|does not match|inflates to/)
})

test('a lying size, declared small: inflating stops at the declared size', async () => {
  const file = await wheel()
  await patchWheel(file, 'victim/__init__.py', { size: 100 })
  await refused(
    file,
    'victim/__init__.py',
    /inflates to more than the 100 bytes its central directory declares \(inflating stopped there\)/
  )
})

test('a lying size, declared large: the real size is named', async () => {
  const file = await wheel()
  const e = entryOf(file, 'victim/__init__.py')
  await patchWheel(file, 'victim/__init__.py', { size: e.size + 5000 })
  await refused(
    file,
    'victim/__init__.py',
    new RegExp(
      `inflates to ${e.size} bytes, not the ${e.size + 5000} its central directory declares`
    )
  )
})

test('a stored entry whose sizes disagree', async () => {
  const file = await wheel()
  const e = entryOf(file, 'victim/table.dat')
  await patchWheel(file, 'victim/table.dat', { size: e.size - 1 })
  await refused(file, 'victim/table.dat', /is stored with \d+ bytes but declares \d+/)
})

test('a local header naming another file than the central directory', async () => {
  const file = await wheel()
  const e = entryOf(file, 'victim/__init__.py')
  const zip = fs.readFileSync(file)
  zip.write('X', e.localHeaderOffset + 30) // victim/… → Xictim/… in the local header only
  fs.writeFileSync(file, zip)
  await refused(file, 'victim/__init__.py', /is named "Xictim\/__init__\.py" in its local header/)
})

test('a bomb of 20 MB declared as 1 KB: refused without inflating it (stream path too)', async () => {
  const dir = path.join(tmp, 'bomb')
  const bomb = await makeBombWheel(
    dir,
    { name: 'bomb', version: '1.0', tags: 'py3-none-any' },
    { real: 20 << 20, declared: 1024 }
  )
  await refused(bomb.path, 'bomb/_bomb.bin', /inflates to more than the 1024 bytes/)
  const entry = entryOf(bomb.path, 'bomb/_bomb.bin')
  // above streamAbove, entries inflate as a stream, stopped at the declared size all the same
  await assert.rejects(
    verifyEntries([{ wheel: bomb.path, entry }], { streamAbove: 0 }),
    /_bomb\.bin inflates to more than the 1024 bytes/
  )
})

test('the stream path checks CRC and size like the one-piece path, and passes a sound entry', async () => {
  const file = await wheel()
  const good = entryOf(file, 'victim/__init__.py')
  await verifyEntries([{ wheel: file, entry: good }], { streamAbove: 0 })
  await patchWheel(file, 'victim/__init__.py', { crc: good.crc ^ 1 })
  await assert.rejects(
    verifyEntries([{ wheel: file, entry: { ...good, crc: good.crc ^ 1 } }], { streamAbove: 0 }),
    /does not match its CRC-32/
  )
})

test('the first bad entry among many stops every worker and names that entry', async () => {
  const files = await Promise.all([1, 2, 3, 4].map(() => wheel()))
  const items = files.flatMap(f => {
    const fd = fs.openSync(f, 'r')
    try {
      return readCentralDirectory(fd, path.basename(f)).map(entry => ({ wheel: f, entry }))
    } finally {
      fs.closeSync(fd)
    }
  })
  await verifyEntries(items, { workers: 4 })
  const bad = items.findIndex(i => i.entry.name === 'victim/__init__.py')
  const lying = items.map((i, k) => (k === bad ? { ...i, entry: { ...i.entry, size: 10 } } : i))
  await assert.rejects(verifyEntries(lying, { workers: 4 }), (e: unknown) => {
    assert.ok(e instanceof EntryVerificationError)
    assert.equal(e.wheel, path.basename(lying[bad].wheel))
    assert.equal(e.entry, 'victim/__init__.py')
    assert.match(e.message, /inflates to more than the 10 bytes/)
    return true
  })
})

test("names with '..' or an absolute path are refused before anything is written, naming them", async () => {
  for (const [placeholder, name] of [
    ['vv/vv/evil.py', '../../evil.py'],
    ['xetc/evil.py', '/etc/evil.py']
  ]) {
    const file = await wheel({ modules: { [placeholder]: 'print("owned")\n' } })
    await patchWheel(file, placeholder, { name: Buffer.from(name) })
    await assert.rejects(wheelContent(file), (e: unknown) => {
      assert.ok(e instanceof WheelError)
      assert.ok(
        e.message.includes(`an entry '${name}' that would be written outside python/`),
        e.message
      )
      assert.ok(e.message.includes(path.basename(file)))
      return true
    })
  }
})

test('a name without the UTF-8 flag is CP437, as zipfile and pip read it: 0x82 is é', async () => {
  const file = await wheel({ modules: { 'victim/cafX.py': 'CAFE = 1\n' } })
  const bytes = Buffer.from('victim/cafX.py', 'latin1')
  bytes[bytes.indexOf('X')] = 0x82
  await patchWheel(file, 'victim/cafX.py', { name: bytes, flags: f => f & ~0x0800 })
  const content = await wheelContent(file)
  assert.ok(
    content.entries.some(e => e.path === 'victim/café.py'),
    content.entries.map(e => e.path).join()
  )
  const { out } = await zipOf([file])
  const fd = fs.openSync(out, 'r')
  try {
    const entry = readCentralDirectory(fd, 'layer.zip').find(
      e => e.name === 'python/victim/café.py'
    )
    assert.ok(entry, 'the layer names it in UTF-8, flagged so')
    assert.ok(entry.flags & 0x0800)
    assert.deepEqual(entry.nameBytes, Buffer.from('python/victim/café.py', 'utf8'))
  } finally {
    fs.closeSync(fd)
  }
})

test('a name flagged UTF-8 that is not UTF-8 is a damaged wheel, named', async () => {
  const file = await wheel({ modules: { 'victim/cafX.py': 'CAFE = 1\n' } })
  const bytes = Buffer.from('victim/cafX.py', 'latin1')
  bytes[bytes.indexOf('X')] = 0xff
  await patchWheel(file, 'victim/cafX.py', { name: bytes, flags: f => f | 0x0800 })
  await assert.rejects(wheelContent(file), (e: unknown) => {
    assert.ok(e instanceof ZipFormatError)
    assert.match(
      e.message,
      new RegExp(
        `^${path.basename(file).replace(/\./g, '\\.')} is not a usable zip file: the name of entry \\d+ .* is flagged UTF-8 but is not UTF-8`
      )
    )
    return true
  })
})
