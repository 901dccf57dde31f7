import * as core from '@actions/core'
import { getInputs, type ActionInputs } from './inputs'
import { makePlan, type Plan } from './plan'
import { resolveWheels } from './resolve/resolve'
import { assembleLayer } from './assemble/layer'
import { smokeTestLayer } from './smoke/smoke'
import { zipLayer, type ZipResult } from './assemble/zip'
import { changesOf, Fleet, type FleetOptions } from './deliver/fleet'
import { releasesThisCommit } from './deliver/deliver'
import { tagRelease } from './release/release'
import { githubRelease } from './release/github'
import type { UpsertReleaseOptions } from './release/github-release'
import { report, reportFailure } from './report'
import type { DeliveryResult } from './deliver/deliver'
import type { TagOutcome } from './release/release'
import type { GitHubReleaseResult } from './release/github'
import { LayerActionError, messageOf } from './errors'
import { layerContents } from './contents/contents'
import { sbomBesideZips } from './contents/sbom-upload'
import { commentContents } from './contents/pr-comment'
import { attachSbomToRelease } from './contents/release-asset'
// SHIM imports (wheelhouseOf, below)
import { createHash } from 'node:crypto'
import { createReadStream, openSync, closeSync } from 'node:fs'
import { pipeline } from 'node:stream/promises'
import type { Resolution } from './resolve/resolve'
import type { Wheelhouse } from './fetch/wheelhouse'
import { readWheelMetadata } from './contents/packages'
import { requirementGraph } from './contents/graph'
import { markerEnvironment } from './runtimes'

/**
 * One run: inputs → plan → wheels for the target → layer entries → zip (and, beside it, the files
 * for the smoke test) → contents (SBOM, changes, pull-request comment) → the hand-off (layer
 * versions and the SBOM beside the zip, functions, health check, SSM, tag, GitHub Release and its
 * SBOM asset) → outputs. Every decision is made in the plan, before any side effect; this is the only
 * place that fails the step.
 */
export async function run(): Promise<void> {
  try {
    const inputs = getInputs()
    const plan = await core.group('Plan', () => makePlan(inputs))
    const resolution = await core.group(`Resolve for ${plan.runtimeLabel}`, () =>
      resolveWheels(inputs, plan)
    )
    const layer = await core.group(`Assemble ${inputs.publishedName}`, () =>
      assembleLayer(inputs, resolution)
    )
    const [zip, smoke] = await core.group('Zip and smoke test', () =>
      Promise.all([
        zipLayer(layer.entries, plan.zipPath),
        inputs.smokeTest ? smokeTestLayer(layer.entries, plan.layerDir, inputs) : undefined
      ])
    )
    const wheelhouse = await wheelhouseOf(resolution, inputs) // SHIM: see below
    const contents = await core.group('Contents: SBOM and changes', () =>
      layerContents(inputs, plan, zip, wheelhouse)
    )
    if (inputs.prComment)
      await core.group('Pull-request comment', () => commentContents(inputs, plan, contents))
    const handed = await handOff(inputs, plan, zip, { sbom: contents.sbom?.json })
    await report({ inputs, plan, layer, smoke, zip, ...handed, built: resolution.built, contents })
  } catch (error) {
    await reportFailure(error)
    // a LayerActionError speaks to the user; anything else is a bug in this action
    if (error instanceof LayerActionError) core.setFailed(error.message)
    else {
      core.debug(error instanceof Error ? (error.stack ?? '') : String(error))
      core.setFailed(`Unexpected error (please report it with the debug log): ${messageOf(error)}`)
    }
  }
}

/** What the hand-off did: the layer version in each region, the tag, the GitHub Release. */
export interface HandOff {
  /** one per region, the primary first; empty when publish is false */
  deliveries: DeliveryResult[]
  tag: TagOutcome
  /** with github-release: true */
  release?: GitHubReleaseResult
  /** what this run changed after the build, one line each (a rerun lists what it completed) */
  changes: string[]
  /** the SBOM's key beside the zip, '' when none */
  sbomS3Key: string
}

const SBOM = 'SBOM beside the zip'
const FUNCTIONS = 'Update functions'
const HEALTH = 'Health check'
const SETTLE = 'SSM parameters and retention'
const TAG = 'Tag'
const RELEASE = 'GitHub Release'

/** A step after the publish failed. The versions exist: a rerun of this commit reuses them and completes the rest. */
export class HandOffError extends LayerActionError {
  constructor(
    readonly step: string,
    readonly deliveries: readonly DeliveryResult[],
    /** the steps that did not run */
    readonly notDone: readonly string[],
    cause: LayerActionError
  ) {
    const arns = deliveries.map(d => d.layerVersionArn).join(', ')
    const one = deliveries.length === 1
    super(
      `${cause.message}\n${step} failed; ${arns} ${one ? 'is' : 'are'} in place` +
        `${notDone.length > 0 ? `, not done: ${notDone.join(', ')}` : ''}. Re-run this job: it ` +
        `reuses ${one ? 'that version' : 'those versions'} and completes what is missing.`,
      { cause }
    )
  }
}

