/**
 * The hand-off, after the zip: publish or reuse (and the SBOM beside the zip) → functions → health
 * check; then, only when it passed, SSM parameters and retention → tag → GitHub Release. A step
 * that fails after a publish is a HandOffError: the versions stay, and a rerun completes the rest.
 */
import * as core from '@actions/core'
import type { ActionInputs } from './inputs'
import type { Plan } from './plan'
import type { ZipResult } from './assemble/zip'
import type { FleetOptions } from './deliver/fleet'
import type { DeliveryResult } from './deliver/deliver'
import { changesOf, releasesThisCommit } from './deliver/outcome'
import { tagRelease, type TagOutcome } from './release/release'
import type { GitHubReleaseResult } from './release/github'
import type { UpsertReleaseOptions } from './release/github-release'
import { LayerActionError } from './errors'
import {
  FUNCTIONS,
  HandOffError,
  HEALTH,
  PUBLISH,
  RELEASE,
  SBOM,
  SETTLE,
  TAG
} from './handoff-steps'

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
  // the AWS SDK loads only to publish, Octokit only for a GitHub Release (chunks of their own)
  const fleet = inputs.publish
    ? new (await import('./deliver/fleet')).Fleet(inputs, plan, o)
    : undefined
  const deliveries = fleet ? await core.group(PUBLISH, () => fleet.publish(zip)) : []
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
  let tagged: TagOutcome | undefined
  const step = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    try {
      return await core.group(name, work)
    } catch (error: unknown) {
      // a failed health check says itself what it put back and what stays
      if (!published || !(error instanceof LayerActionError) || name === HEALTH) throw error
      throw new HandOffError(name, deliveries, steps.slice(steps.indexOf(name) + 1), error, tagged)
    }
  }
  const sbomS3Key = steps.includes(SBOM)
    ? await step(SBOM, async () =>
        (await import('./contents/sbom-upload')).sbomBesideZips(inputs, deliveries, sbom)
      )
    : ''
  if (fleet && steps.includes(FUNCTIONS))
    await step(FUNCTIONS, () => fleet.updateFunctions(deliveries))
  if (fleet && steps.includes(HEALTH)) await step(HEALTH, () => fleet.checkHealth(deliveries))
  if (fleet && steps.includes(SETTLE)) await step(SETTLE, () => fleet.settle(deliveries))
  const tag = (tagged = await step(TAG, () =>
    tagRelease({
      enabled: inputs.tag,
      released: deliveries.some(releasesThisCommit),
      release: plan.release,
      sha: plan.sha,
      git: plan.git
    })
  ))
  // github-release: false makes no GitHub API call at all
  const release = steps.includes(RELEASE)
    ? await step(RELEASE, async () => {
        const { githubRelease } = await import('./release/github')
        const { attachSbomToRelease } = await import('./contents/release-asset')
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
