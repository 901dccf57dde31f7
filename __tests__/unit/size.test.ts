import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { LayerActionError } from '../../src/errors'
import { nearLimitWarning } from '../../src/assemble/package'
import {
  assertWithinLimit,
  formatBytes,
  LAMBDA_UNZIPPED_LIMIT,
  LayerTooLargeError,
  measureLayer,
  type SizeReport
} from '../../src/assemble/size'

let tmp: string
let python: string

function file(relative: string, bytes: number): void {
  const full = path.join(python, relative)
  fs.mkdirSync(path.dirname(full), { recursive: true })
  fs.writeFileSync(full, Buffer.alloc(bytes, 'x'))
}

/** A dist-info whose RECORD lists `files` (python/-relative, as pip writes them). */
function dist(name: string, version: string, files: string[]): void {
  const info = `${name}-${version}.dist-info`
  file(`${info}/METADATA`, 100)
  const lines = [...files, `${info}/METADATA`, `${info}/RECORD`].map(f =>
    f.includes(',') ? `"${f}",,` : `${f},sha256=abc,1`
  )
  fs.writeFileSync(path.join(python, info, 'RECORD'), `${lines.join('\n')}\n`)
}

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'layer-size-'))
  python = path.join(tmp, 'python')
  file('numpy/__init__.py', 1000)
  file('numpy/core/_multiarray.so', 50_000)
  file('numpy.libs/libopenblas.so', 100_000)
  file('bin/f2py', 300)
  dist('numpy', '2.0.0', [
    'numpy/__init__.py',
    'numpy/core/_multiarray.so',
    'numpy.libs/libopenblas.so',
    '../../bin/f2py'
  ])
  file('numpy/__pycache__/x.cpython-311.pyc', 500) // written after install: not in RECORD
  file('PIL/Image.py', 30_000)
  file('pillow.libs/libjpeg.so', 40_000)
  dist('pillow', '10.0.0', ['PIL/Image.py', 'pillow.libs/libjpeg.so'])
  // a namespace package: google/ is shared by two distributions
  file('google/protobuf/message.py', 20_000)
  dist('protobuf', '4.25.0', ['google/protobuf/message.py'])
  file('google/api/http.py', 5_000)
  dist('googleapis_common_protos', '1.60.0', ['google/api/http.py'])
  file('google/stray.txt', 10)
  file('six.py', 2_000)
  dist('six', '1.16.0', ['six.py'])
  file('odd, name.py', 7) // RECORD quotes paths with commas
  dist('odd', '1.0', ['odd, name.py'])
  file('mylib/handler.py', 3_000) // the user's own code (include): no RECORD
  file('orphan.libs/libz.so', 4_000)
  file('_cffi_backend.cpython-311-x86_64-linux-gnu.so', 6_000)
  file('tiny_a/x.py', 2) // the 11th and 12th package: not among the 10 largest
  file('tiny_b/y.py', 1)
})

after(() => fs.rmSync(tmp, { recursive: true, force: true }))

test('sizes are grouped by distribution: its code, .libs, scripts, metadata', async () => {
  const r = await measureLayer(python)
  const by = new Map(r.packages.map(p => [p.name, p]))
  const numpy = by.get('numpy')
  assert.ok(numpy)
  assert.equal(numpy.version, '2.0.0')
  assert.equal(
    numpy.bytes,
    1000 +
      50_000 +
      100_000 +
      300 +
      500 +
      100 +
      fs.statSync(path.join(python, 'numpy-2.0.0.dist-info/RECORD')).size
  )
  assert.deepEqual(numpy.paths, ['bin/', 'numpy-2.0.0.dist-info/', 'numpy.libs/', 'numpy/'])
  assert.equal(numpy.files, 7)
  assert.deepEqual(by.get('pillow')?.paths, ['PIL/', 'pillow-10.0.0.dist-info/', 'pillow.libs/'])
  assert.ok((by.get('protobuf')?.bytes ?? 0) > 20_000)
  assert.ok((by.get('googleapis_common_protos')?.bytes ?? 0) > 5_000)
  assert.equal(by.get('google')?.bytes, 10, 'a shared top-level keeps what no RECORD claims')
  assert.deepEqual(by.get('six')?.paths, ['six-1.16.0.dist-info/', 'six.py'])
  assert.equal(by.get('odd')?.files, 3)
  assert.deepEqual(by.get('mylib'), { name: 'mylib', bytes: 3_000, files: 1, paths: ['mylib/'] })
  assert.equal(by.get('orphan')?.bytes, 4_000, 'an unclaimed .libs goes by its stem')
  assert.equal(by.get('_cffi_backend')?.bytes, 6_000)
})

