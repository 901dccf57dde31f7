/**
 * The smoke test: import every top-level module of the built layer in clean interpreters of the
 * target Python, with only the layer and the standard library on sys.path. A missing shared
 * library or a wheel for the wrong platform fails here, before anything is uploaded. A pass is kept
 * in the Actions cache (./verdict.ts): the same bytes on the same interpreter are not tested twice;
 * and each module's (./incremental.ts): a module is imported again only when the files of what it
 * depends on changed.
 */
import * as core from '@actions/core'
import * as path from 'node:path'
import type { LayerEntry } from '../assemble/entries'
import { LayerActionError } from '../errors'
import type { Architecture, Runtime } from '../runtimes'
import { DEFAULT_IMPORT_TIMEOUT_MS, type ImportTiming, type SmokeFailure } from './imports'
import { IMPORTER } from './worker'
import { smokeInterpreter, type Interpreter } from './interpreter'
import { NEVER_IMPORTED, NOT_MODULES, layerModules, topLevelModules } from './modules'
import { importLayer } from './imports'
import { importModulesOf, keepPasses, planModules, reportKept } from './incremental'
import {
  thisActionFingerprint,
  layerDigest,
  passKey,
  restoreVerdict,
  verdictKey,
  type SavedVerdict
} from './verdict'

export interface SmokeResult {
  /** why nothing was imported (no such interpreter, another machine, no module); absent when the test ran or its verdict was reused */
  skipped?: string
  /** the interpreter used */
  interpreter?: string
  /** its full version, `3.11.7` */
  python?: string
  modules: string[]
  failures: SmokeFailure[]
  /** the verdict's Actions cache key (`gh cache delete <key>` forces a fresh test) */
  key?: string
  /** the verdict was reused: the run that passed these bytes */
  cached?: SavedVerdict
  /** interpreters run side by side */
  workers?: number
  /** the slowest imports first */
  timings?: ImportTiming[]
  /** the modules imported by this run (the others' verdicts were kept), when the verdict was not reused whole */
  tested?: string[]
  /** modules not imported again: their verdict holds for the same files of all they depend on; `key` is the tested run's pass */
  fromCache?: { module: string; run: string; url?: string; key: string }[]
  /** the per-module verdicts' Actions cache entry */
  modulesKey?: string
}

/** The layer does not import: names each module and its error. smokeTestLayer throws it before any upload. */
export class SmokeTestError extends LayerActionError {
  constructor(
    readonly failures: readonly SmokeFailure[],
    o?: { runtime: Runtime; architecture: Architecture; tested: number }
  ) {
    const lines = failures.slice(0, 20).map(f => `  ${f.module}: ${f.error}`)
    if (failures.length > 20) lines.push(`  … and ${failures.length - 20} more`)
    const count = o ? `${failures.length} of ${o.tested}` : `${failures.length}`
    const where = o ? `a clean ${o.runtime.identifier} (${o.architecture})` : 'a clean interpreter'
    super(
      `The layer failed its smoke test: ${count} top-level modules did not import in ${where} ` +
        `with only the layer on sys.path:\n${lines.join('\n')}\n` +
        'Nothing was uploaded. A missing shared library, a wheel for another platform or a missing ' +
        'dependency shows up here first. If a module only imports inside Lambda (it reads Lambda ' +
        "environment variables at import, say), set 'smoke-test: false'."
    )
  }
}

/** Everything about the test itself that a verdict depends on, besides the layer and the interpreter. */
const RECIPE = {
  version: 1,
  importer: IMPORTER,
  notModules: [...NOT_MODULES],
  neverImported: NEVER_IMPORTED.source,
  timeoutMs: DEFAULT_IMPORT_TIMEOUT_MS
}

/**
 * Imports every top-level module of `<layerDir>/python`, already on disk, in clean interpreters of
 * the target Python. Never throws for import failures (throw SmokeTestError from them); skips, with
 * the reason, where the runner has no such interpreter or is not the target's machine.
 */
export async function smokeTest(o: {
  layerDir: string
  runtime: Runtime
  architecture: Architecture
  env?: NodeJS.ProcessEnv
  /** per import; one still running then counts as failed */
  timeoutMs?: number
  workers?: number
}): Promise<SmokeResult> {
  const env = o.env ?? process.env
  const found = await smokeInterpreter(o.runtime, o.architecture, env)
  if ('skipped' in found) return { skipped: found.skipped, modules: [], failures: [] }
  const modules = await layerModules(path.resolve(o.layerDir, 'python'))
  const {
    observed: _o,
    incomplete: _i,
    ...result
  } = await importLayer(o.layerDir, found, {
    ...o,
    env,
    modules
  })
  return result
}

/**
 * The interpreter smokeTestLayer will use, probed ahead of it (and this action's fingerprint read) so
 * they overlap the cache restore; an unexpected failure surfaces where the promise is awaited, not
 * as an unhandled one.
 */
export function probeInterpreter(o: {
  runtime: Runtime
  architecture: Architecture
  env?: NodeJS.ProcessEnv
  /** verdicts are kept (the `cache` input): the fingerprint is needed */
  cache?: boolean
}): Promise<Interpreter | { skipped: string }> {
  const found = smokeInterpreter(o.runtime, o.architecture, o.env ?? process.env)
  found.catch(() => undefined)
  // the bundle is hashed now too, not beside the zip, which needs the CPU then
  if (o.cache) void thisActionFingerprint()
  return found
}

