/**
 * Passing verdicts per top-level module, kept in one Actions cache entry beside the whole layer's
 * (./verdict.ts): when one wheel changes, only the modules whose imports can see it are imported
 * again. A module's verdict holds for as long as these are the same: the files (path, size, mode,
 * content) of every unit (./units.ts) it depends on — its own, all they declare in Requires-Dist,
 * and every one whose files its interpreter read, listed or mapped up to the end of its import —
 * the layer's set of top-level names, the interpreter, the test and this action — and while the
 * pass of the run that tested it is still in the cache. A failure is never kept.
 */
import * as core from '@actions/core'
import { createHash } from 'node:crypto'
import { promises as fs } from 'node:fs'
import path from 'node:path'
import { actionsCache } from '../actions-cache'
import { messageOf } from '../errors'
import { declaredUnits, type LayerUnits } from './units'

const FILE = 'imports.json'

/** A module that passed, and what its verdict depends on. */
export interface ModuleVerdict {
  module: string
  /** the units (wheel file names, `include:<name>`) whose bytes it depends on */
  units: string[]
  /** SHA-256 over the settings, the layer's top-level names, the module and each unit's identity */
  digest: string
  /** the run that imported it: `123456789`, or `local` */
  run: string
  /**
   * that run's pass of the whole layer (passKey): the verdict holds only while that entry is in the
   * cache, so `gh cache delete <it>` withdraws the run's per-module verdicts too
   */
  pass: string
  /** its page, when the runner says which repository this is */
  url?: string
  /** `3.11.7` */
  python: string
  /** imported in an interpreter of its own: `units` are what it needs (else also what ran before it there) */
  isolated?: boolean
}

/** What every verdict of the entry shares: the interpreter, the test, this action (verdictKey without a layer). */
export interface ModuleSettings {
  /** `layer-action-imports-python3.11-x86_64-<32 hex>`: the entry's key up to its run */
  prefix: string
  /** the layer's importable top-level names: a module added or removed can change what another imports */
  names: readonly string[]
}

/** The digest of `module`'s verdict over these units in this layer; undefined when one is not in it. */
export function verdictDigest(
  settings: ModuleSettings,
  units: LayerUnits,
  module: string,
  depends: readonly string[]
): string | undefined {
  const identities: string[] = []
  for (const unit of [...depends].sort()) {
    const digest = units.digests.get(unit)
    if (!digest) return undefined
    identities.push(`${unit} ${digest}`)
  }
  return createHash('sha256')
    .update(
      JSON.stringify({ settings: settings.prefix, names: settings.names, module, identities })
    )
    .digest('hex')
}

/** The kept verdict that holds for `module` in this layer, if any. */
export function keptVerdict(
  kept: readonly ModuleVerdict[],
  settings: ModuleSettings,
  units: LayerUnits,
  module: string
): ModuleVerdict | undefined {
  const declared = declaredUnits(units, module)
  return kept.find(
    v =>
      v.module === module &&
      [...declared].every(u => v.units.includes(u)) &&
      verdictDigest(settings, units, module, v.units) === v.digest
  )
}

/** The Actions cache client, or undefined where there is none (said at debug level). */
async function cacheClient(): Promise<typeof import('@actions/cache') | undefined> {
  const cache = await actionsCache()
  if (!cache) core.debug('No Actions cache service here: per-module verdicts are not kept')
  return cache
}

const isString = (v: unknown): v is string => typeof v === 'string'

/**
 * The verdicts of a restored entry that have every field of the right type; the others (an entry
 * from another version of this action, or edited) are passed over: their modules are tested again.
 */
export function wellFormed(read: unknown): ModuleVerdict[] {
  const list = (read as { verdicts?: unknown } | null)?.verdicts
  if (!Array.isArray(list)) return []
  return list.filter((v): v is ModuleVerdict => {
    const x = v as Record<string, unknown> | null
    return (
      typeof x === 'object' &&
      x !== null &&
      [x.module, x.digest, x.run, x.pass, x.python].every(isString) &&
      Array.isArray(x.units) &&
      x.units.every(isString) &&
      (x.url === undefined || isString(x.url)) &&
      (x.isolated === undefined || typeof x.isolated === 'boolean')
    )
  })
}

/** The newest entry of per-module verdicts for these settings, downloaded to `dir`. Never throws. */
export async function restoreModuleVerdicts(
  dir: string,
  prefix: string
): Promise<{ key: string; verdicts: ModuleVerdict[] } | undefined> {
  try {
    const cache = await cacheClient()
    if (!cache) return undefined
    await fs.rm(dir, { recursive: true, force: true })
    const key = await cache.restoreCache([dir], prefix, [`${prefix}-`])
    if (!key) return undefined
    const read = JSON.parse(await fs.readFile(path.join(dir, FILE), 'utf8')) as unknown
    return { key, verdicts: wellFormed(read) }
  } catch (error) {
    core.debug(`No per-module smoke test verdicts (${messageOf(error)})`)
    return undefined
  }
}

/**
 * Keeps `verdicts` as a new entry `<prefix>-run<id>-<12 hex>` (the newest is the one restored).
 * Returns its key, or undefined when not kept. Never throws: a verdict not kept only means testing again.
 */
export async function saveModuleVerdicts(
  dir: string,
  prefix: string,
  run: string,
  verdicts: readonly ModuleVerdict[]
): Promise<string | undefined> {
  try {
    const cache = await cacheClient()
    if (!cache) return undefined
    const body = `${JSON.stringify({ verdicts }, null, 1)}\n`
    const key = `${prefix}-run${run}-${createHash('sha256').update(body).digest('hex').slice(0, 12)}`
    await fs.rm(dir, { recursive: true, force: true })
    await fs.mkdir(dir, { recursive: true })
    await fs.writeFile(path.join(dir, FILE), body)
    // -1: not saved (the same verdicts saved by this run before, or the service refused); it said why
    return (await cache.saveCache([dir], key)) !== -1 ? key : undefined
  } catch (error) {
    core.warning(
      `Could not keep the per-module smoke test verdicts (the layer is not affected): ${messageOf(error)}`
    )
    return undefined
  }
}
