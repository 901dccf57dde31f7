/**
 * Steps 1 and 2 of the hand-off, in every region: publish or reuse the version that holds the
 * zip, then share it. What a region's delivery is and holds, step by step.
 */
import { LayerActionError, messageOf } from '../errors'
import type { Architecture } from '../runtimes'
import type { AwsClients } from './clients'
import type { FunctionResult } from './functions'
import { DeliveryError } from './outcome'
import { publishOrReuse } from './publish'
import { inEveryRegion } from './regions'
import { shareLayerVersion } from './share'
import type { Log, UploadOptions } from './upload'

export interface DeliveryRequest {
  region: string
  /** the published name (`<layer-name>-<environment>` when an environment is given) */
  layerName: string
  /** may contain `{region}` */
  bucket: string
  key: string
  zipPath: string
  /** base64 SHA-256 of the zip */
  sha256: string
  skipUnchanged: boolean
  /** the full sha this run releases ('' outside a git repository): recorded with a published version */
  commit: string
  description: string
  compatibleRuntimes: readonly string[]
  architecture: Architecture
  licenseInfo?: string
  /** S3 object metadata, e.g. { version: '1.4.0', commit: '<sha>' } */
  metadata: Record<string, string>
  /** principals to share the version with (share-with) */
  shareWith: readonly string[]
}

export interface DeliveryResult {
  region: string
  /** true when this run published the version */
  published: boolean
  /** true when an earlier run published it from this very commit: this run completes the hand-off */
  rerun: boolean
  /** the commit the version records ('' when it records none: published elsewhere or long ago) */
  commit: string
  skippedReason?: string
  /** set when an older version (not the latest) holds this zip and is the result */
  reusedVersion?: number
  /** SSM parameters that name this region's layer version ARN after this run */
  parameters?: string[]
  layerArn: string
  layerVersionArn: string
  version: number
  codeSha256: string
  /** bytes, as Lambda reports CodeSize */
  codeSize?: number
  /** the uploaded object; absent when nothing was uploaded */
  s3?: { bucket: string; key: string; versionId?: string }
  /** versions deleted by keep-versions */
  deleted: number[]
  /** principals the version is shared with */
  shared: string[]
  functions: FunctionResult[]
  /** what this run changed in this region, one line each; empty when nothing was left to do */
  changes: string[]
}

export interface DeliveryOptions {
  upload?: Omit<UploadOptions, 'log' | 'region'>
  log?: Log
}

/** Publish or reuse, then share, in one region. */
export async function deliverLayer(
  clients: AwsClients,
  req: DeliveryRequest,
  o: DeliveryOptions = {}
): Promise<DeliveryResult> {
  const result = await publishOrReuse(clients, req, o)
  if (req.shareWith.length === 0) return result
  // the version exists now: a failure below must not hide it
  try {
    const shared = await shareLayerVersion(
      clients.lambda,
      req.layerName,
      result.version,
      req.shareWith,
      o
    )
    result.shared = shared.map(s => s.given)
    const added = shared.filter(s => s.status === 'added').map(s => s.given)
    if (added.length > 0)
      result.changes.push(`shared version ${result.version} with ${added.join(', ')}`)
    return result
  } catch (error: unknown) {
    const what = result.published ? 'was published' : 'is the result'
    throw new DeliveryError(
      `${result.layerVersionArn} ${what}, but sharing it failed: ${messageOf(error)}`,
      req.region,
      result,
      { cause: error }
    )
  }
}

/**
 * Delivers to every region in parallel; `{region}` in the bucket picks each region's bucket. A
 * failing region lets the others finish; then RegionsFailedError names it, results attached.
 */
export async function deliverToRegions(
  regions: readonly string[],
  clientsFor: (region: string) => AwsClients,
  req: Omit<DeliveryRequest, 'region'>,
  o: DeliveryOptions = {}
): Promise<DeliveryResult[]> {
  if (regions.length === 0)
    throw new LayerActionError('No region to publish to: set region or regions')
  return inEveryRegion(
    regions,
    (region, log) => deliverLayer(clientsFor(region), { ...req, region }, { ...o, log }),
    {
      log: o.log,
      what: 'Delivery',
      partialOf: e => (e instanceof DeliveryError ? e.result : undefined),
      done: r => `${r.region} (${r.layerVersionArn})`
    }
  )
}