export interface SmokeLayerOptions {
  runtime: Runtime
  architecture: Architecture
  /** where the layer is extracted when /dev/shm has no room for it */
  layerDir: string
  /** a fixed folder for the verdict's cache entry (the Actions cache keys paths too) */
  verdictDir: string
  /** keep and reuse passing verdicts in the Actions cache (the `cache` input) */
  cache: boolean
  env?: NodeJS.ProcessEnv
  /** this action's version; by default the fingerprint of the running bundle */
  action?: string
  /** the interpreter, probed earlier (run() starts the probe while the wheels are restored) */
  interpreter?: Promise<Interpreter | { skipped: string }>
  timeoutMs?: number
  workers?: number
}

/** Where the per-module verdicts are restored to and saved from: fixed, beside the whole layer's. */
const modulesDir = (verdictDir: string) => path.join(path.dirname(verdictDir), 'smoke-imports')

/**
 * The verdict's identity for these entries on this interpreter, a pass kept for it, and the prefix
 * of the per-module verdicts' entries; nothing with `cache: false`.
 */
async function lookUpVerdict(
  entries: readonly LayerEntry[],
  interpreter: Interpreter,
  o: SmokeLayerOptions,
  env: NodeJS.ProcessEnv
): Promise<{ identity?: string; saved?: SavedVerdict; prefix?: string }> {
  if (!o.cache) return {}
  const [action, layer] = await Promise.all([
    o.action ?? thisActionFingerprint(),
    layerDigest(entries)
  ])
  if (!action) return {}
  const common = {
    interpreter,
    runtime: o.runtime,
    architecture: o.architecture,
    recipe: RECIPE,
    action
  }
  const identity = verdictKey({ ...common, layer })
  // the same settings without a layer: per-module verdicts depend on units, not on the whole layer
  const prefix = verdictKey({ ...common, layer: 'per-module' }).replace(
    /^layer-action-smoke-/,
    'layer-action-imports-'
  )
  return { identity, saved: await restoreVerdict(o.verdictDir, identity, env), prefix }
}

/**
 * The smoke test of a layer not yet on disk: its modules read from the entry names; the verdict
 * reused when these files passed on this interpreter before; otherwise each module whose own
 * verdict does not hold (./incremental.ts) imported from the files it can need (extracted in
 * /dev/shm, else under `layerDir`, then removed), and the passes kept. Throws SmokeTestError when
 * any module failed to import: the run stops before upload.
 */
export async function smokeTestLayer(
  entries: readonly LayerEntry[],
  o: SmokeLayerOptions
): Promise<SmokeResult> {
  const { runtime, architecture } = o
  const env = o.env ?? process.env
  const modules = topLevelModules(entries.map(e => e.path))
  if (modules.length === 0) {
    core.info('Smoke test: the layer has no top-level module to import')
    return { skipped: 'the layer has no top-level module to import', modules, failures: [] }
  }
  const found = await (o.interpreter ?? smokeInterpreter(runtime, architecture, env))
  if ('skipped' in found) {
    core.notice(`Smoke test skipped: ${found.skipped}`)
    return { skipped: found.skipped, modules: [], failures: [] }
  }
  const { path: interpreter, version: python } = found

  const { identity, saved, prefix } = await lookUpVerdict(entries, found, o, env)
  if (saved) {
    const where = saved.url ? `run ${saved.run} (${saved.url})` : `run ${saved.run}`
    core.info(
      `Smoke test: passed for these bytes on ${saved.python} in ${where}: not run again ` +
        `(cache key ${saved.key}; 'gh cache delete ${saved.key}' makes the next run test again)`
    )
    return { interpreter, python, modules, failures: [], key: saved.key, cached: saved }
  }
  const key = identity ? passKey(identity, found.version, env) : undefined
  if (key)
    core.info(`No smoke test verdict for these bytes on ${found.version} (${identity}): testing`)

  const dir = modulesDir(o.verdictDir)
  const { verdictDir } = o
  const plan = prefix
    ? await planModules(entries, modules, { prefix, dir, verdictDir, runtime, architecture })
    : undefined
  if (plan && plan.kept.size > 0) reportKept(plan, modules.length, python)
  const toTest = modules.filter(m => !plan?.kept.has(m))
  const imported =
    toTest.length > 0
      ? await importModulesOf(entries, toTest, plan, found, { ...o, env })
      : undefined
  if (imported && imported.failures.length > 0)
    throw new SmokeTestError(imported.failures, { runtime, architecture, tested: toTest.length })
  const kept =
    key && imported ? await keepPasses(key, modules, plan, imported, o.verdictDir, env) : undefined
  const fromCache = [...(plan?.kept.values() ?? [])].map(({ module, run, url, pass }) => ({
    module,
    run,
    url,
    key: pass
  }))
  return {
    interpreter,
    python,
    modules,
    failures: [],
    key,
    workers: imported?.workers,
    timings: imported?.timings,
    tested: imported?.modules.slice().sort() ?? [],
    fromCache,
    modulesKey: kept ?? plan?.restored?.key
  }
}
