/**
 * The smoke test's verdict in the Actions cache: real @actions/cache round trips (tar and all)
 * against the loopback cache service stand-in (__tests__/helpers/cache-cache.server.ts), layers built
 * from generated wheels, imported by this machine's python3.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { promises as fs } from 'node:fs'
import * as http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { SmokeTestError, smokeTestLayer, type SmokeLayerOptions } from '../../src/smoke/smoke'
import type { LayerEntry } from '../../src/assemble/entries'
import { mergeWheels } from '../../src/assemble/layer'
import { wheelContent } from '../../src/assemble/wheel'
import { makeWheel } from '../helpers/wheels'
import {
  architecture,
  patchedPython,
  runEnv,
  runtime,
  smokeOptions,
  useSmokeCache,
  version
} from '../helpers/smoke-cache'

const RUN_ENV = runEnv('4242')

const cache = useSmokeCache('layer-smoke-verdict-')

/** The layer's entries from wheels with these modules, as the action assembles them. */
async function layer(name: string, modules: Record<string, string>): Promise<LayerEntry[]> {
  const wheel = await makeWheel(path.join(cache.tmp, name), {
    name: 'pkg',
    version: '1.0',
    tags: 'py3-none-any',
    modules
  })
  return mergeWheels([await wheelContent(wheel.path)])
}

function options(o: Partial<SmokeLayerOptions> = {}): SmokeLayerOptions {
  return smokeOptions(cache, 'test-action-1', '4242', o)
}

const smokeKeys = () =>
  cache.server
    .entries()
    .map(e => e.key)
    .filter(k => k.startsWith('layer-action-smoke-'))

test('a pass is kept and reused only for the same bytes on the same interpreter; a changed byte or another patch release tests again', async () => {
  const modules = { 'pkg/__init__.py': 'VALUE = 1\n', 'pkg/more.py': 'X = "abc"\n' }
  const entries = await layer('first', modules)

  const first = await smokeTestLayer(entries, options())
  assert.equal(first.cached, undefined)
  assert.deepEqual(first.modules, ['pkg'])
  // the key names what was tested, the Python it passed on and the run: a lookup reads it all
  assert.match(
    first.key ?? '',
    new RegExp(
      `^layer-action-smoke-${runtime.identifier.replace('.', '\\.')}-${architecture}-[0-9a-f]{32}-${version.replace('.', '\\.')}\\.\\d+-run4242$`
    )
  )
  assert.deepEqual(smokeKeys(), [first.key])
  assert.match(
    cache.log.text(),
    /No smoke test verdict for these bytes on [\d.]+ \(layer-action-smoke-/
  )
  assert.match(cache.log.text(), /Smoke test with .*: 1 of 1 top-level modules import/)

  // one byte changed, same size: the CRC differs, so does the key; the test runs again
  const changed = await layer('changed', { ...modules, 'pkg/more.py': 'X = "abd"\n' })
  cache.log.lines.length = 0
  const again = await smokeTestLayer(changed, options())
  assert.equal(again.cached, undefined)
  assert.notEqual(again.key, first.key)
  assert.match(cache.log.text(), /Smoke test with .*: 1 of 1 top-level modules import/)

  // another patch release of the same Python (a wrapper standing in for an updated interpreter)
  const bin = await patchedPython(path.join(cache.tmp, 'patched-bin'))
  cache.log.lines.length = 0
  const patched = await smokeTestLayer(
    entries,
    options({
      env: { ...process.env, ...RUN_ENV, PATH: `${bin}${path.delimiter}${process.env.PATH}` }
    })
  )
  assert.equal(patched.python, `${version}.99`)
  assert.equal(patched.cached, undefined)
  assert.notEqual(patched.key, first.key)

  // another version of this action tests again too
  const newer = await smokeTestLayer(entries, options({ action: 'test-action-2' }))
  assert.equal(newer.cached, undefined)
  assert.notEqual(newer.key, first.key)

  // the same bytes on the same interpreter: reused, without extracting anything (the wheel is gone)
  await fs.rm(path.join(cache.tmp, 'first'), { recursive: true })
  cache.log.lines.length = 0
  const reused = await smokeTestLayer(
    entries,
    options({ env: { ...process.env, ...RUN_ENV, GITHUB_RUN_ID: '5555' } })
  )
  assert.equal(reused.key, first.key)
  assert.equal(reused.cached?.run, '4242')
  assert.equal(reused.cached?.url, 'https://github.example/org/repo/actions/runs/4242')
  assert.deepEqual(reused.failures, [])
  assert.match(
    cache.log.text(),
    new RegExp(
      `Smoke test: passed for these bytes on ${version.replace('.', '\\.')}\\.\\d+ in run 4242 \\(https://github\\.example/org/repo/actions/runs/4242\\): not run again \\(cache key ${first.key}; 'gh cache delete ${first.key}' makes the next run test again\\)`
    )
  )
  assert.doesNotMatch(cache.log.text(), /Extracted \d+ files/)

  // gh cache delete <key>: the next run tests again (and, the wheel being gone, fails to extract)
  cache.server.remove(first.key as string)
  await assert.rejects(smokeTestLayer(entries, options()), /ENOENT|Extracting the layer/)
})

test('a failing layer is never kept as passing: every run tests it again', async () => {
  const entries = await layer('failing', {
    'pkg/__init__.py': 'raise ImportError("missing libfoo.so.1")\n'
  })
  const reservations = cache.server.reservations
  for (let run = 0; run < 2; run++) {
    cache.log.lines.length = 0
    await assert.rejects(smokeTestLayer(entries, options()), (error: unknown) => {
      assert.ok(error instanceof SmokeTestError)
      assert.match(error.message, /pkg: ImportError: missing libfoo\.so\.1/)
      return true
    })
    assert.match(cache.log.text(), /No smoke test verdict for these bytes/)
  }
  assert.equal(cache.server.reservations, reservations, 'nothing was saved')
})

test('with cache: false nothing is looked up or kept', async () => {
  const entries = await layer('nocache', { 'pkg/__init__.py': 'Y = 2\n' })
  const { lookups, reservations } = cache.server
  const result = await smokeTestLayer(entries, options({ cache: false }))
  assert.equal(result.key, undefined)
  assert.deepEqual(result.failures, [])
  assert.equal(cache.server.lookups, lookups)
  assert.equal(cache.server.reservations, reservations)
})

test('a cache service that answers 500 to everything (a loopback stand-in) costs the verdict, not the run', async () => {
  const broken = http.createServer((_req, res) => res.writeHead(500).end('{"message":"down"}'))
  await new Promise<void>(resolve => broken.listen(0, '127.0.0.1', resolve))
  const url = process.env.ACTIONS_CACHE_URL
  process.env.ACTIONS_CACHE_URL = `http://127.0.0.1:${(broken.address() as AddressInfo).port}/`
  try {
    const entries = await layer('down', { 'pkg/__init__.py': 'Z = 3\n' })
    const result = await smokeTestLayer(entries, options())
    assert.deepEqual(result.failures, [])
    assert.equal(result.cached, undefined)
    assert.match(cache.log.text(), /Smoke test with .*: 1 of 1 top-level modules import/)
  } finally {
    process.env.ACTIONS_CACHE_URL = url
    broken.closeAllConnections()
    await new Promise(resolve => broken.close(resolve))
  }
})
