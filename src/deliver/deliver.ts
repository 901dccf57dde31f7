/**
 * One built zip delivered to one or more regions: find a version that holds it already (reuse),
 * else upload and publish; then share, prune and update functions.
 */
import * as core from '@actions/core'
import { LayerActionError, messageOf } from '../errors'
import type { Architecture } from '../runtimes'
import type { AwsClients } from './clients'
import {
  functionInRegion,
  keepVersions,
  shareLayerVersion,
  updateFunctions,
  type FunctionResult,
  type Sleep
} from './fleet'
import { findIdenticalVersion, publishLayerVersion, validateLayerName } from './layers'
import { uploadZip, type Log, type UploadOptions } from './upload'

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
  /** text the description of a version built from this commit holds (its short sha): compared first */
  hint?: string
  description: string
  compatibleRuntimes: readonly string[]
  architecture: Architecture
  licenseInfo?: string
  /** S3 object metadata, e.g. { version: '1.4.0', commit: '<sha>' } */
  metadata: Record<string, string>
  /** 0 keeps all */
  keepVersions: number
  shareWith: readonly string[]
  updateFunctions: readonly string[]
}

export interface DeliveryResult {
  region: string
  /** false when a version already holds this zip */
  published: boolean
  skippedReason?: string
  /** set when an older version (not the latest) holds this zip and is the result */
  reusedVersion?: number
  /** SSM parameters written with this region's layer version ARN */
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
}

export interface DeliveryOptions {
  /** waits between LastUpdateStatus polls */
  sleep?: Sleep
  pollMs?: number
  upload?: Omit<UploadOptions, 'log' | 'region'>
  log?: Log
}

/** A region's delivery failed; `result` is set when a layer version was published before it did. */
export class DeliveryError extends LayerActionError {
  constructor(
    message: string,
    readonly region: string,
    readonly result?: DeliveryResult,
    options?: { cause?: unknown }
  ) {
    super(message, options)
  }
}

export interface RegionFailure {
  region: string
  error: LayerActionError
  /** what was published in that region before the failure, if anything */
  partial?: DeliveryResult
}

/** Some regions failed after every region had finished; `results` holds the ones that succeeded. */
export class RegionsFailedError extends LayerActionError {
  constructor(
    message: string,
    readonly results: DeliveryResult[],
    readonly failures: RegionFailure[]
  ) {
    super(message)
  }
}

export function bucketForRegion(bucket: string, region: string): string {
  return bucket.replace(/\{region\}/g, region)
}

