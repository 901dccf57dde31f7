/**
 * Per-module smoke test verdicts: real @actions/cache round trips against the loopback cache service
 * stand-in, layers merged from generated wheels (several distributions), imported by this machine's
 * python3. A module is imported again exactly when the files of something its import depends on
 * changed: its own distribution, one it declares, or one its interpreter was seen reading.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import {
  SmokeTestError,
  smokeTestLayer,
  type SmokeLayerOptions,
  type SmokeResult
} from '../../src/smoke/smoke'
import type { LayerEntry } from '../../src/assemble/entries'
import { mergeWheels } from '../../src/assemble/layer'
import { wheelContent } from '../../src/assemble/wheel'
import { makeWheel, type WheelSpec } from '../helpers/wheels'
import { patchedPython, smokeOptions, useSmokeCache, version } from '../helpers/smoke-cache'

const cache = useSmokeCache('layer-smoke-modules-')
let built = 0

/** `# ...` to `bytes`: the import order is heaviest first, so these set it. */
const pad = (bytes: number) => `${'#'.repeat(bytes - 1)}\n`

/**
 * alpha imports gamma without declaring it and declares delta without importing it (and beta for
 * Python 2 only); eps reads a file of zeta's tree by path (no import); beta stands alone. With one
 * interpreter, the first run imports eps, zeta_data, beta, delta, gamma, alpha in this order.
 */
const BASE: Record<string, WheelSpec> = {
  eps: {
    name: 'eps',
    version: '1.0',
    tags: 'py3-none-any',
    modules: {
      'eps/__init__.py':
        'import os\nwith open(os.path.join(os.path.dirname(os.path.dirname(__file__)), "zeta_data", "x.txt")) as f:\n    DATA = f.read()\n' +
        pad(600)
    }
  },
  zeta: {
    name: 'zeta',
    version: '1.0',
    tags: 'py3-none-any',
    modules: { 'zeta_data/x.txt': `one\n${pad(500)}` }
  },
  beta: {
    name: 'beta',
    version: '1.0',
    tags: 'py3-none-any',
    modules: { 'beta/__init__.py': `B = 2\n${pad(400)}` }
  },
  delta: {
    name: 'delta',
    version: '1.0',
    tags: 'py3-none-any',
    modules: { 'delta/__init__.py': `D = 1\n${pad(300)}` }
  },
  gamma: {
    name: 'gamma',
    version: '1.0',
    tags: 'py3-none-any',
    modules: { 'gamma/__init__.py': `G = 1\n${pad(200)}` }
  },
  alpha: {
    name: 'alpha',
    version: '1.0',
    tags: 'py3-none-any',
    requires: ['delta', 'beta; python_version < "3"'],
    modules: { 'alpha/__init__.py': 'import gamma\nVALUE = gamma.G + 1\n' }
  }
}
const ALL = ['alpha', 'beta', 'delta', 'eps', 'gamma', 'zeta_data']

/** The entries of a layer of BASE with some distributions' files replaced (or added). */
async function layer(changes: Record<string, Partial<WheelSpec>> = {}): Promise<LayerEntry[]> {
  const dir = path.join(cache.tmp, `wheels-${built++}`)
  const specs = { ...BASE }
  for (const [name, change] of Object.entries(changes))
    specs[name] = { ...(specs[name] ?? { name, version: '1.0', tags: 'py3-none-any' }), ...change }
  const wheels = await Promise.all(Object.values(specs).map(s => makeWheel(dir, s)))
  return mergeWheels(await Promise.all(wheels.map(w => wheelContent(w.path))))
}

function options(action: string, run: string, o: Partial<SmokeLayerOptions> = {}) {
  // one interpreter: the order of the first run's imports is known
  return smokeOptions(cache, action, run, { workers: 1, ...o })
}

/** A smoke test as a run does it, its log kept apart. */
async function smoke(
  entries: LayerEntry[],
  o: SmokeLayerOptions
): Promise<SmokeResult & { text: string }> {
  cache.log.lines.length = 0
  const result = await smokeTestLayer(entries, o)
  return { ...result, text: cache.log.text() }
}

const kept = (r: SmokeResult) => (r.fromCache ?? []).map(k => k.module).sort()

/** One distribution's module file replaced, its weight kept. */
const change = (dist: string, content: string): Record<string, Partial<WheelSpec>> => {
  const file = Object.keys(BASE[dist].modules ?? {})[0]
  return { [dist]: { modules: { [file]: `${content}\n${pad(dist === 'alpha' ? 10 : 420)}` } } }
}

