/**
 * The run's zip → a layer version in every target region, from the inputs and the plan; then the
 * health check (which may roll the functions back) and the SSM parameters.
 */
import * as core from '@actions/core'
import type { ActionInputs } from '../inputs'
import type { Plan } from '../plan'
import type { ZipResult } from '../assemble/zip'
import { ACTION_NAME, ACTION_VERSION } from '../constants'
import { LayerActionError, messageOf } from '../errors'
import { createClients, type AwsClients } from './clients'
import { deliverToRegions, type DeliveryResult } from './deliver'
import { checkHealth } from './health'
import { parameterBase, writeLayerParameters } from './ssm'

export async function publishLayer(
  inputs: ActionInputs,
  plan: Plan,
  zip: ZipResult
): Promise<DeliveryResult[]> {
  const clients = new Map<string, AwsClients>()
  const clientsFor = (region: string): AwsClients => {
    if (!clients.has(region))
      clients.set(region, createClients({ region, userAgent: `${ACTION_NAME}/${ACTION_VERSION}` }))
    return clients.get(region)!
  }
  const deliveries = await deliverToRegions(inputs.regions, clientsFor, {
    layerName: inputs.publishedName,
    bucket: inputs.bucket,
    key: plan.s3Key,
    zipPath: zip.path,
    sha256: zip.sha256,
    skipUnchanged: inputs.skipUnchanged,
    // the default description names the commit: a version built from it is compared first
    hint: plan.sha ? plan.sha.slice(0, 7) : undefined,
    description: plan.description,
    compatibleRuntimes: inputs.compatibleRuntimes,
    architecture: inputs.architecture,
    licenseInfo: inputs.licenseInfo || undefined,
    metadata: Object.fromEntries(
      Object.entries({
        version: plan.release.version,
        tag: plan.release.tag,
        commit: plan.sha
      }).filter(([, v]) => v)
    ),
    keepVersions: inputs.keepVersions,
    shareWith: inputs.shareWith,
    updateFunctions: inputs.updateFunctions
  })
  if (inputs.healthCheck.length > 0)
    await checkHealth(deliveries, clientsFor, inputs.healthCheck, inputs.healthCheckPayload)
  // after the health check: `latest` never names a version whose functions were rolled back
  if (inputs.ssmParameter) {
    const base = parameterBase(inputs.ssmParameter, inputs.publishedName)
    for (const d of deliveries) {
      try {
        d.parameters = await writeLayerParameters(clientsFor(d.region).ssm, {
          base,
          layerVersionArn: d.layerVersionArn,
          // `<version>` names a release, so only a published version gets one; reuse moves `latest`
          version: d.published ? plan.release.version : undefined,
          description: `${ACTION_NAME}: ${inputs.publishedName} ${plan.release.tag} (layer version ${d.version})`
        })
      } catch (error: unknown) {
        throw new LayerActionError(
          `${d.layerVersionArn} is ${d.published ? 'published' : 'the result'}, but 'ssm-parameter' failed in ${d.region}: ${messageOf(error)}`,
          { cause: error }
        )
      }
    }
  }
  core.debug(`deliveries: ${JSON.stringify(deliveries)}`)
  return deliveries
}
