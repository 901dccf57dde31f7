/**
 * Step 5, SSM parameters: the layer version ARN handed to infrastructure code, as Powertools
 * publishes its own: `<name>/latest` and `<name>/<version>`, resolvable from CloudFormation,
 * Terraform and CDK. Parameters follow the versions: what is already right is left alone, and a
 * `<name>/<version>` naming a version retention deleted is deleted with it.
 */
import {
  DeleteParametersCommand,
  GetParametersByPathCommand,
  GetParametersCommand,
  PutParameterCommand,
  type SSMClient
} from '@aws-sdk/client-ssm'
import * as core from '@actions/core'
import { isPlainVersion } from '../release/bump'
import { explainAwsError, partitionOf } from './errors'
import type { Log } from './upload'

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

function arnOf(region: string, name: string): string {
  return `arn:${partitionOf(region)}:ssm:${region}:<account-id>:parameter${name}`
}

/** Current values of `names`; undefined when they cannot be read (no ssm:GetParameters). */
async function currentValues(
  ssm: SSMClient,
  names: string[],
  region: string
): Promise<Map<string, string> | undefined> {
  try {
    const r = await ssm.send(new GetParametersCommand({ Names: names }))
    return new Map((r.Parameters ?? []).map(p => [p.Name ?? '', p.Value ?? '']))
  } catch (error: unknown) {
    const explained = explainAwsError(error, {
      action: 'ssm:GetParameters',
      resource: arnOf(region, names[0]),
      region
    })
    if (explained.kind !== 'access-denied') throw explained
    core.info(`Cannot read ${names.join(', ')} (ssm:GetParameters is not allowed): writing them`)
    return undefined
  }
}

/**
 * Makes `<base>/latest` and, with a version, `<base>/<version>` (String) hold the layer version
 * ARN, writing only those that do not already. Returns every name, and the ones written now.
 */
export async function writeLayerParameters(
  ssm: SSMClient,
  p: LayerParameters,
  o: { log?: Log } = {}
): Promise<{ names: string[]; written: string[] }> {
  const log = o.log ?? core.info
  const region = await ssm.config.region()
  const names = [`${p.base}/latest`, ...(p.version ? [`${p.base}/${p.version}`] : [])]
  const current = await currentValues(ssm, names, region)
  const written = names.filter(name => current?.get(name) !== p.layerVersionArn)
  for (const name of written) {
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
        resource: arnOf(region, name),
        region
      })
    }
  }
  const kept = names.filter(name => !written.includes(name))
  log(
    `SSM ${names.join(', ')} = ${p.layerVersionArn}` +
      (kept.length === 0
        ? ''
        : written.length === 0
          ? ' (already)'
          : ` (${kept.join(', ')} already)`)
  )
  return { names, written }
}

/**
 * Deletes the `<base>/<version>` parameters (direct children of base named by a plain semantic
 * version, as the action writes them; others are the user's) that hold an ARN of this layer whose
 * version no longer exists. Returns the names deleted.
 */
export async function deleteStaleParameters(
  ssm: SSMClient,
  base: string,
  layerArn: string,
  existing: readonly number[],
  o: { log?: Log } = {}
): Promise<string[]> {
  const log = o.log ?? core.info
  const region = await ssm.config.region()
  const alive = new Set(existing)
  const stale: string[] = []
  try {
    let token: string | undefined
    do {
      const page = await ssm.send(
        new GetParametersByPathCommand({ Path: base, Recursive: false, NextToken: token })
      )
      for (const p of page.Parameters ?? []) {
        const name = p.Name ?? ''
        const version = Number(/^(.*):(\d+)$/.exec(p.Value ?? '')?.[2])
        const ofThisLayer = (p.Value ?? '').startsWith(`${layerArn}:`)
        const release = isPlainVersion(name.slice(base.length + 1))
        if (release && ofThisLayer && !alive.has(version)) stale.push(name)
      }
      token = page.NextToken
    } while (token)
    // DeleteParameters takes at most 10 names
    for (let i = 0; i < stale.length; i += 10)
      await ssm.send(new DeleteParametersCommand({ Names: stale.slice(i, i + 10) }))
  } catch (error: unknown) {
    throw explainAwsError(error, {
      action: stale.length > 0 ? 'ssm:DeleteParameters' : 'ssm:GetParametersByPath',
      resource: arnOf(region, `${base}/*`),
      region
    })
  }
  if (stale.length > 0) log(`SSM deleted ${stale.join(', ')}: their layer versions are gone`)
  return stale
}
