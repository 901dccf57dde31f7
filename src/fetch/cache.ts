/**
 * The wheelhouse in the Actions cache. On a partial hit the input is resolved again and only the
 * files not already present are fetched; on an exact hit the recorded pinned set is used and pip
 * does not run (./record.ts). Any cache trouble is a warning and the build goes on.
 */
import * as core from '@actions/core'
import { createHash } from 'node:crypto'
import { promises as fs } from 'node:fs'
import * as path from 'node:path'
import { actionsCache } from '../actions-cache'
import { messageOf } from '../errors'
import { platformTags, type Architecture, type Runtime } from '../runtimes'
import { withoutUserInfo } from '../credentials'
import { expandEnv, logicalLines, walkRequirementFiles } from '../python/requirements'

const PREFIX = 'layer-action-wheels'
/** bumped when the wheelhouse layout or key recipe changes, so old entries are not restored (3: the record holds the pinned set) */
const KEY_VERSION = 3

export interface RequirementFile {
  path: string
  content: string
}

export interface WheelhouseKeyInput {
  /** the requirements file and every file it references with -r / -c, in reading order */
  requirementFiles: readonly RequirementFile[]
  runtime: Runtime
  architecture: Architecture
  pipArgs: readonly string[]
  indexUrl?: string
}

/** `layer-action-wheels-python3.12-x86_64-` — the prefix shared by every key of a runtime and architecture. */
export function wheelhouseRestoreKey(runtime: Runtime, architecture: Architecture): string {
  return `${PREFIX}-${runtime.identifier}-${architecture}-`
}

/** `layer-action-wheels-python3.12-x86_64-<24 hex of sha256>` over everything that decides the downloads. */
export function wheelhouseCacheKey(o: WheelhouseKeyInput): string {
  const hash = createHash('sha256')
    .update(
      JSON.stringify({
        version: KEY_VERSION,
        requirements: o.requirementFiles.map(f => f.content),
        target: [o.runtime.fullVersion, o.runtime.abi, ...platformTags(o.runtime, o.architecture)],
        // without user-info: rotating a token must not throw the cache away
        pipArgs: o.pipArgs.map(a => a.replace(/[a-z][a-z0-9+.-]*:\/\/\S+/gi, withoutUserInfo)),
        indexUrl: o.indexUrl ? withoutUserInfo(o.indexUrl) : ''
      })
    )
    .digest('hex')
  return `${wheelhouseRestoreKey(o.runtime, o.architecture)}${hash.slice(0, 24)}`
}

const REFERENCE = /^\s*(?:-r|--requirement|-c|--constraint)(?:\s*=\s*|\s+|(?=[^\s=]))(\S+)/

/**
 * The requirements file and, recursively, the files it references with -r/-c (relative to the
 * file that names them, as pip reads them). URLs and missing files are left to pip to report.
 */
export async function readRequirementFiles(
  requirements: string,
  env: NodeJS.ProcessEnv = process.env
): Promise<RequirementFile[]> {
  const files: RequirementFile[] = []
  await walkRequirementFiles(requirements, async (file, content, include) => {
    files.push({ path: file, content })
    // as pip reads them: continuation lines joined, ${VAR} expanded, so `-r ${DIR}/more.txt` counts
    for (const line of logicalLines(content).lines) {
      const ref = REFERENCE.exec(expandEnv(line.text, env))?.[1]
      if (ref && !/^[a-z][a-z0-9+.-]*:\/\//i.test(ref)) await include(ref)
    }
  })
  return files
}

export type CacheStatus = 'exact' | 'partial' | 'miss' | 'unavailable' | 'failed'

export interface CacheRestore {
  status: CacheStatus
  key: string
  matchedKey?: string
}

let unavailableTold = false

/** The Actions cache client, or undefined (said once) where there is no cache service. */
async function wheelCache(): Promise<typeof import('@actions/cache') | undefined> {
  const cache = await actionsCache()
  if (cache) return cache
  if (!unavailableTold) {
    unavailableTold = true
    core.info(
      'No Actions cache service here (a local run?): wheels are downloaded without a cache.'
    )
  }
  return undefined
}

/** Restores the wheelhouse: the exact key, else the newest entry of the same runtime and architecture. */
export async function restoreWheelhouse(o: {
  wheelhouse: string
  key: string
  restoreKeys: readonly string[]
}): Promise<CacheRestore> {
  const cache = await wheelCache()
  if (!cache) return { status: 'unavailable', key: o.key }
  try {
    await fs.mkdir(o.wheelhouse, { recursive: true })
    const matchedKey = await cache.restoreCache([o.wheelhouse], o.key, [...o.restoreKeys])
    if (!matchedKey) {
      core.info(`No cached wheels for ${o.key}`)
      return { status: 'miss', key: o.key }
    }
    const status = matchedKey === o.key ? 'exact' : 'partial'
    core.info(
      status === 'exact'
        ? `Restored cached wheels (${o.key})`
        : `Restored cached wheels of an earlier build (${matchedKey}); pip downloads only what changed`
    )
    return { status, key: o.key, matchedKey }
  } catch (error) {
    core.warning(`Could not restore the wheel cache (building without it): ${messageOf(error)}`)
    return { status: 'failed', key: o.key }
  }
}

/**
 * The wheelhouse's key and, when the cache is on, the restore (that key, else the newest entry of
 * the runtime and architecture): what every way of resolving starts with.
 */
export async function restoreWheelhouseFor(
  o: WheelhouseKeyInput & { wheelhouse: string; cache: boolean }
): Promise<{ key: string; restored?: CacheRestore }> {
  const key = wheelhouseCacheKey(o)
  if (!o.cache) return { key }
  const restoreKeys = [wheelhouseRestoreKey(o.runtime, o.architecture)]
  return { key, restored: await restoreWheelhouse({ wheelhouse: o.wheelhouse, key, restoreKeys }) }
}

/**
 * Removes wheels this build did not resolve to, so a wheelhouse restored from an older key does not
 * grow forever. Keeps everything when `keep` is empty (nothing known to keep).
 */
export async function pruneWheelhouse(
  wheelhouse: string,
  keep: readonly string[]
): Promise<string[]> {
  if (keep.length === 0) return []
  const wanted = new Set(keep)
  const removed: string[] = []
  for (const name of await fs.readdir(wheelhouse)) {
    if (!wanted.has(name)) {
      await fs.rm(path.join(wheelhouse, name), { recursive: true, force: true })
      removed.push(name)
    }
  }
  if (removed.length > 0) core.debug(`Pruned from the wheelhouse: ${removed.join(', ')}`)
  return removed
}

/** Saves the wheelhouse under its key unless that exact key was restored. Returns whether it saved. */
export async function saveWheelhouse(o: {
  wheelhouse: string
  restored: CacheRestore
}): Promise<boolean> {
  if (o.restored.status === 'exact') {
    core.info('Wheel cache unchanged: nothing to save')
    return false
  }
  const cache = await wheelCache()
  if (!cache) return false
  try {
    const id = await cache.saveCache([o.wheelhouse], o.restored.key)
    if (id === -1) return false
    core.info(`Saved the wheels in the Actions cache (${o.restored.key})`)
    return true
  } catch (error) {
    core.warning(`Could not save the wheel cache (the layer is not affected): ${messageOf(error)}`)
    return false
  }
}
