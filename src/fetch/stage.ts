/**
 * The fetch stage as run() calls it, from the inputs and the plan: the one cache lifecycle (restore,
 * the recorded pinned set on an exact hit, record, prune, save), and the fetcher with its HTTP
 * client, mirror, credentials and build tools.
 */
import * as core from '@actions/core'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { Inputs } from '../constants'
import { Redactor } from '../credentials'
import { warmDigests } from '../digests'
import { messageOf } from '../errors'
import { HttpClient } from '../http'
import type { ActionInputs } from '../inputs'
import type { Plan } from '../plan'
import type { PinnedSet } from '../resolve/pinned'
import { findInterpreter } from '../smoke/interpreter'
import {
  pruneWheelhouse,
  readRequirementFiles,
  restoreWheelhouseFor,
  saveWheelhouse,
  type CacheRestore,
  type RequirementFile
} from './cache'
import { fetchWheelhouse } from './fetch'
import { RECORD_FILE, recordedPinnedSet, writeRecord } from './record'
import { VERIFIED_FILE, VerifiedWheels } from './verified'
import type { Wheelhouse } from './wheelhouse'

export interface CachedWheels {
  readonly key: string
  /** undefined with cache: false */
  readonly restored?: CacheRestore
  /** on an exact hit: the pinned set recorded with the wheels (resolve does not run) */
  readonly pinned?: PinnedSet
}

/** The files whose content decides the pinned set: a requirements file with what it -r/-c includes, else the one file. */
async function inputFiles(inputs: ActionInputs): Promise<RequirementFile[]> {
  if (inputs.requirementsFormat === 'requirements') return readRequirementFiles(inputs.requirements)
  return [{ path: inputs.requirements, content: await readFile(inputs.requirements, 'utf8') }]
}

/** Restores the wheelhouse; on an exact hit whose wheels all check out, its pinned set comes with it. */
export async function restoreWheels(
  inputs: ActionInputs,
  plan: Plan,
  indexUrl: string
): Promise<CachedWheels> {
  // the wheels restored are hashed next, and the zip as it is written: the worker that does it
  // starts while this thread waits on the cache download
  if (inputs.cache) warmDigests()
  const { key, restored } = await restoreWheelhouseFor({
    requirementFiles: [
      ...(await inputFiles(inputs)),
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
  const pinned =
    restored?.status === 'exact' ? await recordedPinnedSet(plan.wheelhouse, key) : undefined
  return { key, restored, pinned }
}

/** Fetches the pinned set into the plan's wheelhouse, then records, prunes and saves it. */
export async function fetchWheels(
  inputs: ActionInputs,
  plan: Plan,
  pinned: PinnedSet,
  cached: CachedWheels,
  indexUrl: string
): Promise<Wheelhouse> {
  const lock =
    inputs.requirementsFormat !== 'requirements' && inputs.requirementsFormat !== 'pyproject'
  const indexes = [...new Set(pinned.entries.map(e => e.index ?? ''))].filter(Boolean)
  const urls = pinned.entries.map(e => (e.artifact.kind === 'file' ? (e.artifact.url ?? '') : ''))
  const redactor = new Redactor([indexUrl, ...inputs.pipArgs, ...indexes, ...urls]).register()
  // each index's credentials go to its own host only (a Poetry source's from POETRY_HTTP_BASIC_*)
  const client = new HttpClient({ credentials: [indexUrl, ...indexes] })
  try {
    const wheelhouse = await fetchWheelhouse(pinned, {
      dir: plan.wheelhouse,
      target: { runtime: inputs.runtime, architecture: inputs.architecture },
      targetLabel: plan.runtimeLabel,
      client,
      // pip resolved against the index already; a lock's files are looked for on it first
      mirror:
        lock && indexUrl
          ? { url: indexUrl, label: inputs.codeartifact ? 'CodeArtifact' : Inputs.IndexUrl }
          : undefined,
      source: path.relative(inputs.workspace, inputs.requirements) || inputs.requirements,
      origin: lock ? 'lock' : 'index',
      buildSdists: inputs.buildSdists,
      build: {
        // the target's Python when the runner has it (a build backend may look at it), else python3
        python: async () => {
          const found = await findInterpreter(inputs.runtime, process.env)
          return 'path' in found ? found.path : 'python3'
        },
        indexUrl: indexUrl || undefined,
        pipArgs: inputs.pipArgs
      },
      workspace: inputs.workspace,
      cache: cached.restored?.status ?? 'off',
      redactor
    })
    await writeRecord(wheelhouse, cached.key)
    if (cached.restored && cached.restored.status !== 'unavailable') {
      const keep = [
        ...wheelhouse.wheels.map(w => path.basename(w.file)),
        RECORD_FILE,
        VERIFIED_FILE
      ]
      await pruneWheelhouse(plan.wheelhouse, keep)
      // the entries a run before verified, for these very wheel bytes: the zip step skips them
      const verifiedBefore = await VerifiedWheels.read(plan.wheelhouse, wheelhouse.wheels)
      // run() saves once the zip step verified the wheels; the archive and its upload (seconds for
      // a large layer on a hosted runner) then overlap the smoke test, contents and hand-off
      const restored = cached.restored
      const save = () =>
        verifiedBefore
          .write()
          .catch((error: unknown) =>
            // the wheels are kept all the same: the next run then verifies their entries again
            core.warning(
              `Could not record which wheel entries were verified (the next run checks them again): ${messageOf(error)}`
            )
          )
          .then(() => saveWheelhouse({ wheelhouse: plan.wheelhouse, restored }))
          .then(
            () => undefined,
            (error: unknown) =>
              core.warning(
                `Could not save the wheel cache (the layer is not affected): ${messageOf(error)}`
              )
          )
      return { ...wheelhouse, verifiedBefore, save }
    }
    return wheelhouse
  } finally {
    await client.close()
  }
}
