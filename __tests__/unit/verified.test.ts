/**
 * The zip step skips inflating a wheel's entries only when a run before verified exactly those
 * entries of exactly these bytes (src/fetch/verified.ts). Each test zips real wheels (makeWheel) as
 * run() does, keeps what the zip verified as save() would, then changes one thing an adversary or a
 * bad disk could: a byte of the wheel, the entries taken, the record itself, a zip that failed.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { mergeWheels } from '../../src/assemble/layer'
import { wheelContent } from '../../src/assemble/wheel'
import { zipLayer, type ZipResult } from '../../src/assemble/zip'
import { sha256File } from '../../src/digests'
import { VERIFIED_FILE, VerifiedWheels } from '../../src/fetch/verified'
import type { HouseWheel } from '../../src/fetch/wheelhouse'
import { EntryVerificationError } from '../../src/zip/verify'
import { captureLog } from '../helpers/log'
import { makeWheel, patchWheel } from '../helpers/wheels'

let tmp: string
let n = 0

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'layer-verified-'))
})
after(() => fs.rmSync(tmp, { recursive: true, force: true }))

const CODE = 'def f(x):\n    return x * 2\n'.repeat(400)

/** A wheelhouse of its own holding two sound wheels; `alpha` has a test suite slim may drop. */
async function wheelhouse(): Promise<string> {
  const dir = path.join(tmp, `house${++n}`)
  for (const name of ['alpha', 'beta'])
    await makeWheel(dir, {
      name,
      version: '1.0',
      tags: 'py3-none-any',
      modules: {
        [`${name}/__init__.py`]: CODE,
        [`${name}/tests/test_it.py`]: 'def test(): pass\n',
        [`${name}/table.dat`]: 'stored as it is\n'.repeat(200)
      },
      stored: [`${name}/table.dat`]
    })
  return dir
}

/** The wheels as fetch hands them on: each with the SHA-256 of its bytes now. */
async function houseWheels(dir: string): Promise<HouseWheel[]> {
  const files = fs.readdirSync(dir).filter(f => f.endsWith('.whl'))
  return Promise.all(
    files.map(async f => ({
      file: path.join(dir, f),
      name: f.split('-')[0],
      version: '1.0',
      sha256: await sha256File(path.join(dir, f)),
      origin: 'index' as const,
      reused: true
    }))
  )
}

/**
 * Reads what `dir` records, zips its wheels (leaving out entries `drop` matches), and on success
 * writes what the zip verified, as run() and save() do. Returns the zip, its log, and the error.
 */
async function zipRun(
  dir: string,
  drop?: RegExp
): Promise<{ zip?: ZipResult; log: string; error?: unknown }> {
  const wheels = await houseWheels(dir)
  const verifiedBefore = await VerifiedWheels.read(dir, wheels)
  const contents = await Promise.all(wheels.map(w => wheelContent(w.file)))
  const entries = mergeWheels(contents).filter(e => !drop?.test(e.path))
  const log = captureLog()
  try {
    const zip = await zipLayer(entries, path.join(tmp, `layer-${++n}.zip`), { verifiedBefore })
    await verifiedBefore.write()
    return { zip, log: log.text() }
  } catch (error) {
    return { log: log.text(), error }
  } finally {
    log.restore()
  }
}

const SUMMARY = / stored; (.*), CodeSha256/
const summaryOf = (log: string) => SUMMARY.exec(log)?.[1]

test('a second zip of the same bytes skips the inflation, says so, and writes the same zip', async () => {
  const dir = await wheelhouse()
  const first = await zipRun(dir)
  assert.equal(
    summaryOf(first.log),
    '14 files from wheels, each checked against its CRC-32 and size)'
  )
  const record = JSON.parse(fs.readFileSync(path.join(dir, VERIFIED_FILE), 'utf8'))
  assert.equal(record.format, 1)
  assert.deepEqual(
    Object.keys(record.wheels).sort(),
    (await houseWheels(dir)).map(w => w.sha256).sort(),
    'one line per wheel, by its SHA-256'
  )

  const second = await zipRun(dir)
  assert.equal(
    summaryOf(second.log),
    '14 files from wheels, each checked against its CRC-32 and size when the same wheel bytes (by SHA-256) were cached)'
  )
  assert.equal(second.zip?.sha256, first.zip?.sha256)
})

test('a wheel damaged after it was verified has another SHA-256: it is checked again and refused', async () => {
  const dir = await wheelhouse()
  assert.ok((await zipRun(dir)).zip)
  const alpha = path.join(dir, 'alpha-1.0-py3-none-any.whl')
  await patchWheel(alpha, 'alpha/table.dat', { data: b => (b[10] ^= 0x20) })

  const again = await zipRun(dir)
  assert.ok(again.error instanceof EntryVerificationError, `refused: ${String(again.error)}`)
  assert.equal(again.error.entry, 'alpha/table.dat')
})

