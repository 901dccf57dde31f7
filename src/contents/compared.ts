/**
 * The version `compare-with` names, and its packages, read from that version itself:
 * GetLayerVersion, then the METADATA files of its zip through range requests on its pre-signed
 * location; where that location cannot be fetched (moto answers `s3://`), the zip this action
 * uploaded for it (same CodeSha256, under the layer's S3 prefix) or the SBOM beside that zip.
 */
import * as core from '@actions/core'
import { GetLayerVersionCommand, type LambdaClient } from '@aws-sdk/client-lambda'
import type { S3Client } from '@aws-sdk/client-s3'
import { ACTION_NAME, ACTION_VERSION, Inputs } from '../constants'
import { createClients } from '../deliver/clients'
import { InputError, LayerActionError, messageOf } from '../errors'
import { comparesWith, type CompareWith } from './inputs'
import { explainAwsError, layerArnFor } from '../deliver/errors'
import { listLayerVersions } from '../deliver/layers'
import type { NamedVersion } from './diff'
import { HttpClient } from '../http'
import { fetchRange, type RangeSource } from './http-range'
import { findOwnUpload, layerKeyPrefix, readSbomBeside, s3RangeSource } from './own-upload'
import { readRemoteZipPackages, type RemoteRead } from './remote-zip'

export interface ComparedLayer {
  readonly layerVersionArn: string
  readonly codeSha256: string
  readonly codeSize?: number
  readonly unzippedSize?: number
  readonly packages: readonly NamedVersion[]
  /** where its packages were read: the same zip as this run's, its location, or this action's upload */
  readonly source: 'identical' | 'location' | 'own-sbom' | 'own-zip'
  readonly read?: RemoteRead
}

export interface CompareRequest {
  readonly compareWith: CompareWith
  readonly publish: boolean
  /** the published name, in the primary region */
  readonly layerName: string
  readonly region: string
  /** where the fallback looks: this run's bucket (`{region}` allowed) and prefix; '' for none */
  readonly bucket: string
  readonly s3Prefix: string
  /** this run's zip, so that the same zip is not read again */
  readonly own: { codeSha256: string; packages: readonly NamedVersion[]; unzippedSize: number }
  readonly tmpDir: string
}

export interface RegionClients {
  lambda: LambdaClient
  s3: S3Client
}

/** `arn:…:layer:name:7` → its parts */
function parseLayerVersionArn(arn: string) {
  const parts = arn.split(':')
  return {
    region: parts[3],
    layerArn: parts.slice(0, 7).join(':'),
    name: parts[6],
    version: Number(parts[7])
  }
}

/** The version compare-with names; undefined when nothing is to be compared (or no version exists yet). */
async function target(req: CompareRequest, clientsFor: (region: string) => RegionClients) {
  if (!comparesWith(req.compareWith, req.publish)) return undefined
  if (req.compareWith.startsWith('arn:')) return parseLayerVersionArn(req.compareWith)
  const versions = await listLayerVersions(clientsFor(req.region).lambda, req.layerName)
  const latest = versions[0]?.Version
  if (latest === undefined) {
    core.info(`${req.layerName} has no version in ${req.region} yet: nothing to compare with`)
    return undefined
  }
  return { region: req.region, layerArn: req.layerName, name: req.layerName, version: latest }
}

export async function readComparedLayer(
  req: CompareRequest,
  clientsFor: (region: string) => RegionClients
): Promise<ComparedLayer | undefined> {
  const t = await target(req, clientsFor)
  if (!t) return undefined
  const { lambda, s3 } = clientsFor(t.region)
  const { location, ...base } = await layerVersion(req, t, lambda)
  if (base.codeSha256 === req.own.codeSha256)
    return {
      ...base,
      unzippedSize: req.own.unzippedSize,
      packages: req.own.packages,
      source: 'identical'
    }
  let unreadable = `its location is ${location ? `'${location.split('?')[0]}'` : 'empty'}`
  if (/^https?:\/\//.test(location)) {
    try {
      const http = new HttpClient()
      const read = await readZip(
        range => fetchRange(location, range, http),
        base.layerVersionArn,
        req
      ).finally(() => http.close())
      return { ...base, ...read, source: 'location' }
    } catch (error: unknown) {
      unreadable = messageOf(error)
      core.info(
        `Could not read ${base.layerVersionArn} from its location (${unreadable}): looking in S3`
      )
    }
  }
  return { ...base, ...(await fromOwnUpload(req, t, s3, base, unreadable)) }
}

