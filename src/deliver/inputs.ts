/**
 * Where the layer goes and what happens after the publish: the layer's name, bucket and regions,
 * the version's description and license, and the hand-off (share-with, update-functions,
 * health-check, keep-versions, ssm-parameter). Every rule here runs before any AWS call.
 */
import * as core from '@actions/core'
import { Inputs } from '../constants'
import { InputError } from '../errors'
import { integer, list, type RawInputs } from '../input-values'
import {
  bucketForRegion,
  DESCRIPTION_MAX,
  LAYER_NAME_MAX,
  LAYER_NAME_PATTERN,
  parsePrincipal,
  resolveRegion,
  validateLicenseInfo
} from './names'

export interface DestinationInputs {
  readonly layerName: string
  readonly environment: string
  /** `<layer-name>-<environment>`, or `<layer-name>` without an environment */
  readonly publishedName: string
  /** may hold `{region}` */
  readonly bucket: string
  readonly s3Prefix: string
  /** the regions to publish to, the primary first (one unless `regions` is set) */
  readonly regions: readonly string[]
  readonly description: string
  readonly licenseInfo: string
}

export interface HandoffInputs {
  readonly keepVersions: number
  readonly shareWith: readonly string[]
  readonly updateFunctions: readonly string[]
  readonly healthCheck: readonly string[]
  /** the health check's payload, valid JSON */
  readonly healthCheckPayload: string
  /** `/layers/{layer}`: where the layer version ARN is written in SSM ('' for nowhere) */
  readonly ssmParameter: string
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/
/** S3 bucket naming rules; `{region}` stands for each region's name when `regions` is set. */
const BUCKET = /^(?=.{3,63}$)[a-z0-9][a-z0-9.-]*[a-z0-9]$/
const FUNCTION =
  /^(arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:function:)?[a-zA-Z0-9_-]{1,64}(:(\$LATEST|[a-zA-Z0-9_-]+))?$/

export function destinationInputs(
  raw: RawInputs,
  o: { env: NodeJS.ProcessEnv; publish: boolean }
): DestinationInputs {
  const { layerName, environment, publishedName } = layerNames(raw)
  const regions = regionsOf(raw, o.env)
  const bucket = raw[Inputs.Bucket]
  if (o.publish) {
    if (!bucket)
      throw new InputError(
        Inputs.Bucket,
        '',
        'it is required unless publish is false: the S3 bucket the zip is uploaded to'
      )
    if (regions.length === 0)
      throw new InputError(
        Inputs.Region,
        '',
        'it is required to publish: set region, or AWS_REGION (aws-actions/configure-aws-credentials sets it)'
      )
  }
  if (bucket) checkBucket(bucket, regions)
  const description = raw[Inputs.Description]
  if ([...description].length > DESCRIPTION_MAX)
    throw new InputError(
      Inputs.Description,
      description,
      `at most ${DESCRIPTION_MAX} characters (a Lambda limit)`
    )
  return {
    layerName,
    environment,
    publishedName,
    bucket,
    s3Prefix: raw[Inputs.S3Prefix].replace(/^\/+|\/+$/g, ''),
    regions,
    description,
    licenseInfo: validateLicenseInfo(raw[Inputs.LicenseInfo], Inputs.LicenseInfo)
  }
}

function layerNames(raw: RawInputs) {
  const layerName = raw[Inputs.LayerName]
  if (!layerName)
    throw new InputError(
      Inputs.LayerName,
      '',
      'it is required: the base name of the layer, e.g. common'
    )
  const environment = raw[Inputs.Environment]
  const publishedName = environment ? `${layerName}-${environment}` : layerName
  const valid = (name: string) => LAYER_NAME_PATTERN.test(name) && name.length <= LAYER_NAME_MAX
  if (!valid(publishedName)) {
    const input = valid(layerName) ? Inputs.Environment : Inputs.LayerName
    throw new InputError(
      input,
      input === Inputs.LayerName ? layerName : environment,
      `the layer name '${publishedName}' must be 1 to ${LAYER_NAME_MAX} letters, digits, '-' or '_'`
    )
  }
  return { layerName, environment, publishedName }
}

/** `regions`, else `region`, else AWS_REGION, else AWS_DEFAULT_REGION. */
function regionsOf(raw: RawInputs, env: NodeJS.ProcessEnv): string[] {
  const given = list(raw[Inputs.Regions])
  const region = resolveRegion(raw[Inputs.Region], env)
  const regions = given.length > 0 ? given : region ? [region] : []
  for (const r of regions) {
    if (!REGION.test(r))
      throw new InputError(
        given.length > 0 ? Inputs.Regions : Inputs.Region,
        r,
        'an AWS region name such as eu-west-1'
      )
  }
  return regions
}

function checkBucket(bucket: string, regions: readonly string[]): void {
  for (const r of regions.length > 0 ? regions : ['us-east-1']) {
    const name = bucketForRegion(bucket, r)
    if (!BUCKET.test(name) || name.includes('..'))
      throw new InputError(
        Inputs.Bucket,
        bucket,
        'an S3 bucket name: 3 to 63 lowercase letters, digits, dots and hyphens ({region} is replaced by each region)'
      )
  }
  if (regions.length > 1 && !bucket.includes('{region}'))
    core.warning(
      `'${Inputs.Bucket}' has no {region} placeholder but ${regions.length} regions are set: a layer can only be published from a bucket in its own region, so each region needs its own bucket, e.g. my-artifacts-{region}`
    )
}

export function handoffInputs(raw: RawInputs, publishedName: string): HandoffInputs {
  const shareWith = list(raw[Inputs.ShareWith])
  for (const p of shareWith) parsePrincipal(p, Inputs.ShareWith)
  const healthCheckPayload = raw[Inputs.HealthCheckPayload] || '{}'
  try {
    JSON.parse(healthCheckPayload)
  } catch {
    throw new InputError(
      Inputs.HealthCheckPayload,
      healthCheckPayload,
      'a JSON document, e.g. {"ping": true}'
    )
  }
  return {
    keepVersions: integer(Inputs.KeepVersions, raw[Inputs.KeepVersions] || '0'),
    shareWith,
    updateFunctions: functions(raw, Inputs.UpdateFunctions),
    healthCheck: functions(raw, Inputs.HealthCheck),
    healthCheckPayload,
    ssmParameter: ssmParameter(raw[Inputs.SsmParameter], publishedName)
  }
}

/** Lambda function names or ARNs, each once. */
function functions(raw: RawInputs, name: Inputs): string[] {
  const names = list(raw[name])
  for (const f of names) {
    if (!FUNCTION.test(f)) throw new InputError(name, f, 'Lambda function names or function ARNs')
  }
  return names
}

/** AWS's limit on a parameter hierarchy. */
const SSM_LEVELS = 15
/** A parameter name's limit (1011 with its ARN) minus the longest ARN prefix (`arn:aws-us-gov:ssm:<region>:<account>:parameter`). */
const SSM_NAME_MAX = 1011 - 64
const SSM_HELP =
  'an SSM parameter path such as /layers/{layer}: a leading "/", then letters, digits and . - _ separated by single "/", not under /aws or /ssm (AWS reserves names that begin with them, in any case), at most 15 levels with the /latest or /<version> the action adds ({layer} is the published layer name)'

/**
 * The parameter path, checked as PutParameter would check `<path>/latest` and `<path>/<version>`
 * (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html): a leading
 * `/`, AWS's character set, no empty level, no reserved prefix, at most 15 levels with the suffix.
 */
function ssmParameter(given: string, publishedName: string): string {
  const value = given.replace(/\/+$/, '')
  if (!value) return ''
  const name = `${value.replace(/\{layer\}/g, publishedName)}/latest`
  const levels = name.split('/').slice(1)
  if (
    !name.startsWith('/') ||
    !/^[a-zA-Z0-9_.\-/]+$/.test(name) ||
    levels.some(l => l === '') ||
    /^(aws|ssm)/i.test(levels[0]) ||
    levels.length > SSM_LEVELS ||
    name.length > SSM_NAME_MAX
  )
    throw new InputError(Inputs.SsmParameter, given, SSM_HELP)
  return value
}
