/**
 * The imports of a smoke test that is not reused whole: the modules whose kept verdict
 * (./module-verdicts.ts) still holds are not imported again; the others are, with only the files
 * their imports can need extracted. An interpreter that asks for a name left out of that extraction
 * has seen another layer than the one built: its modules are imported again with every file there.
 */
import * as core from '@actions/core'
import { promises as fs } from 'node:fs'
import os from 'node:os'
import * as path from 'node:path'
import { withExtractedLayer } from '../assemble/extract'
import type { LayerEntry } from '../assemble/entries'
import type { Architecture, Runtime } from '../runtimes'
import { importModules, type ImportTiming, type SmokeFailure } from './imports'
import { workerCommand, type Interpreter } from './interpreter'
import { entriesForImport, moduleWeights, topLevelModules } from './modules'
import {
  keptVerdict,
  restoreModuleVerdicts,
  saveModuleVerdicts,
  verdictDigest,
  type ModuleSettings,
  type ModuleVerdict
} from './module-verdicts'
import {
  declaredUnits,
  layerUnits,
  observedUnits,
  partialExtraction,
  type LayerUnits
} from './units'
import { passKept, runOf, runUrl } from './verdict'

/** What the imports of one smoke test found. */
export interface Imported {
  interpreter: string
  python: string
  /** the modules imported (not those whose verdict was kept) */
  modules: string[]
  failures: SmokeFailure[]
  workers: number
  timings: ImportTiming[]
  /** module → the files of the layer its interpreter had touched by the end of its import */
  observed: Map<string, Set<string>>
  /** modules whose interpreter asked for a name not extracted */
  incomplete: Set<string>
  /** each module was imported in an interpreter of its own */
  isolated: boolean
}

/**
 * Imports `modules` from `<layerDir>/python` and says so in the log. Never throws for import
 * failures: they come back in `failures`, one per module.
 */
