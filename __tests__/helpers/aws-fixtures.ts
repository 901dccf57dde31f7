/**
 * Shared pieces of the AWS integration tests: small real layer zips, clients whose retries do not
 * wait, buckets in a given region, and a delivery request with everything filled in.
 */
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import AdmZip from 'adm-zip'
import { CreateBucketCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3'
import { ListLayerVersionsCommand, type LambdaClient } from '@aws-sdk/client-lambda'
import { createClients, type AwsClients } from '../../src/deliver/clients'
import type { DeliveryRequest } from '../../src/deliver/deliver'

export interface TestZip {
  path: string
  /** base64 SHA-256, as Lambda's CodeSha256 */
  sha256: string
}

/** A layer zip holding python/<module>.py with the given source. */
export async function makeZip(dir: string, name: string, source: string): Promise<TestZip> {
  const zip = new AdmZip()
  zip.addFile(`python/${name}.py`, Buffer.from(source))
  const file = path.join(
    dir,
    `${name}-${createHash('sha1').update(source).digest('hex').slice(0, 8)}.zip`
  )
  zip.writeZip(file)
  return {
    path: file,
    sha256: createHash('sha256')
      .update(await readFile(file))
      .digest('base64')
  }
}

export function sha256Base64(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('base64')
}

/** Clients as the action makes them, with retries that wait 1 ms instead of seconds. */
export function fastClients(region: string, maxAttempts = 5): AwsClients {
  return createClients({
    region,
    userAgent: 'layer-action/0.0.0-test',
    maxAttempts,
    retryDelay: () => 1
  })
}

export async function createBucket(s3: S3Client, bucket: string, region: string): Promise<void> {
  await s3.send(
    new CreateBucketCommand({
      Bucket: bucket,
      ...(region === 'us-east-1'
        ? {}
        : { CreateBucketConfiguration: { LocationConstraint: region as 'eu-west-1' } })
    })
  )
}

export async function objectKeys(s3: S3Client, bucket: string): Promise<string[]> {
  const r = await s3.send(new ListObjectsV2Command({ Bucket: bucket }))
  return (r.Contents ?? []).map(o => o.Key ?? '').sort()
}

export function request(
  zip: TestZip,
  over: Partial<Omit<DeliveryRequest, 'region'>> = {}
): Omit<DeliveryRequest, 'region'> {
  return {
    layerName: 'common-dev',
    bucket: 'layers-bucket',
    key: 'layers/common-dev/20261122-104512/common-dev.zip',
    zipPath: zip.path,
    sha256: zip.sha256,
    skipUnchanged: true,
    description: 'v1.0.0 abc1234 dev',
    compatibleRuntimes: ['python3.12'],
    architecture: 'arm64',
    metadata: { version: '1.0.0', commit: 'abc1234def' },
    keepVersions: 0,
    shareWith: [],
    updateFunctions: [],
    ...over
  }
}

/** The layer's version numbers, newest first. */
export async function layerVersions(lambda: LambdaClient, name = 'common-dev'): Promise<number[]> {
  const r = await lambda.send(new ListLayerVersionsCommand({ LayerName: name }))
  return (r.LayerVersions ?? []).map(v => v.Version ?? 0).sort((a, b) => b - a)
}
