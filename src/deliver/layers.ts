/**
 * Lambda layer versions (their name rules are in names.ts): listing and reading versions, publishing from S3.
 * Limits are Lambda's API model (PublishLayerVersion, AddLayerVersionPermission, read 2026-11).
 */
import {
  GetLayerVersionCommand,
  ListLayerVersionsCommand,
  PublishLayerVersionCommand,
  type LambdaClient,
  type LayerVersionsListItem,
  type Runtime
} from '@aws-sdk/client-lambda'
import type { Architecture } from '../runtimes'
import { explainAwsError, layerArnFor } from './errors'
import { layerDescription, validateLayerName, validateLicenseInfo } from './names'

/** `arn:…:layer:name:7` → `arn:…:layer:name` */
export function layerArnOf(layerVersionArn: string): string {
  return layerVersionArn.replace(/:\d+$/, '')
}

export interface LayerVersionInfo {
  /** without the version */
  layerArn: string
  layerVersionArn: string
  version: number
  /** base64 SHA-256 of the zip */
  codeSha256: string
  codeSize?: number
  description?: string
  compatibleRuntimes: string[]
  compatibleArchitectures: string[]
  createdDate?: string
}

async function regionOf(lambda: LambdaClient): Promise<string> {
  return lambda.config.region()
}

/** Every version of the layer, newest first; none (not an error) when the layer does not exist. */
export async function listLayerVersions(
  lambda: LambdaClient,
  layerName: string
): Promise<LayerVersionsListItem[]> {
  const versions: LayerVersionsListItem[] = []
  let marker: string | undefined
  do {
    const page = await listLayerVersionsPage(lambda, layerName, marker)
    versions.push(...page.versions)
    marker = page.next
  } while (marker)
  return versions.sort((a, b) => (b.Version ?? 0) - (a.Version ?? 0))
}

/** Same members, order ignored. */
export function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().join() === [...b].sort().join()
}

/** One version with its CodeSha256 (which only GetLayerVersion returns). */
export async function getLayerVersion(
  lambda: LambdaClient,
  layerName: string,
  version: number
): Promise<LayerVersionInfo> {
  const region = await regionOf(lambda)
  try {
    const v = await lambda.send(
      new GetLayerVersionCommand({ LayerName: layerName, VersionNumber: version })
    )
    const layerVersionArn = v.LayerVersionArn ?? `${layerArnFor(region, layerName)}:${version}`
    return {
      layerArn: v.LayerArn ?? layerArnOf(layerVersionArn),
      layerVersionArn,
      version: v.Version ?? version,
      codeSha256: v.Content?.CodeSha256 ?? '',
      codeSize: v.Content?.CodeSize,
      description: v.Description,
      compatibleRuntimes: [...(v.CompatibleRuntimes ?? [])],
      compatibleArchitectures: [...(v.CompatibleArchitectures ?? [])],
      createdDate: v.CreatedDate
    }
  } catch (error: unknown) {
    throw explainAwsError(error, {
      action: 'lambda:GetLayerVersion',
      resource: `${layerArnFor(region, layerName)}:${version}`,
      region
    })
  }
}

/** ListLayerVersions' page size limit (MaxItems). */
export const LIST_PAGE_MAX = 50

/** One page of ListLayerVersions, newest first; none (not an error) when the layer does not exist. */
export async function listLayerVersionsPage(
  lambda: LambdaClient,
  layerName: string,
  marker: string | undefined,
  maxItems = LIST_PAGE_MAX
): Promise<{ versions: LayerVersionsListItem[]; next?: string }> {
  const region = await regionOf(lambda)
  try {
    const page = await lambda.send(
      new ListLayerVersionsCommand({ LayerName: layerName, Marker: marker, MaxItems: maxItems })
    )
    // Lambda lists newest first; sorted again in case a server does not
    const versions = [...(page.LayerVersions ?? [])].sort(
      (a, b) => (b.Version ?? 0) - (a.Version ?? 0)
    )
    return { versions, next: page.NextMarker }
  } catch (error: unknown) {
    if ((error as { name?: string }).name === 'ResourceNotFoundException') return { versions: [] }
    throw explainAwsError(error, {
      action: 'lambda:ListLayerVersions',
      resource: layerArnFor(region, layerName),
      region
    })
  }
}

export interface PublishRequest {
  layerName: string
  bucket: string
  key: string
  /** pins the object when the bucket is versioned */
  objectVersion?: string
  description: string
  compatibleRuntimes: readonly string[]
  architecture: Architecture
  licenseInfo?: string
}

export interface PublishedLayer {
  layerArn: string
  layerVersionArn: string
  version: number
  codeSha256: string
  codeSize?: number
}

export async function publishLayerVersion(
  lambda: LambdaClient,
  p: PublishRequest
): Promise<PublishedLayer> {
  validateLayerName(p.layerName)
  const region = await regionOf(lambda)
  try {
    const r = await lambda.send(
      new PublishLayerVersionCommand({
        LayerName: p.layerName,
        Content: {
          S3Bucket: p.bucket,
          S3Key: p.key,
          ...(p.objectVersion ? { S3ObjectVersion: p.objectVersion } : {})
        },
        Description: layerDescription(p.description),
        CompatibleRuntimes: [...p.compatibleRuntimes] as Runtime[],
        CompatibleArchitectures: [p.architecture],
        ...(p.licenseInfo ? { LicenseInfo: validateLicenseInfo(p.licenseInfo) } : {})
      })
    )
    if (!r.LayerVersionArn || r.Version === undefined) {
      throw new Error('PublishLayerVersion answered without LayerVersionArn or Version')
    }
    return {
      layerArn: r.LayerArn ?? layerArnOf(r.LayerVersionArn),
      layerVersionArn: r.LayerVersionArn,
      version: r.Version,
      codeSha256: r.Content?.CodeSha256 ?? '',
      codeSize: r.Content?.CodeSize
    }
  } catch (error: unknown) {
    throw explainAwsError(error, {
      action: 'lambda:PublishLayerVersion',
      resource: layerArnFor(region, p.layerName),
      region,
      bucket: p.bucket,
      key: p.key
    })
  }
}
