/**
 * Step 5, retention (keep-versions): runs only after the health check passed, so a failed check
 * always finds the previous versions still there to roll back to. Never deletes the version this
 * run published or reused, nor one a function of update-functions points at.
 */
import { DeleteLayerVersionCommand, type LambdaClient } from '@aws-sdk/client-lambda'
import * as core from '@actions/core'
import { explainAwsError, layerArnFor } from './errors'
import type { FunctionResult } from './functions'
import { layerArnOf, listLayerVersions } from './layers'
import type { Log } from './upload'

export interface Retention {
  /** versions deleted now, newest first */
  deleted: number[]
  /** versions that exist after it, newest first */
  remaining: number[]
}

/** This layer's versions that the functions use after their update (read from their layer lists). */
export function versionsInUse(functions: readonly FunctionResult[], layerArn: string): number[] {
  const versions = functions
    .flatMap(f => f.layers)
    .filter(arn => layerArnOf(arn) === layerArn)
    .map(arn => Number(/:(\d+)$/.exec(arn)?.[1]))
  return [...new Set(versions.filter(v => Number.isInteger(v)))]
}

/**
 * Deletes every version but the newest `keep` and the protected ones (0 keeps all). Functions
 * using a deleted version keep working: Lambda keeps a copy of the layers a function was given.
 */
export async function keepVersions(
  lambda: LambdaClient,
  layerName: string,
  keep: number,
  o: { protect?: readonly number[]; log?: Log } = {}
): Promise<Retention> {
  const log = o.log ?? core.info
  const region = await lambda.config.region()
  const versions = (await listLayerVersions(lambda, layerName))
    .map(v => v.Version)
    .filter((v): v is number => v !== undefined)
  if (keep <= 0) return { deleted: [], remaining: versions }
  const protect = new Set(o.protect ?? [])
  const doomed = versions.slice(keep).filter(v => !protect.has(v))
  for (const version of doomed) {
    try {
      await lambda.send(
        new DeleteLayerVersionCommand({ LayerName: layerName, VersionNumber: version })
      )
    } catch (error: unknown) {
      throw explainAwsError(error, {
        action: 'lambda:DeleteLayerVersion',
        resource: `${layerArnFor(region, layerName)}:${version}`,
        region
      })
    }
  }
  const spared = versions.slice(keep).filter(v => protect.has(v))
  if (doomed.length > 0 || spared.length > 0) {
    log(
      `keep-versions ${keep}: ` +
        (doomed.length > 0
          ? `deleted version(s) ${doomed.join(', ')} of ${layerName}`
          : 'deleted nothing') +
        (spared.length > 0
          ? `; kept ${spared.join(', ')} (this run's, or in use by update-functions)`
          : '')
    )
  }
  return { deleted: doomed, remaining: versions.filter(v => !doomed.includes(v)) }
}
