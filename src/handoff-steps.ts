/**
 * The hand-off's steps and its error, apart from the hand-off itself: the failure summary names
 * them, and loading them must not load the AWS and GitHub clients the hand-off uses.
 */
import type { DeliveryResult } from './deliver/deliver'
import { LayerActionError } from './errors'
import type { TagOutcome } from './release/release'

/** The hand-off's steps, as logs, errors and the failure summary name them. */
export const PUBLISH = 'Publish'
export const SBOM = 'SBOM beside the zip'
export const FUNCTIONS = 'Update functions'
export const HEALTH = 'Health check'
export const SETTLE = 'SSM parameters and retention'
export const TAG = 'Tag'
export const RELEASE = 'GitHub Release'
/** in the order they run */
export const HAND_OFF_STEPS = [PUBLISH, SBOM, FUNCTIONS, HEALTH, SETTLE, TAG, RELEASE] as const

/** A step after the publish failed. The versions exist: a rerun of this commit reuses them and completes the rest. */
export class HandOffError extends LayerActionError {
  constructor(
    readonly step: string,
    readonly deliveries: readonly DeliveryResult[],
    /** the steps that did not run */
    readonly notDone: readonly string[],
    cause: LayerActionError,
    /** what the Tag step did, when the failure came after it */
    readonly tag?: TagOutcome
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