/**
 * After the zip, in this order: publish or reuse → share → update functions → health check; then,
 * only when it passed, SSM parameters and retention → tag → GitHub Release, so nothing announces a
 * version (or deletes the one to go back to) before its check. Every step leaves alone what is
 * already right: a rerun of the same commit completes what an earlier run left undone.
 */
export async function handOff(
  inputs: ActionInputs,
  plan: Plan,
  zip: Pick<ZipResult, 'path' | 'sha256'>,
  o: FleetOptions & {
    github?: UpsertReleaseOptions
    /** the SBOM's JSON (sbom: true): beside the zip, and a release asset */
    sbom?: string
  } = {}
): Promise<HandOff> {
  const fleet = new Fleet(inputs, plan, o)
  const deliveries = inputs.publish ? await core.group('Publish', () => fleet.publish(zip)) : []
  const published = deliveries.length > 0
  const sbom = o.sbom ?? ''
  const steps = [
    [SBOM, published && sbom !== ''],
    [FUNCTIONS, published && inputs.updateFunctions.length > 0],
    [HEALTH, published && inputs.healthCheck.length > 0],
    [SETTLE, published && (inputs.ssmParameter !== '' || inputs.keepVersions > 0)],
    [TAG, inputs.tag && deliveries.some(releasesThisCommit)],
    [RELEASE, inputs.githubRelease]
  ].flatMap(([name, on]) => (on ? [name as string] : []))
  const step = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    try {
      return await core.group(name, work)
    } catch (error: unknown) {
      // a failed health check says itself what it put back and what stays
      if (!published || !(error instanceof LayerActionError) || name === HEALTH) throw error
      throw new HandOffError(name, deliveries, steps.slice(steps.indexOf(name) + 1), error)
    }
  }
  const sbomS3Key = steps.includes(SBOM)
    ? await step(SBOM, () => sbomBesideZips(inputs, deliveries, sbom))
    : ''
  if (steps.includes(FUNCTIONS)) await step(FUNCTIONS, () => fleet.updateFunctions(deliveries))
  if (steps.includes(HEALTH)) await step(HEALTH, () => fleet.checkHealth(deliveries))
  if (steps.includes(SETTLE)) await step(SETTLE, () => fleet.settle(deliveries))
  const tag = await step(TAG, () =>
    tagRelease({
      enabled: inputs.tag,
      released: deliveries.some(releasesThisCommit),
      release: plan.release,
      sha: plan.sha,
      git: plan.git
    })
  )
  // github-release: false makes no GitHub API call at all
  const release = steps.includes(RELEASE)
    ? await step(RELEASE, async () => {
        const written = await githubRelease(inputs, plan, tag, deliveries, o.github)
        // the SBOM is part of the release: an asset of its own per layer, replaced by a rerun
        if (written.outcome && sbom)
          await attachSbomToRelease({
            token: inputs.githubToken,
            releaseId: written.outcome.id,
            uploadUrl: written.outcome.uploadUrl,
            layerName: inputs.publishedName,
            version: plan.release.version,
            json: sbom
          })
        return written
      })
    : undefined
  const changes = [
    ...changesOf(deliveries),
    ...(tag.status === 'created' ? [`pushed tag ${tag.tag}`] : []),
    ...(release?.outcome && release.outcome.status !== 'unchanged'
      ? [`${release.outcome.status} the GitHub Release ${release.tag}`]
      : [])
  ]
  if (deliveries.some(d => d.rerun))
    core.info(
      changes.length > 0
        ? `This rerun completed: ${changes.join('; ')}`
        : 'Nothing left to do: an earlier run of this commit finished every step.'
    )
  return { deliveries, tag, release, changes, sbomS3Key }
}

/**
 * SHIM (issue 18), until fetch hands over the Wheelhouse: each wheel's SHA-256, and the graph from
 * its METADATA Requires-Dist evaluated for the target. The lead replaces it at merge.
 */
async function wheelhouseOf(resolution: Resolution, inputs: ActionInputs): Promise<Wheelhouse> {
  // only the SBOM reads hashes and the graph
  if (!inputs.sbom)
    return { dir: '', wheels: [], pinned: { entries: [], skipped: [], summary: '' }, cache: 'off' }
  const env = markerEnvironment(inputs.runtime, inputs.architecture)
  const wheels = await Promise.all(
    resolution.wheels.map(async w => {
      const hash = createHash('sha256')
      await pipeline(createReadStream(w.file), hash)
      const fd = openSync(w.file, 'r')
      const metadata = await readWheelMetadata(fd, w.file).finally(() => closeSync(fd))
      return {
        ...w,
        sha256: hash.digest('hex'),
        reused: false,
        requiresDist: metadata.requiresDist
      }
    })
  )
  const graph = requirementGraph(
    wheels.map(w => ({ key: w.name, requiresDist: w.requiresDist })),
    env
  )
  const entries = wheels.map(w => ({
    name: w.name,
    version: w.version,
    artifact: { kind: 'hashes' as const, hashes: { sha256: [w.sha256] } },
    dependencies: graph.get(w.name) ?? [],
    requiredBy: wheels.filter(o => graph.get(o.name)?.includes(w.name)).map(o => o.name)
  }))
  return {
    dir: '',
    wheels,
    pinned: { entries, skipped: [], summary: '' },
    cache: resolution.cache
  }
}