test('totals match the files, and packages come largest first', async () => {
  const r = await measureLayer(python)
  let bytes = 0
  let files = 0
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name)
      if (e.isDirectory()) walk(full)
      else {
        bytes += fs.statSync(full).size
        files++
      }
    }
  }
  walk(python)
  assert.equal(r.totalBytes, bytes)
  assert.equal(r.files, files)
  assert.equal(
    r.packages.reduce((n, p) => n + p.bytes, 0),
    bytes
  )
  assert.equal(
    r.packages.reduce((n, p) => n + p.files, 0),
    files
  )
  const sizes = r.packages.map(p => p.bytes)
  assert.deepEqual(
    sizes,
    [...sizes].sort((a, b) => b - a)
  )
  assert.equal(r.packages[0].name, 'numpy')
})

test('under or at the limit passes', async () => {
  const r = await measureLayer(python)
  assertWithinLimit(r, r.totalBytes)
  assertWithinLimit(r)
})

test('over the limit: total, limit, excess, the 10 largest packages and what to do', async () => {
  const r = await measureLayer(python)
  const limit = r.totalBytes - 1500
  assert.throws(
    () => assertWithinLimit(r, limit),
    (e: unknown) => {
      assert.ok(e instanceof LayerTooLargeError && e instanceof LayerActionError)
      assert.equal(e.limit, limit)
      const m = e.message
      assert.match(m, new RegExp(`${r.totalBytes.toLocaleString('en-US')} bytes`))
      assert.match(m, new RegExp(`limit of ${formatBytes(limit).replace('.', '\\.')}`))
      assert.match(m, /by 1\.5 KB/)
      const listed = r.packages.filter(p => m.includes(`\n  ${p.name}`))
      assert.equal(r.packages.length, 12)
      assert.deepEqual(
        listed.map(p => p.name),
        r.packages.slice(0, 10).map(p => p.name)
      )
      assert.ok(!m.includes('tiny_'))
      const numpy = `numpy 2.0.0 +${formatBytes(r.packages[0].bytes)} +bin/ numpy-2.0.0.dist-info/ numpy.libs/ numpy/`
      assert.match(m, new RegExp(numpy.replace(/\./g, '\\.')))
      assert.match(m, /'exclude'/)
      assert.match(m, /split the requirements into several layers/)
      assert.match(m, /function's own code and all of its layers/)
      return true
    }
  )
})

test('the default limit is Lambda 250 MB, 262,144,000 bytes', () => {
  assert.equal(LAMBDA_UNZIPPED_LIMIT, 262_144_000)
  const report: SizeReport = {
    totalBytes: LAMBDA_UNZIPPED_LIMIT + 1,
    files: 1,
    packages: [{ name: 'torch', bytes: LAMBDA_UNZIPPED_LIMIT + 1, files: 1, paths: ['torch/'] }]
  }
  assert.throws(
    () => assertWithinLimit(report),
    /over Lambda's limit of 250\.0 MB \(262,144,000 bytes\)/
  )
})

test('formatBytes counts as AWS does (1 MB = 2^20 bytes)', () => {
  assert.equal(formatBytes(0), '0 B')
  assert.equal(formatBytes(1023), '1023 B')
  assert.equal(formatBytes(1536), '1.5 KB')
  assert.equal(formatBytes(262_144_000), '250.0 MB')
  assert.equal(formatBytes(3 * 1024 ** 3), '3.00 GB')
})

test('measuring a missing directory fails with a LayerActionError', async () => {
  await assert.rejects(measureLayer(path.join(tmp, 'nope')), LayerActionError)
})

test('a layer within 10% of the limit gets a warning naming its largest packages', () => {
  const report = (totalBytes: number) => ({
    totalBytes,
    files: 2,
    packages: [
      { name: 'torch', bytes: totalBytes - 1000, files: 1, paths: ['torch/'] },
      { name: 'six', bytes: 1000, files: 1, paths: ['six.py'] }
    ]
  })
  assert.equal(nearLimitWarning(report(900), 1000), undefined)
  const warning = nearLimitWarning(report(236_000_000))
  assert.ok(warning)
  assert.match(warning, /within 10% of Lambda's 250\.0 MB limit/)
  assert.match(warning, /torch 225\.1 MB, six/)
})
