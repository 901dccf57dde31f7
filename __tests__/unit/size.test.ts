import { before, test } from 'node:test'
import assert from 'node:assert/strict'
import { LayerActionError } from '../../src/errors'
import type { Distribution } from '../../src/assemble/entries'
import {
  assertWithinLimit,
  formatBytes,
  LAMBDA_UNZIPPED_LIMIT,
  LayerTooLargeError,
  nearLimitWarning,
  measureEntries,
  type SizeReport
} from '../../src/assemble/size'

interface Sized {
  path: string
  size: number
  owner?: Distribution
}
const entries: Sized[] = []

/** Files of one wheel, with its dist-info (METADATA, RECORD) as the wheel holds them. */
function dist(name: string, version: string, files: Record<string, number>): void {
  const owner = { name, version, wheel: `${name}-${version}-py3-none-any.whl` }
  const info = `${name}-${version}.dist-info`
  const all = { ...files, [`${info}/METADATA`]: 100, [`${info}/RECORD`]: 200 }
  for (const [path, size] of Object.entries(all)) entries.push({ path, size, owner })
}

before(() => {
  dist('numpy', '2.0.0', {
    'numpy/__init__.py': 1000,
    'numpy/core/_multiarray.so': 50_000,
    'numpy.libs/libopenblas.so': 100_000
  })
  dist('pillow', '10.0.0', { 'PIL/Image.py': 30_000, 'pillow.libs/libjpeg.so': 40_000 })
  // a namespace package: google/ is shared by two distributions
  dist('protobuf', '4.25.0', { 'google/protobuf/message.py': 20_000 })
  dist('googleapis_common_protos', '1.60.0', { 'google/api/http.py': 5_000 })
  dist('six', '1.16.0', { 'six.py': 2_000 })
  // the user's own code (include): no wheel
  entries.push({ path: 'mylib/handler.py', size: 3_000 })
  entries.push({ path: 'orphan.libs/libz.so', size: 4_000 })
  entries.push({ path: '_cffi_backend.cpython-311-x86_64-linux-gnu.so', size: 6_000 })
  entries.push({ path: 'extra_a.py', size: 50 }, { path: 'extra_b.py', size: 40 })
  entries.push({ path: 'tiny_a/x.py', size: 2 }) // the 11th and 12th package: not among the 10 largest
  entries.push({ path: 'tiny_b/y.py', size: 1 })
})

test('sizes are grouped by the distribution whose wheel holds the file: its code, .libs, metadata', () => {
  const r = measureEntries(entries)
  const by = new Map(r.packages.map(p => [p.name, p]))
  const numpy = by.get('numpy')
  assert.ok(numpy)
  assert.equal(numpy.version, '2.0.0')
  assert.equal(numpy.bytes, 1000 + 50_000 + 100_000 + 100 + 200)
  assert.deepEqual(numpy.paths, ['numpy-2.0.0.dist-info/', 'numpy.libs/', 'numpy/'])
  assert.equal(numpy.files, 5)
  assert.deepEqual(by.get('pillow')?.paths, ['PIL/', 'pillow-10.0.0.dist-info/', 'pillow.libs/'])
  assert.equal(by.get('protobuf')?.bytes, 20_300)
  assert.equal(by.get('googleapis_common_protos')?.bytes, 5_300)
  assert.deepEqual(by.get('six')?.paths, ['six-1.16.0.dist-info/', 'six.py'])
  assert.deepEqual(by.get('mylib'), { name: 'mylib', bytes: 3_000, files: 1, paths: ['mylib/'] })
  assert.equal(by.get('orphan')?.bytes, 4_000, 'an unclaimed .libs goes by its stem')
  assert.equal(by.get('_cffi_backend')?.bytes, 6_000)
})

test('totals match the entries, and packages come largest first', () => {
  const r = measureEntries(entries)
  const bytes = entries.reduce((n, e) => n + e.size, 0)
  assert.equal(r.totalBytes, bytes)
  assert.equal(r.files, entries.length)
  assert.equal(
    r.packages.reduce((n, p) => n + p.bytes, 0),
    bytes
  )
  assert.equal(
    r.packages.reduce((n, p) => n + p.files, 0),
    entries.length
  )
  const sizes = r.packages.map(p => p.bytes)
  assert.deepEqual(
    sizes,
    [...sizes].sort((a, b) => b - a)
  )
  assert.equal(r.packages[0].name, 'numpy')
})

test('under or at the limit passes', async () => {
  const r = measureEntries(entries)
  assertWithinLimit(r, r.totalBytes)
  assertWithinLimit(r)
})

test('over the limit: total, limit, excess, the 10 largest packages and what to do', async () => {
  const r = measureEntries(entries)
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
      const numpy = `numpy 2.0.0 +${formatBytes(r.packages[0].bytes)} +numpy-2.0.0.dist-info/ numpy.libs/ numpy/`
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
