import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { promises as fs } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { RESOLUTION_FILE, recordResolution, recordedResolution } from '../../src/fetch/resolved'
import { pruneWheelhouse } from '../../src/fetch/cache'
import type { ResolvedWheel } from '../../src/resolve/resolve'
import { captureLog } from '../helpers/log'

let wheelhouse: string
let wheels: ResolvedWheel[]
before(async () => {
  wheelhouse = await fs.mkdtemp(path.join(os.tmpdir(), 'layer-resolved-'))
  wheels = []
  for (const [name, version] of [
    ['a', '1.0'],
    ['b', '2.0']
  ]) {
    const file = path.join(wheelhouse, `${name}-${version}-py3-none-any.whl`)
    await fs.writeFile(file, `wheel ${name}`)
    wheels.push({ file, name, version, origin: 'index' })
  }
})
after(() => fs.rm(wheelhouse, { recursive: true, force: true }))

const quietly = async <T>(f: () => Promise<T>): Promise<T> => {
  const log = captureLog()
  try {
    return await f()
  } finally {
    log.restore()
  }
}

test('the recorded resolution comes back for its key, hashes checked', async () => {
  await recordResolution(wheelhouse, 'key-1', wheels)
  assert.deepEqual(await quietly(() => recordedResolution(wheelhouse, 'key-1')), wheels)
  assert.equal(await recordedResolution(wheelhouse, 'key-2'), undefined, 'another key')
})

test('the resolution file survives pruning, as the wheels it names do', async () => {
  await recordResolution(wheelhouse, 'key-1', wheels)
  await quietly(() =>
    pruneWheelhouse(
      wheelhouse,
      wheels.map(w => path.basename(w.file))
    )
  )
  assert.ok((await fs.readdir(wheelhouse)).includes(RESOLUTION_FILE))
})

test('a changed or missing wheel, or a local path package, means pip resolves again', async () => {
  await recordResolution(wheelhouse, 'key-1', wheels)
  await fs.writeFile(wheels[1].file, 'tampered')
  assert.equal(await quietly(() => recordedResolution(wheelhouse, 'key-1')), undefined)
  await fs.rm(wheels[1].file)
  assert.equal(await quietly(() => recordedResolution(wheelhouse, 'key-1')), undefined)
  await fs.writeFile(wheels[1].file, 'wheel b')
  await recordResolution(wheelhouse, 'key-1', [wheels[0], { ...wheels[1], origin: 'local' }])
  assert.equal(await quietly(() => recordedResolution(wheelhouse, 'key-1')), undefined)
})