test('a module is imported again only when the files of what it depends on changed, on the same interpreter; the log and result say which run tested the others, under which key', async () => {
  const action = 'per-module-1'
  const first = await smoke(await layer(), options(action, '100'))
  assert.deepEqual(first.tested, ALL)
  assert.deepEqual(kept(first), [])
  assert.match(first.text, /Smoke test with .*: 6 of 6 top-level modules import/)

  // one byte of beta: beta is imported again, and so is every module that the first run imported
  // after it in the same interpreter (delta, gamma, alpha): what ran before an import counts for it
  const b3 = await layer(change('beta', 'B = 3'))
  const second = await smoke(b3, options(action, '101'))
  assert.deepEqual(second.tested, ['alpha', 'beta', 'delta', 'gamma'])
  assert.deepEqual(kept(second), ['eps', 'zeta_data'])
  assert.ok(second.fromCache?.every(k => k.run === '100' && k.key === first.key))
  assert.equal(second.fromCache?.[0].url, 'https://github.example/org/repo/actions/runs/100')
  assert.match(
    second.text,
    new RegExp(
      `Smoke test: 2 of 6 top-level modules passed on [\\d.]+ with the same files of every distribution they depend on, not imported again: eps, zeta_data in run 100 \\(https://github\\.example/org/repo/actions/runs/100\\), cache key ${first.key}\\. 'gh cache delete <that key>' makes the next run import them again`
    )
  )
  assert.match(second.text, /Smoke test with .*: 4 of 4 top-level modules import/)
  // only the files of what those four declare and dist-info were extracted: not eps's or zeta's
  const extracted = Number(/Extracted (\d+) files/.exec(second.text)?.[1])
  assert.ok(extracted > 0 && extracted <= b3.length - 2, `${extracted} of ${b3.length}`)
  // a run that took verdicts from another keeps no pass of the whole layer under its plain key
  assert.match(second.key ?? '', /-run101$/)
  assert.ok(cache.server.entries().some(e => e.key === `${second.key}-partial`))
  assert.ok(!cache.server.entries().some(e => e.key === second.key))

  // those four were imported each in an interpreter of its own: now a change of beta is beta's alone
  const third = await smoke(await layer(change('beta', 'B = 4')), options(action, '102'))
  assert.deepEqual(third.tested, ['beta'])
  assert.deepEqual(kept(third), ['alpha', 'delta', 'eps', 'gamma', 'zeta_data'])

  // the same layer on another patch release of the interpreter: every module again
  const bin = await patchedPython(path.join(cache.tmp, 'patched-bin'))
  const patched = await smoke(
    b3,
    options(action, '103', {
      env: { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH}` }
    })
  )
  assert.equal(patched.python, `${version}.99`)
  assert.deepEqual(patched.tested, ALL)
  assert.deepEqual(kept(patched), [])
})

test('a changed byte of a distribution imported but not declared, declared but not imported, or read by path, imports its dependents again; a Requires-Dist false for the target does not', async () => {
  const action = 'per-module-2'
  await smoke(await layer(), options(action, '200'))
  // alpha, imported last, alone: from the files of what it declares, where gamma (imported, not
  // declared) is missing; its interpreter asks for gamma, so it is imported again with every file
  const a2 = change('alpha', 'import gamma\nVALUE = gamma.G + 2')
  const own = await smoke(await layer(a2), options(action, '201'))
  assert.deepEqual(own.tested, ['alpha'])
  assert.match(
    own.text,
    /Smoke test: alpha asked for names left out of the files extracted for it: imported again with every file/
  )

  // gamma changed: alpha, which imports it (no Requires-Dist says so), is imported again
  const g2 = await smoke(
    await layer({ ...a2, ...change('gamma', 'G = 5') }),
    options(action, '202')
  )
  assert.deepEqual(g2.tested, ['alpha', 'gamma'])

  // delta changed: alpha declares it (and never imports it): imported again too
  const d2 = await smoke(
    await layer({ ...a2, ...change('gamma', 'G = 5'), ...change('delta', 'D = 2') }),
    options(action, '203')
  )
  assert.deepEqual(d2.tested, ['alpha', 'delta'])

  // beta changed: alpha requires it only on Python 2 (a marker false for the target): alpha stays
  const b2 = {
    ...a2,
    ...change('gamma', 'G = 5'),
    ...change('delta', 'D = 2'),
    ...change('beta', 'B = 7')
  }
  const beta = await smoke(await layer(b2), options(action, '204'))
  assert.deepEqual(beta.tested, ['beta'])

  // zeta's data file changed: eps, which reads it by path, is imported again
  const z2 = await smoke(
    await layer({ ...b2, zeta: { modules: { 'zeta_data/x.txt': `two\n${pad(500)}` } } }),
    options(action, '205')
  )
  assert.deepEqual(z2.tested, ['eps', 'zeta_data'])
})

test('a module added to the layer imports every module again: a try/except import elsewhere may now find it', async () => {
  const action = 'per-module-3'
  await smoke(await layer(), options(action, '300'))
  const more = await smoke(
    await layer({ omega: { modules: { 'omega/__init__.py': 'O = 1\n' } } }),
    options(action, '301')
  )
  assert.deepEqual(more.tested, [...ALL, 'omega'].sort())
})

test('a failing module is never kept as passing: nothing is saved, and it is imported again by every run', async () => {
  const action = 'per-module-4'
  await smoke(await layer(), options(action, '400'))
  const failing = await layer(change('beta', 'raise ImportError("missing libbeta.so.1")'))
  for (const run of ['401', '402']) {
    const reservations = cache.server.reservations
    cache.log.lines.length = 0
    await assert.rejects(smokeTestLayer(failing, options(action, run)), (error: unknown) => {
      assert.ok(error instanceof SmokeTestError)
      assert.match(error.message, /1 of 4 top-level modules did not import/)
      assert.match(error.message, /beta: ImportError: missing libbeta\.so\.1/)
      return true
    })
    assert.match(cache.log.text(), /Smoke test with .*: 3 of 4 top-level modules import/)
    assert.equal(cache.server.reservations, reservations, 'nothing was saved')
  }
})

test("'gh cache delete <key>' withdraws the verdicts of the run that key names: its modules are imported again, the others not", async () => {
  const action = 'per-module-5'
  const first = await smoke(await layer(), options(action, '500'))
  const b2 = await layer(change('beta', 'B = 4'))
  const second = await smoke(b2, options(action, '501'))
  assert.deepEqual(second.tested, ['alpha', 'beta', 'delta', 'gamma'])
  const partial = `${second.key}-partial`
  assert.match(
    second.text,
    new RegExp(`'gh cache delete ${partial}' makes the next run import its 4 modules again`)
  )

  // the first run's pass deleted: its two modules are imported again, the four of run 501 are not
  cache.server.remove(first.key as string)
  const third = await smoke(b2, options(action, '502'))
  assert.match(third.text, new RegExp(`${first.key} is no longer in the cache`))
  assert.deepEqual(third.tested, ['eps', 'zeta_data'])
  assert.deepEqual(kept(third), ['alpha', 'beta', 'delta', 'gamma'])
  assert.ok(third.fromCache?.every(k => k.key === partial && k.run === '501'))

  // both runs' keys deleted: everything again
  cache.server.remove(partial)
  cache.server.remove(`${third.key}-partial`)
  const fourth = await smoke(b2, options(action, '503'))
  assert.deepEqual(fourth.tested, ALL)
  // a run that imported every module keeps the whole layer's pass: the next reuses it whole
  const fifth = await smoke(b2, options(action, '504'))
  assert.equal(fifth.cached?.run, '503')
  assert.equal(fifth.tested, undefined)
})

test('a module imported from a partial extraction that tries a name left out (try/except ImportError) is imported again with every file: the fallback it took there is not what the layer does', async () => {
  const action = 'per-module-6'
  await smoke(await layer(), options(action, '600'))
  // beta and what came after it imported each in an interpreter of its own: beta's alone from here
  assert.deepEqual(
    (await smoke(await layer(change('beta', 'B = 3')), options(action, '601'))).tested,
    ['alpha', 'beta', 'delta', 'gamma']
  )
  // beta now tries gamma, which is in the layer but lacks what beta wants: with gamma left out of
  // the extraction the ImportError fallback would pass; with every file it fails, as on Lambda
  const tries = change(
    'beta',
    'try:\n    import gamma\n    gamma.require_v2()\nexcept ImportError:\n    pass'
  )
  await assert.rejects(
    smokeTestLayer(await layer(tries), options(action, '602')),
    (error: unknown) => {
      assert.ok(error instanceof SmokeTestError)
      assert.match(
        error.message,
        /beta: AttributeError: module 'gamma' has no attribute 'require_v2'/
      )
      return true
    }
  )
  assert.match(cache.log.text(), /beta asked for names left out of the files extracted for it/)
})

test('an interpreter of its own that crashes on its way out fails the module it imported', async () => {
  const action = 'per-module-7'
  await smoke(await layer(), options(action, '700'))
  // beta passes its import, then its interpreter dies as it exits (SIGKILL instead of os._exit)
  const dies = change(
    'beta',
    'import os, signal\nos._exit = lambda code: os.kill(os.getpid(), signal.SIGKILL)'
  )
  await assert.rejects(
    smokeTestLayer(await layer(dies), options(action, '701')),
    (error: unknown) => {
      assert.ok(error instanceof SmokeTestError)
      assert.match(
        error.message,
        /beta: the import returned, then its interpreter crashed \(signal SIGKILL\)/
      )
      assert.doesNotMatch(error.message, /alpha|delta|gamma/)
      return true
    }
  )
})