export async function deliverLayer(
  clients: AwsClients,
  req: DeliveryRequest,
  o: DeliveryOptions = {}
): Promise<DeliveryResult> {
  const log = o.log ?? core.info
  const { region, layerName } = req
  const bucket = bucketForRegion(req.bucket, region)
  validateLayerName(layerName)

  // a version that already holds this zip is the result: the latest (unchanged) or an older one (reuse)
  const search = req.skipUnchanged
    ? await findIdenticalVersion(clients.lambda, layerName, {
        sha256: req.sha256,
        compatibleRuntimes: req.compatibleRuntimes,
        architecture: req.architecture,
        hint: req.hint
      })
    : undefined
  const same = search?.match
  let result: DeliveryResult
  if (search && same) {
    const reused = same.version !== search.latest
    const cost = `${search.compared} version(s) compared, ${search.pages} page(s) listed`
    log(
      reused
        ? `Reused version ${same.version} of ${layerName}: it holds this zip (CodeSha256 ${req.sha256}), nothing uploaded or published (${cost})`
        : `${layerName}:${same.version} already holds this zip (CodeSha256 ${req.sha256}): nothing uploaded or published`
    )
    result = {
      region,
      published: false,
      skippedReason: reused
        ? `reused version ${same.version} (same CodeSha256, runtimes and architecture)`
        : `unchanged: version ${same.version} has the same CodeSha256`,
      ...(reused ? { reusedVersion: same.version } : {}),
      layerArn: same.layerArn,
      layerVersionArn: same.layerVersionArn,
      version: same.version,
      codeSha256: same.codeSha256,
      ...(same.codeSize !== undefined ? { codeSize: same.codeSize } : {}),
      deleted: [],
      shared: [],
      functions: []
    }
  } else {
    const uploaded = await uploadZip(
      clients.s3,
      { bucket, key: req.key, file: req.zipPath, sha256: req.sha256, metadata: req.metadata },
      { ...o.upload, region, log }
    )
    let published
    try {
      published = await publishLayerVersion(clients.lambda, {
        layerName,
        bucket,
        key: req.key,
        objectVersion: uploaded.versionId,
        description: req.description,
        compatibleRuntimes: req.compatibleRuntimes,
        architecture: req.architecture,
        licenseInfo: req.licenseInfo
      })
    } catch (error: unknown) {
      const where = `s3://${bucket}/${req.key}`
      throw new DeliveryError(
        `${messageOf(error)} The zip was uploaded and left at ${where}, but no layer version uses ` +
          `it: delete it (aws s3 rm ${where}) unless you mean to publish from it by hand.`,
        region,
        undefined,
        { cause: error }
      )
    }
    log(`Published ${published.layerVersionArn}`)
    if (published.codeSha256 && published.codeSha256 !== req.sha256) {
      core.warning(
        `Lambda reports CodeSha256 ${published.codeSha256} for ${published.layerVersionArn}, ` +
          `but the zip's is ${req.sha256}: the object changed between upload and publish?`
      )
    }
    result = {
      region,
      published: true,
      ...published,
      s3: {
        bucket,
        key: req.key,
        ...(uploaded.versionId ? { versionId: uploaded.versionId } : {})
      },
      deleted: [],
      shared: [],
      functions: []
    }
  }

  // the version exists now: a failure below must not hide it
  try {
    // sharing and pointing functions are idempotent, so they also apply to an unchanged version
    if (req.shareWith.length > 0) {
      const shared = await shareLayerVersion(
        clients.lambda,
        layerName,
        result.version,
        req.shareWith,
        { log }
      )
      result.shared = shared.map(s => s.given)
    }
    if (result.published && req.keepVersions > 0) {
      result.deleted = await keepVersions(clients.lambda, layerName, req.keepVersions, {
        protect: [result.version],
        log
      })
    }
    const functions = req.updateFunctions.filter(name => functionInRegion(name, region))
    if (functions.length > 0) {
      result.functions = await updateFunctions(
        clients.lambda,
        result.layerArn,
        result.layerVersionArn,
        functions,
        { sleep: o.sleep, pollMs: o.pollMs, log }
      )
    }
  } catch (error: unknown) {
    const what = result.published
      ? 'was published'
      : result.reusedVersion
        ? 'was reused'
        : 'is the latest'
    throw new DeliveryError(
      `${result.layerVersionArn} ${what}, but then: ${messageOf(error)}`,
      region,
      result,
      {
        cause: error
      }
    )
  }
  return result
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
  const baseLog = o.log ?? core.info
  const settled = await Promise.allSettled(
    regions.map(region => {
      const log: Log = regions.length > 1 ? line => baseLog(`[${region}] ${line}`) : baseLog
      return deliverLayer(clientsFor(region), { ...req, region }, { ...o, log })
    })
  )
  const results: DeliveryResult[] = []
  const failures: RegionFailure[] = []
  settled.forEach((s, i) => {
    const region = regions[i]
    if (s.status === 'fulfilled') results.push(s.value)
    else {
      const error =
        s.reason instanceof LayerActionError
          ? s.reason
          : new LayerActionError(`Unexpected error: ${messageOf(s.reason)}`, { cause: s.reason })
      const partial = s.reason instanceof DeliveryError ? s.reason.result : undefined
      failures.push({ region, error, ...(partial ? { partial } : {}) })
    }
  })
  if (failures.length === 0) return results
  if (regions.length === 1) throw failures[0].error
  const done = results.map(r => `${r.region} (${r.layerVersionArn})`).join(', ')
  throw new RegionsFailedError(
    `Delivery failed in ${failures.length} of ${regions.length} regions: ` +
      failures.map(f => `${f.region}: ${f.error.message}`).join(' | ') +
      (done ? `. Succeeded: ${done}.` : '.'),
    results,
    failures
  )
}