test("the record of one wheel's bytes vouches for nothing else: copied onto a damaged wheel's SHA-256, that wheel is checked", async () => {
  // the record of a sound wheel put under the damaged wheel's SHA-256 (a record written by hand):
  // its entries (offsets, CRCs, sizes) are not those verified, so they are inflated and refused
  const dir = await wheelhouse()
  assert.ok((await zipRun(dir)).zip)
  const alpha = path.join(dir, 'alpha-1.0-py3-none-any.whl')
  const sound = await sha256File(alpha)
  await patchWheel(alpha, 'alpha/__init__.py', { crc: 0x12345678 })
  const file = path.join(dir, VERIFIED_FILE)
  const record = JSON.parse(fs.readFileSync(file, 'utf8'))
  record.wheels[await sha256File(alpha)] = record.wheels[sound]
  fs.writeFileSync(file, JSON.stringify(record))

  const again = await zipRun(dir)
  assert.ok(again.error instanceof EntryVerificationError, `refused: ${String(again.error)}`)
  assert.equal(again.error.entry, 'alpha/__init__.py')
})

test('other entries taken from the same bytes (slim or exclude changed) are checked; the rest still skipped', async () => {
  const dir = await wheelhouse()
  // the first run left the test suites out; the second takes them
  assert.ok((await zipRun(dir, /\/tests\//)).zip)
  const second = await zipRun(dir)
  assert.equal(
    summaryOf(second.log),
    '14 files from wheels, each checked against its CRC-32 and size)',
    'both wheels give more entries now: all are checked'
  )
  const third = await zipRun(dir, /^alpha\/tests\//)
  assert.equal(
    summaryOf(third.log),
    '13 files from wheels, each checked against its CRC-32 and size, 7 of them when the same wheel bytes (by SHA-256) were cached)',
    "beta's entries are those the second run verified; alpha's are not"
  )
})

test('a zip that fails records nothing, not even the sound wheels verified beside the damaged one', async () => {
  const dir = await wheelhouse()
  const beta = path.join(dir, 'beta-1.0-py3-none-any.whl')
  await patchWheel(beta, 'beta/__init__.py', { crc: 0x0badc0de })
  const failed = await zipRun(dir)
  assert.ok(failed.error instanceof EntryVerificationError)
  assert.ok(!fs.existsSync(path.join(dir, VERIFIED_FILE)), 'save() never ran, so no record')

  // even when the record is written after a failed zip, it holds nothing the zip did not finish
  const wheels = await houseWheels(dir)
  const verifiedBefore = await VerifiedWheels.read(dir, wheels)
  const entries = mergeWheels(await Promise.all(wheels.map(w => wheelContent(w.file))))
  await assert.rejects(
    zipLayer(entries, path.join(tmp, `layer-${++n}.zip`), { verifiedBefore }),
    EntryVerificationError
  )
  await verifiedBefore.write()
  const record = JSON.parse(fs.readFileSync(path.join(dir, VERIFIED_FILE), 'utf8'))
  assert.deepEqual(record.wheels, {})
})

test('a record that is not one this version reads means every entry is checked, and no crash', async () => {
  const dir = await wheelhouse()
  assert.ok((await zipRun(dir)).zip)
  const file = path.join(dir, VERIFIED_FILE)
  const sound = JSON.parse(fs.readFileSync(file, 'utf8'))
  const [sha256, digest] = Object.entries(sound.wheels as Record<string, string>)[0]
  const broken = [
    'not json {',
    'null',
    '[]',
    JSON.stringify({ ...sound, format: 2 }),
    JSON.stringify({ format: 1, wheels: null }),
    JSON.stringify({ format: 1, wheels: 'all' }),
    JSON.stringify({ format: 1, wheels: { [sha256]: 42 } }),
    JSON.stringify({ format: 1, wheels: { [sha256.toUpperCase()]: digest } }),
    JSON.stringify({ format: 1, wheels: { [sha256]: `${digest}x` } }),
    JSON.stringify({ format: 1, wheels: { '../../etc/passwd': digest } })
  ]
  for (const text of broken) {
    fs.writeFileSync(file, text)
    const r = await zipRun(dir)
    assert.ok(r.zip, `${text}: ${String(r.error)}`)
    assert.doesNotMatch(summaryOf(r.log) ?? '', /cached/, text)
  }
})

test('the record keeps only the wheels still in the wheelhouse', async () => {
  const dir = await wheelhouse()
  assert.ok((await zipRun(dir)).zip)
  const beta = path.join(dir, 'beta-1.0-py3-none-any.whl')
  const betaSha = await sha256File(beta)
  fs.rmSync(beta)
  assert.ok((await zipRun(dir)).zip)
  const record = JSON.parse(fs.readFileSync(path.join(dir, VERIFIED_FILE), 'utf8'))
  assert.deepEqual(Object.keys(record.wheels), [
    await sha256File(path.join(dir, 'alpha-1.0-py3-none-any.whl'))
  ])
  assert.ok(!(betaSha in record.wheels))
})

test("a symlink under the record's name is replaced, never written through", async () => {
  const dir = await wheelhouse()
  const outside = path.join(tmp, `outside-${++n}.txt`)
  fs.writeFileSync(outside, 'not yours\n')
  fs.symlinkSync(outside, path.join(dir, VERIFIED_FILE))
  assert.ok((await zipRun(dir)).zip)
  assert.equal(fs.readFileSync(outside, 'utf8'), 'not yours\n')
  assert.ok(fs.lstatSync(path.join(dir, VERIFIED_FILE)).isFile())
  // and what it holds is this run's: the next zip skips the inflation
  assert.match(summaryOf((await zipRun(dir)).log) ?? '', /were cached\)$/)
})
