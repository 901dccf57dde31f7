/**
 * Where the SBOM goes after the publish: beside the zip in S3 (the zip's key with `.cdx.json`), in
 * every region. A version reused from an earlier run gets it beside that run's zip when it is not
 * there yet, so a rerun after a failed upload finishes the job.
 */
import * as core from '@actions/core'
import { ACTION_NAME, ACTION_VERSION } from '../constants'
import { createClients } from '../deliver/clients'
import type { DeliveryResult } from '../deliver/deliver'
import { bucketForRegion } from '../deliver/names'
import { messageOf } from '../errors'
import type { ActionInputs } from '../inputs'
import {
  findOwnUpload,
  layerKeyPrefix,
  objectExists,
  putSbom,
  sbomKeyOf,
  type S3Place
} from './own-upload'
import type { S3Client } from '@aws-sdk/client-s3'

/** The primary region's SBOM key ('' when none lies beside its zip). */
export async function sbomBesideZips(
  inputs: ActionInputs,
  deliveries: readonly DeliveryResult[],
  json: string,
  o: { s3For?: (region: string) => S3Client } = {}
): Promise<string> {
  const s3For =
    o.s3For ??
    ((region: string) =>
      createClients({ region, userAgent: `${ACTION_NAME}/${ACTION_VERSION}` }).s3)
  const keys = await Promise.all(
    deliveries.map(async d => {
      const at: S3Place = {
        s3: s3For(d.region),
        region: d.region,
        bucket: d.s3?.bucket ?? bucketForRegion(inputs.bucket, d.region)
      }
      if (d.s3) {
        const key = sbomKeyOf(d.s3.key)
        // a failure here fails the hand-off step, which says the version is in place and a rerun completes it
        await putSbom(at, key, json)
        core.info(`SBOM uploaded: s3://${at.bucket}/${key}`)
        return key
      }
      return besideEarlierZip(inputs, d, at, json)
    })
  )
  return keys[0] ?? ''
}

/** An unchanged or reused version: its SBOM beside the zip an earlier run uploaded for it. */
async function besideEarlierZip(
  inputs: ActionInputs,
  d: DeliveryResult,
  at: S3Place,
  json: string
): Promise<string> {
  try {
    const zipKey = await findOwnUpload(at, layerKeyPrefix(inputs.s3Prefix, inputs.publishedName), {
      codeSha256: d.codeSha256,
      codeSize: d.codeSize
    })
    if (!zipKey) {
      core.info(
        `No zip of ${d.layerVersionArn} under s3://${at.bucket}/${layerKeyPrefix(inputs.s3Prefix, inputs.publishedName)}: no SBOM placed beside it`
      )
      return ''
    }
    const key = sbomKeyOf(zipKey)
    if (await objectExists(at, key)) {
      core.info(`SBOM of ${d.layerVersionArn}: s3://${at.bucket}/${key} (already there)`)
      return key
    }
    await putSbom(at, key, json)
    core.info(`SBOM of ${d.layerVersionArn} placed beside its zip: s3://${at.bucket}/${key}`)
    return key
  } catch (error: unknown) {
    // nothing was published now: a missing s3:ListBucket must not fail an unchanged layer
    core.warning(
      `The SBOM of ${d.layerVersionArn} was not placed beside its zip: ${messageOf(error)}`
    )
    return ''
  }
}
