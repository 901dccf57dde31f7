/**
 * TEMPORARY, until fetch/ takes a PinnedSet (issue 15, the fetch half): the pinned set is fetched
 * with today's download code (fetch/download.ts), inside today's cache lifecycle (restore, exact
 * hit without resolving, prune, save). resolve/ imports nothing from fetch/; this file does both.
 */
import * as core from '@actions/core'
import path from 'node:path'
import type { ActionInputs } from './inputs'
import type { Plan } from './plan'
import {
  pruneWheelhouse,
  readRequirementFiles,
  restoreWheelhouseFor,
  saveWheelhouse
} from './fetch/cache'
import { recordedResolution, recordResolution } from './fetch/resolved'
import { fetchLockedWheels, type FetchedWheel } from './fetch/download'
import { Redactor } from './credentials'
import type { Target } from './python/wheel-tags'
import { effectiveIndexUrl, resolvePinnedSet, type Resolution } from './resolve/resolve'
import type { LockedPackage } from './resolve/locks/lock'
import type { PinnedSet } from './resolve/pinned'

/** PinnedEntry → what fetchLockedWheels reads. */
export function lockedPackages(pinned: PinnedSet): LockedPackage[] {
  return pinned.entries.map(e => {
    const a = e.artifact
    const base = { name: e.name, version: e.version, index: e.index }
    if (a.kind === 'directory') return { ...base, files: [], directory: a.path }
    if (a.kind === 'hashes') return { ...base, files: [], hashesOnly: a.hashes }
    return { ...base, files: [{ filename: a.filename, url: a.url, hashes: a.hashes }] }
  })
}

/** The pinned set's files in the wheelhouse, by today's fetch/download.ts (for run() and tests alike). */
export async function fetchPinned(
  pinned: PinnedSet,
  o: {
    wheelhouse: string
    target: Target
    lockName: string
    buildSdists: 'pure' | 'never'
    indexUrl: string
    pipArgs: readonly string[]
    env?: NodeJS.ProcessEnv
  }
): Promise<FetchedWheel[]> {
  const redactor = new Redactor([
    o.indexUrl,
    ...o.pipArgs,
    ...pinned.entries.map(e => e.index ?? '')
  ]).register()
  return fetchLockedWheels({
    packages: lockedPackages(pinned),
    target: o.target,
    wheelhouse: o.wheelhouse,
    lockName: o.lockName,
    buildSdists: o.buildSdists,
    python: 'python3',
    env: o.env,
    indexUrl: o.indexUrl,
    pipArgs: o.pipArgs,
    redactor
  })
}

export async function resolveAndFetch(inputs: ActionInputs, plan: Plan): Promise<Resolution> {
  const indexUrl = await effectiveIndexUrl(inputs)
  const { key, restored } = await restoreWheelhouseFor({
    requirementFiles: [
      ...(await readRequirementFiles(inputs.requirements)),
      {
        path: 'selection',
        content: JSON.stringify({
          format: inputs.requirementsFormat,
          extras: inputs.extras,
          groups: inputs.groups,
          buildSdists: inputs.buildSdists
        })
      }
    ],
    runtime: inputs.runtime,
    architecture: inputs.architecture,
    pipArgs: inputs.pipArgs,
    indexUrl,
    wheelhouse: plan.wheelhouse,
    cache: inputs.cache
  })
  // an exact hit: the resolution recorded with these wheels stands, and pip does not run
  const recorded = restored?.status === 'exact' && (await recordedResolution(plan.wheelhouse, key))
  if (recorded) return { wheels: recorded, cache: 'exact', pip: '' }

  const pinned = await resolvePinnedSet(inputs, plan, { indexUrl })
  const fetched = await fetchPinned(pinned, {
    wheelhouse: plan.wheelhouse,
    target: { runtime: inputs.runtime, architecture: inputs.architecture },
    lockName: path.relative(inputs.workspace, inputs.requirements) || inputs.requirements,
    buildSdists: inputs.buildSdists,
    indexUrl,
    pipArgs: inputs.pipArgs
  })
  const origin = (name: string): ResolvedWheelOrigin => {
    const e = pinned.entries.find(x => x.name === name)
    if (e?.artifact.kind === 'file' && e.artifact.builtFrom) return e.artifact.builtFrom.origin
    return inputs.requirementsFormat === 'requirements' || inputs.requirementsFormat === 'pyproject'
      ? 'index'
      : 'lock'
  }
  const wheels = fetched.map(w => ({
    file: w.file,
    name: w.name,
    version: w.version,
    origin: w.origin === 'lock' ? origin(w.name) : w.origin
  }))
  const built = pinned.entries.flatMap(e =>
    e.artifact.kind === 'file' && e.artifact.builtFrom
      ? [{ name: e.name, version: e.version, ...e.artifact.builtFrom, wheel: e.artifact.filename }]
      : []
  )
  for (const w of fetched.filter(f => f.origin !== 'lock'))
    built.push({
      name: w.name,
      version: w.version,
      origin: w.origin === 'local' ? 'local' : 'sdist',
      from: path.isAbsolute(w.from ?? '')
        ? path.relative(inputs.workspace, w.from ?? '')
        : (w.from ?? ''),
      wheel: path.basename(w.file)
    })
  const reused = fetched.filter(w => w.reused).length
  core.info(
    `${wheels.length} wheel(s) for ${plan.runtimeLabel}${reused ? ` (${reused} already in the wheelhouse)` : ''}`
  )
  if (restored && restored.status !== 'unavailable') {
    // saved right away: a later failure (size, smoke test, AWS) still keeps the downloads
    await recordResolution(plan.wheelhouse, key, wheels)
    await pruneWheelhouse(
      plan.wheelhouse,
      wheels.map(w => path.basename(w.file))
    )
    await saveWheelhouse({ wheelhouse: plan.wheelhouse, restored })
  }
  return { wheels, cache: restored?.status ?? 'off', pip: 'python3', built }
}

type ResolvedWheelOrigin = 'index' | 'lock' | 'sdist' | 'local'
