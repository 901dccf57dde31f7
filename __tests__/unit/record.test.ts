import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { promises as fs } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { RECORD_FILE, recordedPinnedSet, writeRecord } from '../../src/fetch/record'
import { pruneWheelhouse } from '../../src/fetch/cache'
import { hashFile } from '../../src/digests'
import type { HouseWheel, Wheelhouse } from '../../src/fetch/wheelhouse'
import type { Hashes, PinnedSet } from '../../src/resolve/pinned'
import { captureLog } from '../helpers/log'

let dir: string
let house: Wheelhouse
const sha = (text: string) => createHash('sha256').update(text).digest('hex')

before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'layer-record-'))
  const wheels: HouseWheel[] = []
  for (const [name, version] of [
    ['a', '1.0'],
    ['b', '2.0']
  ]) {
    const file = path.join(dir, `${name}-${version}-py3-none-any.whl`)
    await fs.writeFile(file, `wheel ${name}`)
    wheels.push({
      file,
      name,
      version,
      sha256: sha(`wheel ${name}`),
      origin: 'index',
      reused: false
    })
  }
  // pip's report may carry no hash (a find-links folder): the record's hash stands in on a hit
  const pinned: PinnedSet = {
    entries: wheels.map(w => ({
      name: w.name,
      version: w.version,
      artifact: {
        kind: 'file',
        filename: path.basename(w.file),
        url: `https://idx.example/files/${path.basename(w.file)}`,
        hashes: (w.name === 'a' ? { sha256: [w.sha256] } : {}) as Hashes
      },
      requiredBy: [],
      dependencies: []
    })),
    skipped: [],
    summary: '2 from requirements.txt'
  }
  house = { dir, wheels, pinned, cache: 'miss' }
})
after(() => fs.rm(dir, { recursive: true, force: true }))

const quietly = async <T>(f: () => Promise<T>): Promise<T> => {
  const log = captureLog()
  try {
    return await f()
  } finally {
    log.restore()
  }
}

test('the recorded pinned set comes back for its key, every wheel hash-checked; a file without a hash gets the recorded one', async () => {
  await writeRecord(house, 'key-1')
  const pinned = await quietly(() => recordedPinnedSet(dir, 'key-1'))
  assert.ok(pinned)
  assert.equal(pinned.summary, house.pinned.summary)
  assert.deepEqual(
    pinned.entries.map(e => (e.artifact.kind === 'file' ? e.artifact.hashes : {})),
    [{ sha256: [sha('wheel a')] }, { sha256: [sha('wheel b')] }]
  )
  assert.equal(await recordedPinnedSet(dir, 'key-2'), undefined, 'another key')
})

test('the record survives pruning, as the wheels it names do', async () => {
  await writeRecord(house, 'key-1')
  await fs.writeFile(path.join(dir, 'stale-0.1-py3-none-any.whl'), 'old')
  await quietly(() =>
    pruneWheelhouse(dir, [...house.wheels.map(w => path.basename(w.file)), RECORD_FILE])
  )
  assert.deepEqual((await fs.readdir(dir)).sort(), [
    'a-1.0-py3-none-any.whl',
    'b-2.0-py3-none-any.whl',
    RECORD_FILE
  ])
})

test('a changed or missing wheel, or a local path package, means resolving again', async () => {
  await writeRecord(house, 'key-1')
  const b = house.wheels[1].file
  await fs.writeFile(b, 'tampered')
  assert.equal(await quietly(() => recordedPinnedSet(dir, 'key-1')), undefined)
  await fs.rm(b)
  assert.equal(await quietly(() => recordedPinnedSet(dir, 'key-1')), undefined)
  await fs.writeFile(b, 'wheel b')
  await writeRecord(
    { ...house, wheels: [house.wheels[0], { ...house.wheels[1], origin: 'local' }] },
    'key-1'
  )
  assert.equal(await quietly(() => recordedPinnedSet(dir, 'key-1')), undefined)
})

test('a wheel checked once and then altered in place (same size, same modification time) is read again: the digests kept for the fetch are not taken for it', async () => {
  await writeRecord(house, 'key-1')
  const a = house.wheels[0].file
  // a whole second, so that the same time can be set again to the nanosecond
  const stamp = new Date('2026-01-01T00:00:00Z')
  await fs.utimes(a, stamp, stamp)
  assert.ok(await quietly(() => recordedPinnedSet(dir, 'key-1')))
  // one byte changed, the size and the modification time as they were: only the change time differs
  await fs.writeFile(a, 'wheel A')
  await fs.utimes(a, stamp, stamp)
  assert.equal((await hashFile(a)).get('sha256'), sha('wheel A'))
  assert.equal(await quietly(() => recordedPinnedSet(dir, 'key-1')), undefined)
  await fs.writeFile(a, 'wheel a')
  assert.equal((await hashFile(a)).get('sha256'), sha('wheel a'))
  // asked for another algorithm, the file is read for it
  const sha512 = createHash('sha512').update('wheel a').digest('hex')
  assert.equal((await hashFile(a, ['sha512'])).get('sha512'), sha512)
})

test("a symlink under the record's name (a restored cache entry can bring one) is replaced, never written through: the file it points at is untouched", async () => {
  const outside = path.join(path.dirname(dir), `outside-${process.pid}.txt`)
  await fs.writeFile(outside, 'not yours\n')
  const record = path.join(dir, RECORD_FILE)
  await fs.rm(record, { force: true })
  await fs.symlink(outside, record)
  await writeRecord(house, 'key-1')
  assert.equal(await fs.readFile(outside, 'utf8'), 'not yours\n')
  assert.ok((await fs.lstat(record)).isFile(), 'the record is a file of its own now')
  assert.ok(await quietly(() => recordedPinnedSet(dir, 'key-1')))
  assert.deepEqual(
    (await fs.readdir(dir)).filter(f => f.endsWith('.part')),
    [],
    'no part file is left'
  )
  await fs.rm(outside)
})
