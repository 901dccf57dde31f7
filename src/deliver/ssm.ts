/**
 * The layer version ARN handed to infrastructure code through SSM Parameter Store, as Powertools
 * publishes its own: `<name>/latest` and `<name>/<version>`, resolvable from CloudFormation,
 * Terraform and CDK without knowing the version number.
 */
import { PutParameterCommand, type SSMClient } from '@aws-sdk/client-ssm'
import * as core from '@actions/core'
import type { Log } from './upload'
import { explainAwsError, partitionOf } from './errors'

/** `/layers/{layer}` → `/layers/common-prod` */
export function parameterBase(template: string, layerName: string): string {
  return template.replace(/\{layer\}/g, layerName).replace(/\/+$/, '')
}

export interface LayerParameters {
  /** `/layers/common-prod` */
  base: string
  layerVersionArn: string
  /** the release's semantic version (`1.4.0`); absent: only `latest` is written */
  version?: string
  /** for the parameter's Description */
  description: string
}

/**
 * Writes `<base>/latest` and, with a version, `<base>/<version>` (String, overwritten), both holding
 * the layer version ARN. Returns the names written.
 */
export async function writeLayerParameters(
  ssm: SSMClient,
  p: LayerParameters,
  o: { log?: Log } = {}
): Promise<string[]> {
  const log = o.log ?? core.info
  const region = await ssm.config.region()
  const names = [`${p.base}/latest`, ...(p.version ? [`${p.base}/${p.version}`] : [])]
  for (const name of names) {
    try {
      await ssm.send(
        new PutParameterCommand({
          Name: name,
          Value: p.layerVersionArn,
          Type: 'String',
          Overwrite: true,
          Description: p.description.slice(0, 1024)
        })
      )
    } catch (error: unknown) {
      throw explainAwsError(error, {
        action: 'ssm:PutParameter',
        resource: `arn:${partitionOf(region)}:ssm:${region}:<account-id>:parameter${name}`,
        region
      })
    }
  }
  log(`SSM ${names.join(', ')} = ${p.layerVersionArn}`)
  return names
}