/** GetLayerVersion, which takes the layer's ARN as its name (moto's GetLayerVersionByArn answers nothing). */
async function layerVersion(
  req: CompareRequest,
  t: { region: string; layerArn: string; name: string; version: number },
  lambda: LambdaClient
) {
  const v = await lambda
    .send(new GetLayerVersionCommand({ LayerName: t.layerArn, VersionNumber: t.version }))
    .catch((error: unknown) => {
      const explained = explainAwsError(error, {
        action: 'lambda:GetLayerVersion',
        resource: `${t.layerArn.startsWith('arn:') ? t.layerArn : layerArnFor(t.region, t.name)}:${t.version}`,
        region: t.region
      })
      if (explained.kind === 'not-found' && req.compareWith.startsWith('arn:'))
        throw new InputError(
          Inputs.CompareWith,
          req.compareWith,
          'the ARN of a layer version that exists (this one does not: deleted, or a typo), or latest, auto or none'
        )
      throw explained
    })
  return {
    layerVersionArn: v.LayerVersionArn ?? `${t.layerArn}:${t.version}`,
    codeSha256: v.Content?.CodeSha256 ?? '',
    codeSize: v.Content?.CodeSize,
    location: v.Content?.Location ?? ''
  }
}

/** The zip this action uploaded for that version, under the layer's prefix: the SBOM beside it, else the zip. */
async function fromOwnUpload(
  req: CompareRequest,
  t: { region: string; name: string },
  s3: S3Client,
  version: { layerVersionArn: string; codeSha256: string; codeSize?: number },
  unreadable: string
): Promise<Omit<ComparedLayer, 'layerVersionArn' | 'codeSha256' | 'codeSize'>> {
  const bucket = req.bucket.replace(/\{region\}/g, t.region)
  const what = `Could not read the packages of ${version.layerVersionArn}: ${unreadable}, and`
  if (!bucket)
    throw new LayerActionError(
      `${what} no 'bucket' is given to look for the zip this action uploaded for it`
    )
  const at = { s3, region: t.region, bucket }
  const prefix = layerKeyPrefix(req.s3Prefix, t.name)
  const key = await findOwnUpload(at, prefix, version)
  if (!key)
    throw new LayerActionError(
      `${what} s3://${bucket}/${prefix} holds no zip with its CodeSha256 ${version.codeSha256} (a version this action did not upload there)`
    )
  const sbom = await readSbomBeside(at, key, version.codeSha256)
  if (sbom) return { ...sbom, source: 'own-sbom' }
  return {
    ...(await readZip(s3RangeSource(at, key), version.layerVersionArn, req)),
    source: 'own-zip'
  }
}

async function readZip(source: RangeSource, label: string, req: CompareRequest) {
  const zip = await readRemoteZipPackages(source, label, req.tmpDir)
  for (const why of zip.skipped) core.warning(`${label}: ${why}`)
  return {
    packages: zip.packages.map(p => ({ name: p.key, version: p.metadata.version })),
    unzippedSize: zip.unzippedSize,
    read: zip.read
  }
}

/** The clients of each region, made on first use. */
export function regionClients(): (region: string) => RegionClients {
  const made = new Map<string, RegionClients>()
  return region => {
    let clients = made.get(region)
    if (!clients) {
      clients = createClients({ region, userAgent: `${ACTION_NAME}/${ACTION_VERSION}` })
      made.set(region, clients)
    }
    return clients
  }
}
