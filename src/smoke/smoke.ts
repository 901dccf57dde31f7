/**
 * The smoke test: import every top-level module of the built layer in clean interpreters of the
 * target Python, with only the layer and the standard library on sys.path. A missing shared
 * library or a wheel for the wrong platform fails here, before anything is uploaded. A pass is kept
 * in the Actions cache (./verdict.ts): the same bytes on the same interpreter are not tested twice.
 */
import * as core from '@actions/core'
import { promises as fs } from 'node:fs'
import os from 'node:os'
import * as path from 'node:path'
import { withExtractedLayer } from '../assemble/extract'
import type { LayerEntry } from '../assemble/entries'
import { LayerActionError } from '../errors'
import type { Architecture, Runtime } from '../runtimes'
import {
  DEFAULT_IMPORT_TIMEOUT_MS,
  importModules,
  type ImportTiming,
  type SmokeFailure
} from './imports'
import { IMPORTER } from './worker'
import { smokeInterpreter, type Interpreter } from './interpreter'
import {
  NEVER_IMPORTED,
  NOT_MODULES,
  entriesForImport,
  layerModules,
  moduleWeights,
  topLevelModules
} from './modules'
import {
  actionFingerprint,
  layerDigest,
  passKey,
  restoreVerdict,
  saveVerdict,
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
 * Imports `modules` from `<layerDir>/python` and says so in the log. Never throws for import
 * failures: they come back in `failures`, one per module.
 */
async function importLayer(
  layerDir: string,
  interpreter: Interpreter,
  o: { modules: string[]; env: NodeJS.ProcessEnv; timeoutMs?: number; workers?: number }
): Promise<SmokeResult> {
  const started = performance.now()
  const cwd = await fs.mkdtemp(path.join(os.tmpdir(), 'layer-smoke-'))
  try {
    const r = await importModules({
      interpreter: interpreter.path,
      pythonDir: path.resolve(layerDir, 'python'),
      modules: o.modules,
      env: o.env,
      cwd,
      timeoutMs: o.timeoutMs,
      workers: o.workers
    })
    const seconds = (performance.now() - started) / 1000
    core.info(
      `Smoke test with ${interpreter.path} (${interpreter.version}, ${r.workers} side by side): ` +
        `${o.modules.length - r.failures.length} of ${o.modules.length} top-level modules import ` +
        `(${seconds.toFixed(2)} s, ${r.cpuSeconds.toFixed(2)} s CPU)`
    )
    core.debug(
      `slowest imports: ${r.timings
        .slice(0, 10)
        .map(t => `${t.module} ${t.seconds.toFixed(2)} s`)
        .join(', ')}`
    )
    return {
      interpreter: interpreter.path,
      python: interpreter.version,
      modules: o.modules,
      failures: r.failures,
      workers: r.workers,
      timings: r.timings
    }
  } finally {
    await fs.rm(cwd, { recursive: true, force: true })
  }
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
  return importLayer(o.layerDir, found, { ...o, env, modules })
}

/**
 * The interpreter smokeTestLayer will use, probed ahead of it so the probe overlaps the cache
 * restore; an unexpected failure surfaces where the promise is awaited, not as an unhandled one.
 */
export function probeInterpreter(o: {
  runtime: Runtime
  architecture: Architecture
  env?: NodeJS.ProcessEnv
}): Promise<Interpreter | { skipped: string }> {
  const found = smokeInterpreter(o.runtime, o.architecture, o.env ?? process.env)
  found.catch(() => undefined)
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

/** The verdict's identity for these entries on this interpreter, and a pass kept for it; nothing with `cache: false`. */
async function lookUpVerdict(
  entries: readonly LayerEntry[],
  interpreter: Interpreter,
  o: SmokeLayerOptions,
  env: NodeJS.ProcessEnv
): Promise<{ identity?: string; saved?: SavedVerdict }> {
  if (!o.cache) return {}
  const [action, layer] = await Promise.all([o.action ?? actionFingerprint(), layerDigest(entries)])
  if (!action) return {}
  const identity = verdictKey({
    layer,
    interpreter,
    runtime: o.runtime,
    architecture: o.architecture,
    recipe: RECIPE,
    action
  })
  return { identity, saved: await restoreVerdict(o.verdictDir, identity, env) }
}

/**
 * The smoke test of a layer not yet on disk: its modules read from the entry names; the verdict
 * reused when these files passed on this interpreter before; otherwise the files the imports can
 * need extracted (in /dev/shm, else under `layerDir`), imported, removed, and a pass kept. Throws
 * SmokeTestError when any module failed to import: the run stops before upload.
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

  const { identity, saved } = await lookUpVerdict(entries, found, o, env)
  if (saved) {
    const where = saved.url ? `run ${saved.run} (${saved.url})` : `run ${saved.run}`
    core.info(
      `Smoke test: passed for these bytes on ${saved.python} in ${where}: not run again ` +
        `(cache key ${saved.key}; 'gh cache delete ${saved.key}' makes the next run test again)`
    )
    const { path: interpreter, version: python } = found
    return { interpreter, python, modules, failures: [], key: saved.key, cached: saved }
  }
  const key = identity ? passKey(identity, found.version, env) : undefined
  if (key)
    core.info(`No smoke test verdict for these bytes on ${found.version} (${identity}): testing`)

  const weights = moduleWeights(entries)
  const order = [...modules].sort((a, b) => (weights.get(b) ?? 0) - (weights.get(a) ?? 0))
  const result = await withExtractedLayer(entriesForImport(entries, modules), o.layerDir, dir =>
    importLayer(dir, found, { env, modules: order, timeoutMs: o.timeoutMs, workers: o.workers })
  )
  result.modules = modules
  if (result.failures.length > 0)
    throw new SmokeTestError(result.failures, { runtime, architecture, tested: modules.length })
  if (key && (await saveVerdict(o.verdictDir, key, { modules })))
    core.info(
      `Kept the smoke test verdict (${key}): unchanged layers skip the test; 'gh cache delete ${key}' makes the next run test again`
    )
  return { ...result, key }
}
