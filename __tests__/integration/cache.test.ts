/**
 * Real @actions/cache restoreCache/saveCache (tar + zstd and HTTP) against a loopback emulation of
 * the Actions cache service's v1 protocol: GitHub's service cannot run here.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { promises as fs } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { findRuntime } from '../../src/runtimes'
import {
  pruneWheelhouse,
  restoreWheelhouse,
  saveWheelhouse,
  wheelhouseCacheKey,
  wheelhouseRestoreKey
} from '../../src/fetch/cache'
import { startCacheServer, type CacheServer } from '../helpers/cache-server'
import { captureLog, type CapturedLog } from '../helpers/log'

const runtime = findRuntime('3.12')!
let tmp: string
let server: CacheServer
let log: CapturedLog
const savedEnv = { ...process.env }

before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'layer-cachesvc-'))
  server = await startCacheServer()
  process.env.ACTIONS_CACHE_URL = server.url
  process.env.ACTIONS_RUNTIME_TOKEN = 'runtime-token'
  process.env.RUNNER_TEMP = path.join(tmp, 'runner-temp')
  delete process.env.ACTIONS_CACHE_SERVICE_V2
  delete process.env.ACTIONS_CACHE_MODE
  await fs.mkdir(process.env.RUNNER_TEMP, { recursive: true })
  log = captureLog()
})

after(async () => {
  log.restore()
  for (const k of ['ACTIONS_CACHE_URL', 'ACTIONS_RUNTIME_TOKEN', 'RUNNER_TEMP']) {
    if (savedEnv[k] === undefined) delete process.env[k]
    else process.env[k] = savedEnv[k]
  }
  await server.close()
  await fs.rm(tmp, { recursive: true, force: true })
})

const wheelhouse = () => path.join(tmp, 'wheelhouse')
const keyFor = (content: string) =>
  wheelhouseCacheKey({
    requirementFiles: [{ path: 'requirements.txt', content }],
    runtime,
    architecture: 'x86_64',
    pipArgs: []
  })
const restoreKeys = [wheelhouseRestoreKey(runtime, 'x86_64')]

test('miss, save, then an exact hit restores the files and saves nothing again', async () => {
  const key = keyFor('a==1\n')
  const first = await restoreWheelhouse({ wheelhouse: wheelhouse(), key, restoreKeys })
  assert.equal(first.status, 'miss')
  await fs.writeFile(path.join(wheelhouse(), 'a-1-py3-none-any.whl'), 'wheel a')
  assert.equal(await saveWheelhouse({ wheelhouse: wheelhouse(), restored: first }), true)
  assert.deepEqual(
    server.entries().map(e => e.key),
    [key]
  )

  await fs.rm(wheelhouse(), { recursive: true })
  const second = await restoreWheelhouse({ wheelhouse: wheelhouse(), key, restoreKeys })
  assert.deepEqual(second, { status: 'exact', key, matchedKey: key })
  assert.equal(
    await fs.readFile(path.join(wheelhouse(), 'a-1-py3-none-any.whl'), 'utf8'),
    'wheel a'
  )

  const reservations = server.reservations
  assert.equal(await saveWheelhouse({ wheelhouse: wheelhouse(), restored: second }), false)
  assert.equal(server.reservations, reservations, 'no save attempted after an exact hit')
})

test('changed requirements: a partial hit by prefix, pruned to what was resolved, saved under the new key', async () => {
  await fs.rm(wheelhouse(), { recursive: true, force: true })
  const key = keyFor('a==1\nb==2\n')
  const restored = await restoreWheelhouse({ wheelhouse: wheelhouse(), key, restoreKeys })
  assert.equal(restored.status, 'partial')
  assert.equal(restored.matchedKey, keyFor('a==1\n'))
  assert.deepEqual(await fs.readdir(wheelhouse()), ['a-1-py3-none-any.whl'])

  // what pip download would leave: the reused wheel, a new one; the old wheel resolved no more
  await fs.writeFile(path.join(wheelhouse(), 'b-2-py3-none-any.whl'), 'wheel b')
  await fs.writeFile(path.join(wheelhouse(), 'old-0-py3-none-any.whl'), 'stale')
  const removed = await pruneWheelhouse(wheelhouse(), [
    'a-1-py3-none-any.whl',
    'b-2-py3-none-any.whl'
  ])
  assert.deepEqual(removed, ['old-0-py3-none-any.whl'])
  assert.equal(await saveWheelhouse({ wheelhouse: wheelhouse(), restored }), true)
  assert.deepEqual(
    server
      .entries()
      .map(e => e.key)
      .sort(),
    [key, keyFor('a==1\n')].sort()
  )
})

test('another runtime or architecture never restores these wheels', async () => {
  const other = findRuntime('3.11')!
  const key = wheelhouseCacheKey({
    requirementFiles: [],
    runtime: other,
    architecture: 'x86_64',
    pipArgs: []
  })
  const restored = await restoreWheelhouse({
    wheelhouse: path.join(tmp, 'wh-311'),
    key,
    restoreKeys: [wheelhouseRestoreKey(other, 'x86_64')]
  })
  assert.equal(restored.status, 'miss')
  const arm = await restoreWheelhouse({
    wheelhouse: path.join(tmp, 'wh-arm'),
    key: keyFor('a==1\n').replace('x86_64', 'arm64'),
    restoreKeys: [wheelhouseRestoreKey(runtime, 'arm64')]
  })
  assert.equal(arm.status, 'miss')
})

test('a key another job saved first (the service refuses the reservation) is no warning', async () => {
  const key = keyFor('a==1\nb==2\n')
  const lines = log.lines.length
  const reservations = server.reservations
  assert.equal(
    await saveWheelhouse({ wheelhouse: wheelhouse(), restored: { status: 'miss', key } }),
    false
  )
  assert.equal(server.reservations, reservations + 1, 'the save reached the service')
  assert.ok(
    !log.lines.slice(lines).some(l => l.startsWith('::warning::')),
    log.lines.slice(lines).join('\n')
  )
})
