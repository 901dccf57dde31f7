/**
 * What this action left in S3 beside a layer version: the zip it published from (its key
 * `<s3-prefix>/<layer>/<stamp>/<layer>.zip`, its metadata `sha256` = CodeSha256) and the SBOM beside
 * it (`.cdx.json` for `.zip`). Found again from the version's CodeSha256 and CodeSize, where the
 * version's own location cannot be read (moto answers `s3://`), and to complete a rerun.
 */
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client
} from '@aws-sdk/client-s3'
import { AwsError, explainAwsError, partitionOf, s3ObjectArn } from '../deliver/errors'
import { normalizeProject } from '../python/names'
import type { NamedVersion } from './diff'
import { rangeHeader } from '../http'
import { parseContentRange, type RangeSource } from './http-range'
import { PROPERTY } from './sbom'

export interface S3Place {
  readonly s3: S3Client
  readonly region: string
  readonly bucket: string
}

/** At most this many same-sized zips are asked for their metadata: keys are newest first. */
const HEAD_MAX = 50

/** `<prefix>/<layer>/`, as layerObjectKey (deliver/upload.ts) lays keys out. */
export function layerKeyPrefix(s3Prefix: string, layerName: string): string {
  return `${[s3Prefix.replace(/^\/+|\/+$/g, ''), layerName].filter(Boolean).join('/')}/`
}

/** The SBOM's key: the zip's key with `.cdx.json` for `.zip`. */
export function sbomKeyOf(zipKey: string): string {
  return `${zipKey.replace(/\.zip$/, '')}.cdx.json`
}

/** An S3 call's failure, explained with the IAM action and resource it needs. */
function awsError(at: S3Place, action: string, key: string, error: unknown): AwsError {
  return explainAwsError(error, {
    action,
    resource:
      action === 's3:ListBucket'
        ? `arn:${partitionOf(at.region)}:s3:::${at.bucket}`
        : s3ObjectArn(at.region, at.bucket, key),
    region: at.region,
    bucket: at.bucket,
    key
  })
}

/** For `.catch()`: throws the failure explained. */
function explained(at: S3Place, action: string, key: string) {
  return (error: unknown): never => {
    throw awsError(at, action, key, error)
  }
}

/** The key of the zip this action uploaded with this CodeSha256 under `prefix`, newest first. */
export async function findOwnUpload(
  at: S3Place,
  prefix: string,
  version: { codeSha256: string; codeSize?: number }
): Promise<string | undefined> {
  const candidates: string[] = []
  let token: string | undefined
  do {
    const page = await at.s3
      .send(
        new ListObjectsV2Command({ Bucket: at.bucket, Prefix: prefix, ContinuationToken: token })
      )
      .catch(explained(at, 's3:ListBucket', prefix))
    for (const o of page.Contents ?? [])
      if (
        o.Key?.endsWith('.zip') &&
        (version.codeSize === undefined || o.Size === version.codeSize)
      )
        candidates.push(o.Key)
    token = page.IsTruncated ? page.NextContinuationToken : undefined
  } while (token)
  for (const key of candidates.sort().reverse().slice(0, HEAD_MAX)) {
    const head = await at.s3
      .send(new HeadObjectCommand({ Bucket: at.bucket, Key: key }))
      .catch(explained(at, 's3:GetObject', key))
    if (head.Metadata?.sha256 === version.codeSha256) return key
  }
  return undefined
}

/** Ranges of an S3 object (GetObject with Range). */
export function s3RangeSource(at: S3Place, key: string): RangeSource {
  return async range => {
    const r = await at.s3
      .send(new GetObjectCommand({ Bucket: at.bucket, Key: key, Range: rangeHeader(range) }))
      .catch(explained(at, 's3:GetObject', key))
    const data = Buffer.from(await (r.Body?.transformToByteArray() ?? new Uint8Array()))
    const where = parseContentRange(r.ContentRange)
    return where ? { ...where, data } : { start: 0, total: data.length, data }
  }
}

/**
 * The packages listed by the SBOM beside a zip, when it is there and describes that very zip (its
 * CodeSha256 property); undefined otherwise.
 */
export async function readSbomBeside(
  at: S3Place,
  zipKey: string,
  codeSha256: string
): Promise<{ packages: NamedVersion[]; unzippedSize?: number } | undefined> {
  let text: string
  try {
    const r = await at.s3.send(new GetObjectCommand({ Bucket: at.bucket, Key: sbomKeyOf(zipKey) }))
    text = (await r.Body?.transformToString('utf8')) ?? ''
  } catch {
    // no SBOM (sbom: false, or an older run): the zip itself is read instead
    return undefined
  }
  try {
    const bom = JSON.parse(text) as SbomShape
    const property = (name: string) =>
      bom.metadata?.component?.properties?.find(p => p.name === name)?.value
    if (property(PROPERTY.codeSha256) !== codeSha256) return undefined
    const packages = (bom.components ?? [])
      .filter(c => typeof c.name === 'string' && typeof c.version === 'string')
      .map(c => ({ name: normalizeProject(c.name as string), version: c.version as string }))
    const unzipped = Number(property(PROPERTY.unzippedSize))
    return { packages, ...(Number.isFinite(unzipped) ? { unzippedSize: unzipped } : {}) }
  } catch {
    return undefined
  }
}

interface SbomShape {
  metadata?: { component?: { properties?: { name?: string; value?: string }[] } }
  components?: { name?: unknown; version?: unknown }[]
}

/** Whether `key` exists (a HeadObject that fails for any reason other than 404 throws). */
export async function objectExists(at: S3Place, key: string): Promise<boolean> {
  try {
    await at.s3.send(new HeadObjectCommand({ Bucket: at.bucket, Key: key }))
    return true
  } catch (error: unknown) {
    const why = awsError(at, 's3:GetObject', key, error)
    if (why.kind === 'not-found') return false
    throw why
  }
}

/** Writes the SBOM at `key`. */
export async function putSbom(at: S3Place, key: string, json: string): Promise<void> {
  await at.s3
    .send(
      new PutObjectCommand({
        Bucket: at.bucket,
        Key: key,
        Body: json,
        ContentType: 'application/vnd.cyclonedx+json'
      })
    )
    .catch(explained(at, 's3:PutObject', key))
}
