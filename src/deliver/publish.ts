/** The run's zip → a layer version in every target region, from the inputs and the plan. */
import type { ActionInputs } from '../inputs'
import type { Plan } from '../plan'
import type { ZipResult } from '../assemble/zip'
import { ACTION_NAME, ACTION_VERSION } from '../constants'
import { createClients } from './clients'
import { deliverToRegions, type DeliveryResult } from './deliver'

export async function publishLayer(
  inputs: ActionInputs,
  plan: Plan,
  zip: ZipResult
): Promise<DeliveryResult[]> {
  return deliverToRegions(
    inputs.regions,
    region => createClients({ region, userAgent: `${ACTION_NAME}/${ACTION_VERSION}` }),
    {
      layerName: inputs.publishedName,
      bucket: inputs.bucket,
      key: plan.s3Key,
      zipPath: zip.path,
      sha256: zip.sha256,
      skipUnchanged: inputs.skipUnchanged,
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
    }
  )
}