export async function importLayer(
  layerDir: string,
  interpreter: Interpreter,
  o: {
    modules: string[]
    env: NodeJS.ProcessEnv
    timeoutMs?: number
    workers?: number
    absent?: readonly string[]
    isolated?: boolean
  }
): Promise<Imported> {
  const started = performance.now()
  const cwd = await fs.mkdtemp(path.join(os.tmpdir(), 'layer-smoke-'))
  try {
    const r = await importModules({
      interpreter: await workerCommand(interpreter, o.env),
      pythonDir: path.resolve(layerDir, 'python'),
      modules: o.modules,
      env: o.env,
      cwd,
      timeoutMs: o.timeoutMs,
      workers: o.workers,
      absent: o.absent,
      isolated: o.isolated
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
      timings: r.timings,
      observed: r.observed,
      incomplete: r.incomplete,
      isolated: !!o.isolated
    }
  } finally {
    await fs.rm(cwd, { recursive: true, force: true })
  }
}

/** The layer's units and the per-module verdicts kept for these settings that still hold. */
export interface ModulePlan {
  settings: ModuleSettings
  units: LayerUnits
  /** module → its kept verdict, for the modules not imported again */
  kept: Map<string, ModuleVerdict>
  /** the entry the verdicts came from */
  restored?: { key: string; verdicts: ModuleVerdict[] }
  dir: string
}

export async function planModules(
  entries: readonly LayerEntry[],
  modules: readonly string[],
  o: {
    prefix: string
    dir: string
    verdictDir: string
    runtime: Runtime
    architecture: Architecture
  }
): Promise<ModulePlan> {
  const [units, restored] = await Promise.all([
    layerUnits(entries, o.runtime, o.architecture),
    restoreModuleVerdicts(o.dir, o.prefix)
  ])
  const settings = { prefix: o.prefix, names: modules }
  const holding = new Map<string, ModuleVerdict>()
  for (const m of modules) {
    const v = keptVerdict(restored?.verdicts ?? [], settings, units, m)
    if (v) holding.set(m, v)
  }
  // a verdict holds while the pass of the run that tested it is kept: deleting it tests again
  const passes = [...new Set([...holding.values()].map(v => v.pass))]
  const gone = new Set(
    (
      await Promise.all(passes.map(async p => ((await passKept(o.verdictDir, p)) ? [] : [p])))
    ).flat()
  )
  for (const p of gone)
    core.info(`Smoke test: ${p} is no longer in the cache: its modules are imported again`)
  const kept = new Map([...holding].filter(([, v]) => !gone.has(v.pass)))
  return { settings, units, kept, restored, dir: o.dir }
}

/**
 * Imports `modules`: with a plan that has kept verdicts, only the files of the units their imports
 * can need (their own, what those declare, what their last test saw) are extracted, and a module
 * whose interpreter asked for any other top-level name is imported again with every file; without,
 * every file the imports can need.
 */
export async function importModulesOf(
  entries: readonly LayerEntry[],
  modules: readonly string[],
  plan: ModulePlan | undefined,
  interpreter: Interpreter,
  o: { layerDir: string; env: NodeJS.ProcessEnv; timeoutMs?: number; workers?: number }
): Promise<Imported> {
  const weights = moduleWeights(entries)
  const order = (ms: Iterable<string>) =>
    [...ms].sort((a, b) => (weights.get(b) ?? 0) - (weights.get(a) ?? 0))
  // every file an import can need, whichever module it is of: what the layer's modules import is
  // not known before they run
  const all = entriesForImport(entries, topLevelModules(entries.map(e => e.path)))
  let first = { entries: all, absent: [] as string[] }
  // with verdicts kept, the few modules left are each imported in an interpreter of its own, so
  // what they touched is theirs alone (in a shared one, all that ran before counts too)
  const isolated = (plan?.kept.size ?? 0) > 0
  if (isolated && plan) {
    const needed = new Set<string>()
    for (const m of modules) {
      for (const u of declaredUnits(plan.units, m)) needed.add(u)
      const before = plan.restored?.verdicts.find(v => v.module === m && v.isolated)
      for (const u of before?.units ?? []) needed.add(u)
    }
    first = partialExtraction(entries, needed)
  }
  const run = (list: readonly LayerEntry[], ms: Iterable<string>, absent: readonly string[]) =>
    withExtractedLayer(list, o.layerDir, dir =>
      importLayer(dir, interpreter, { ...o, modules: order(ms), absent, isolated })
    )
  const tested = await run(first.entries, modules, first.absent)
  if (tested.incomplete.size === 0) return tested
  const again = [...tested.incomplete].sort()
  core.info(
    `Smoke test: ${again.join(', ')} asked for names left out of the files extracted for it: imported again with every file`
  )
  const full = await run(all, again, [])
  const failures = [
    ...tested.failures.filter(f => !tested.incomplete.has(f.module)),
    ...full.failures
  ].sort((a, b) => (a.module < b.module ? -1 : a.module > b.module ? 1 : 0))
  const observed = new Map([...tested.observed].filter(([m]) => !tested.incomplete.has(m)))
  for (const [m, files] of full.observed) observed.set(m, files)
  return {
    ...tested,
    failures,
    observed,
    incomplete: full.incomplete,
    timings: [...tested.timings, ...full.timings].sort((a, b) => b.seconds - a.seconds)
  }
}

/**
 * Keeps the verdicts that still hold and those of the modules that passed now (naming `pass`, this
 * run's pass of the whole layer, already kept), when any is new. Returns the entry's key: the one
 * restored when nothing was new, the new one when kept.
 */
export async function keepModuleVerdicts(
  plan: ModulePlan,
  imported: Imported | undefined,
  pass: string,
  env: NodeJS.ProcessEnv
): Promise<string | undefined> {
  const run = runOf(env)
  const fresh: ModuleVerdict[] = []
  const failed = new Set(imported?.failures.map(f => f.module))
  for (const module of imported?.modules ?? []) {
    const files = imported?.observed.get(module)
    if (!imported || failed.has(module) || !files || imported.incomplete.has(module)) continue
    const units = new Set([
      ...declaredUnits(plan.units, module),
      ...observedUnits(plan.units, files)
    ])
    const digest = verdictDigest(plan.settings, plan.units, module, [...units])
    if (!digest) continue
    const url = runUrl(run, env)
    const { python, isolated } = imported
    fresh.push({ module, units: [...units].sort(), digest, run, pass, python, url, isolated })
  }
  if (fresh.length === 0) return plan.restored?.key
  const verdicts = [...plan.kept.values(), ...fresh].sort((a, b) =>
    a.module < b.module ? -1 : a.module > b.module ? 1 : 0
  )
  const key = await saveModuleVerdicts(plan.dir, plan.settings.prefix, run, verdicts)
  if (key)
    core.info(
      `Kept the smoke test verdicts of ${fresh.length} module(s) (${key}): a module is not imported again while the files of every distribution it depends on stay the same`
    )
  return key ?? plan.restored?.key
}
