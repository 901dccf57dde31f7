/**
 * The imports of a smoke test that is not reused whole: the modules whose kept verdict
 * (./module-verdicts.ts) still holds are not imported again; the others are, with only the files
 * their imports can need extracted. An interpreter that asks for a name left out of that extraction
 * has seen another layer than the one built: its modules are imported again with every file there.
 */
import * as core from '@actions/core'
import { withExtractedLayer } from '../assemble/extract'
import type { LayerEntry } from '../assemble/entries'
import type { Architecture, Runtime } from '../runtimes'
import { importLayer, type Imported } from './imports'
import type { Interpreter } from './interpreter'
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
import { passKept, runOf, runUrl, saveVerdict } from './verdict'

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

/** Says which modules passed before on the same bytes of what they depend on, by run and its key. */
export function reportKept(plan: ModulePlan, total: number, python: string): void {
  const byRun = new Map<string, string[]>()
  for (const v of plan.kept.values()) {
    const where = `run ${v.run}${v.url ? ` (${v.url})` : ''}, cache key ${v.pass}`
    byRun.set(where, [...(byRun.get(where) ?? []), v.module])
  }
  const runs = [...byRun].map(([where, ms]) => `${ms.join(', ')} in ${where}`).join('; ')
  core.info(
    `Smoke test: ${plan.kept.size} of ${total} top-level modules passed on ${python} with the same ` +
      `files of every distribution they depend on, not imported again: ${runs}. ` +
      `'gh cache delete <that key>' makes the next run import them again`
  )
}

/**
 * Keeps what this run found (nothing when it imported nothing): where it imported every module, the
 * pass of the whole layer under `key`, which exact hits reuse; where it took some modules' verdicts
 * from earlier runs, `<key>-partial` instead, which no exact hit reads (deleting `key` must withdraw
 * all it vouches for). Beside it, the per-module verdicts, each naming that entry: deleting it
 * withdraws them. Returns the per-module entry's key.
 */
export async function keepPasses(
  key: string,
  modules: readonly string[],
  plan: ModulePlan | undefined,
  imported: Imported,
  verdictDir: string,
  env: NodeJS.ProcessEnv
): Promise<string | undefined> {
  const complete = !plan || plan.kept.size === 0
  const pass = complete ? key : `${key}-partial`
  // side by side: a per-module verdict whose pass was not kept only holds for no later run
  const [kept, modulesKey] = await Promise.all([
    saveVerdict(verdictDir, pass, { modules }),
    plan ? keepModuleVerdicts(plan, imported, pass, env) : undefined
  ])
  if (!kept) return modulesKey
  core.info(
    complete
      ? `Kept the smoke test verdict (${key}): unchanged layers skip the test; 'gh cache delete ${key}' makes the next run test again`
      : `Kept this run's smoke test verdicts as ${pass}: 'gh cache delete ${pass}' makes the next run import ${imported.modules.length === 1 ? 'its module' : `its ${imported.modules.length} modules`} again`
  )
  return modulesKey
}
