import * as core from '@actions/core'
import { getInputs, type ActionInputs } from './inputs'
import { makePlan, type Plan } from './plan'
import { effectiveIndexUrl, resolvePinnedSet } from './resolve/resolve'
import { fetchWheels, restoreWheels } from './fetch/stage'
import { builtOnRunner, type Wheelhouse } from './fetch/wheelhouse'
import { assembleLayer } from './assemble/layer'
import { smokeTestLayer } from './smoke/smoke'
import { zipLayer, type ZipResult } from './assemble/zip'
import { changesOf, Fleet, type FleetOptions } from './deliver/fleet'
import { releasesThisCommit } from './deliver/deliver'
import { tagRelease } from './release/release'
import { githubRelease } from './release/github'
import type { UpsertReleaseOptions } from './release/github-release'
import { report, reportFailure } from './report'
import { RunProgress } from './progress'
import type { DeliveryResult } from './deliver/deliver'
import type { TagOutcome } from './release/release'
import type { GitHubReleaseResult } from './release/github'
import { LayerActionError, messageOf } from './errors'

/**
 * One run: inputs → plan → wheels for the target → layer entries → zip (and, beside it, the files
 * for the smoke test) → the hand-off (layer versions, functions, health check, SSM, tag, GitHub
 * Release) → outputs. Every decision is made in the plan, before any side effect; this is the only
 * place that fails the step.
 */
export async function run(): Promise<void> {
  // which step is running and what each finished one returned, for the summary of a failure
  const progress = new RunProgress()
  try {
    const inputs = await progress.step('inputs', getInputs)
    const plan = await progress.group('plan', 'Plan', () => makePlan(inputs))
    const wheelhouse = await wheelhouseFor(inputs, plan, progress)
    const layer = await progress.group('assemble', `Assemble ${inputs.publishedName}`, () =>
      assembleLayer(inputs, wheelhouse)
    )
    const [zip, smoke] = await core.group('Zip and smoke test', () =>
      Promise.all([
        progress.step('zip', () => zipLayer(layer.entries, plan.zipPath)),
        inputs.smokeTest
          ? progress.step('smoke', () => smokeTestLayer(layer.entries, plan.layerDir, inputs))
          : undefined
      ])
    )
    const handed = await progress.step('hand-off', () => handOff(inputs, plan, zip))
    await progress.step('summary', () =>
      report({ inputs, plan, layer, smoke, zip, ...handed, built: builtOnRunner(wheelhouse) })
    )
  } catch (error) {
    await reportFailure(error, progress)
    // a LayerActionError speaks to the user; anything else is a bug in this action
    if (error instanceof LayerActionError) core.setFailed(error.message)
    else {
      core.debug(error instanceof Error ? (error.stack ?? '') : String(error))
      core.setFailed(`Unexpected error (please report it with the debug log): ${messageOf(error)}`)
    }
  }
}

/**
 * One way down for every input: the wheel cache restored; on an exact hit the pinned set recorded
 * with it (no pip, no network), else the input resolved; then the files fetched, recorded, saved.
 */
export async function wheelhouseFor(
  inputs: ActionInputs,
  plan: Plan,
  progress = new RunProgress()
): Promise<Wheelhouse> {
  const indexUrl = await progress.step('resolve', () => effectiveIndexUrl(inputs))
  const cached = await progress.step('fetch', () => restoreWheels(inputs, plan, indexUrl))
  const pinned =
    cached.pinned ??
    (await progress.group('resolve', `Resolve for ${plan.runtimeLabel}`, () =>
      resolvePinnedSet(inputs, plan, { indexUrl })
    ))
  return progress.group('fetch', `Fetch ${pinned.entries.length} distribution(s)`, () =>
    fetchWheels(inputs, plan, pinned, cached, indexUrl)
  )
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
}

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
  o: FleetOptions & { github?: UpsertReleaseOptions } = {}
): Promise<HandOff> {
  const fleet = new Fleet(inputs, plan, o)
  const deliveries = inputs.publish ? await core.group('Publish', () => fleet.publish(zip)) : []
  const published = deliveries.length > 0
  const steps = [
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
    ? await step(RELEASE, () => githubRelease(inputs, plan, tag, deliveries, o.github))
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
  return { deliveries, tag, release, changes }
}
