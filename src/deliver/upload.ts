/**
 * The layer zip into S3 under a timestamped key. lib-storage sends one PUT for a small zip and a
 * parallel multipart upload for a large one; both end as one object Lambda can read.
 */
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import type { S3Client } from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import * as core from '@actions/core'
import { explainAwsError, s3ObjectArn } from './errors'
import { formatBytes } from '../assemble/size'

export type Log = (line: string) => void

export interface UploadRequest {
  bucket: string
  key: string
  /** local path of the zip */
  file: string
  /** base64 SHA-256 of the zip, as Lambda reports CodeSha256; stored as metadata `sha256` */
  sha256: string
  /** object metadata (x-amz-meta-*), e.g. version and commit */
  metadata: Record<string, string>
}

export interface UploadOptions {
  region?: string
  /** multipart part size in bytes (S3's minimum is 5 MiB) */
  partSize?: number
  /** parts in flight at once */
  queueSize?: number
  /** at most one progress line per this many ms */
  progressEveryMs?: number
  /** ms clock, injectable so tests see progress lines without waiting */
  now?: () => number
  log?: Log
}

export interface UploadedObject {
  bucket: string
  key: string
  size: number
  /** set when the bucket is versioned: PublishLayerVersion pins it */
  versionId?: string
}

export const DEFAULT_PART_SIZE = 8 * 1024 * 1024

/** Metadata travels as HTTP headers: lower-case keys, printable ASCII values (others URI-encoded). */
function headerSafe(metadata: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(metadata)) {
    const key = k.toLowerCase().replace(/[^a-z0-9-]/g, '-')
    out[key] = /^[\x20-\x7e]*$/.test(v) ? v : encodeURIComponent(v)
  }
  return out
}

export async function uploadZip(
  s3: S3Client,
  req: UploadRequest,
  o: UploadOptions = {}
): Promise<UploadedObject> {
  const log = o.log ?? core.info
  const now = o.now ?? Date.now
  const every = o.progressEveryMs ?? 5000
  const region = o.region ?? (await s3.config.region())
  const size = (await stat(req.file)).size
  const target = `s3://${req.bucket}/${req.key}`
  log(`Uploading ${formatBytes(size)} to ${target}`)

  const upload = new Upload({
    client: s3,
    params: {
      Bucket: req.bucket,
      Key: req.key,
      Body: createReadStream(req.file),
      ContentLength: size,
      ContentType: 'application/zip',
      Metadata: headerSafe({ ...req.metadata, sha256: req.sha256 })
    },
    partSize: o.partSize ?? DEFAULT_PART_SIZE,
    queueSize: o.queueSize ?? 4,
    leavePartsOnError: false
  })
  const started = now()
  let lastLine = started
  let lastPercent = 0
  upload.on('httpUploadProgress', p => {
    const loaded = p.loaded ?? 0
    const total = p.total ?? size
    const t = now()
    const percent = total > 0 ? Math.floor((loaded * 100) / total) : 100
    // a line per interval, only when it says something new: no line per part
    if (loaded < total && t - lastLine >= every && percent > lastPercent) {
      log(
        `  ${percent}% (${formatBytes(loaded)} of ${formatBytes(total)}, ${Math.round((t - started) / 1000)} s)`
      )
      lastLine = t
      lastPercent = percent
    }
  })
  try {
    const result = await upload.done()
    const seconds = (now() - started) / 1000
    if (seconds >= every / 1000) log(`Uploaded ${target} in ${seconds.toFixed(0)} s`)
    return {
      bucket: req.bucket,
      key: req.key,
      size,
      ...(result.VersionId ? { versionId: result.VersionId } : {})
    }
  } catch (error: unknown) {
    throw explainAwsError(error, {
      action: 's3:PutObject',
      resource: s3ObjectArn(region, req.bucket, req.key),
      region,
      bucket: req.bucket,
      key: req.key
    })
  }
}
