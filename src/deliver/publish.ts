/**
 * Step 1 in one region: publish, or reuse. A version that already holds this zip is the result —
 * the latest (unchanged), an older one (a rollback), or the one an earlier run of this commit
 * published (a rerun, which then completes what that run left undone); else upload and publish,
 * recording the commit in the description.
 */
import * as core from '@actions/core'
import { messageOf } from '../errors'
import type { AwsClients } from './clients'
import type { DeliveryRequest, DeliveryResult } from './deliver'
import { publishLayerVersion, type LayerVersionInfo } from './layers'
import { bucketForRegion, validateLayerName } from './names'
import { DeliveryError } from './outcome'
import { commitOf, commitRecord, describeVersion } from './provenance'
import { findIdenticalVersion, type IdenticalSearch } from './reuse'
import { uploadZip, type Log, type UploadOptions } from './upload'

export async function publishOrReuse(
  clients: AwsClients,
  req: DeliveryRequest,
  o: { upload?: Omit<UploadOptions, 'log' | 'region'>; log?: Log } = {}
): Promise<DeliveryResult> {
  const log = o.log ?? core.info
  validateLayerName(req.layerName)
  const record = commitRecord(req.commit)
  // skip-unchanged: false still looks for this commit's own version, so a rerun publishes no second one
  const search =
    req.skipUnchanged || record
      ? await findIdenticalVersion(clients.lambda, req.layerName, {
          sha256: req.sha256,
          compatibleRuntimes: req.compatibleRuntimes,
          architecture: req.architecture,
          ...(record ? { hint: record, onlyHinted: !req.skipUnchanged } : {})
        })
      : undefined
  if (search?.match) return reused(req, search, search.match, log)
  return published(clients, req, o.upload, log)
}

function reused(
  req: DeliveryRequest,
  search: IdenticalSearch,
  same: LayerVersionInfo,
  log: Log
): DeliveryResult {
  const commit = commitOf(same.description) ?? ''
  const rerun = commit !== '' && commit === req.commit
  const older = same.version !== search.latest
  const cost = `${search.compared} version(s) compared, ${search.pages} page(s) listed`
  log(
    rerun
      ? `Version ${same.version} of ${req.layerName} was published from this commit (${commit.slice(0, 7)}) by an earlier run: reusing it, and completing what that run left undone`
      : older
        ? `Reused version ${same.version} of ${req.layerName}: it holds this zip (CodeSha256 ${req.sha256}), nothing uploaded or published (${cost})`
        : `${req.layerName}:${same.version} already holds this zip (CodeSha256 ${req.sha256}): nothing uploaded or published`
  )
  return {
    region: req.region,
    published: false,
    rerun,
    commit,
    skippedReason: rerun
      ? `published from this commit by an earlier run (version ${same.version})`
      : older
        ? `reused version ${same.version} (same CodeSha256, runtimes and architecture)`
        : `unchanged: version ${same.version} has the same CodeSha256`,
    ...(older ? { reusedVersion: same.version } : {}),
    layerArn: same.layerArn,
    layerVersionArn: same.layerVersionArn,
    version: same.version,
    codeSha256: same.codeSha256,
    ...(same.codeSize !== undefined ? { codeSize: same.codeSize } : {}),
    deleted: [],
    shared: [],
    functions: [],
    changes: []
  }
}

async function published(
  clients: AwsClients,
  req: DeliveryRequest,
  upload: Omit<UploadOptions, 'log' | 'region'> | undefined,
  log: Log
): Promise<DeliveryResult> {
  const { region } = req
  const bucket = bucketForRegion(req.bucket, region)
  const uploaded = await uploadZip(
    clients.s3,
    { bucket, key: req.key, file: req.zipPath, sha256: req.sha256, metadata: req.metadata },
    { ...upload, region, log }
  )
  let layer
  try {
    layer = await publishLayerVersion(clients.lambda, {
      layerName: req.layerName,
      bucket,
      key: req.key,
      objectVersion: uploaded.versionId,
      description: describeVersion(req.description, req.commit),
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
  log(`Published ${layer.layerVersionArn}`)
  if (layer.codeSha256 && layer.codeSha256 !== req.sha256) {
    core.warning(
      `Lambda reports CodeSha256 ${layer.codeSha256} for ${layer.layerVersionArn}, ` +
        `but the zip's is ${req.sha256}: the object changed between upload and publish?`
    )
  }
  return {
    region,
    published: true,
    rerun: false,
    commit: req.commit,
    ...layer,
    s3: { bucket, key: req.key, ...(uploaded.versionId ? { versionId: uploaded.versionId } : {}) },
    deleted: [],
    shared: [],
    functions: [],
    changes: [`published version ${layer.version}`]
  }
}
