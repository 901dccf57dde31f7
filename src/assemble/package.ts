/** layer directory → zip: measured against Lambda's limit first, then zipped. */
import * as core from '@actions/core'
import path from 'node:path'
import {
  assertWithinLimit,
  formatBytes,
  LAMBDA_UNZIPPED_LIMIT,
  measureLayer,
  type SizeReport
} from './size'
import { zipLayer, type ZipResult } from './zip'

export interface PackagedLayer {
  readonly size: SizeReport
  readonly zip: ZipResult
}

/** Within this share of the limit, warn: the function's own code and its other layers share it. */
const NEAR_LIMIT = 0.9

export async function packageLayer(pythonDir: string, zipPath: string): Promise<PackagedLayer> {
  const size = await measureLayer(pythonDir)
  assertWithinLimit(size)
  const warning = nearLimitWarning(size)
  if (warning) core.warning(warning)
  const zip = await zipLayer(path.dirname(pythonDir), zipPath)
  core.info(
    `${zip.path}: ${formatBytes(zip.zipSize)} zipped, ${formatBytes(zip.unzippedSize)} unzipped, ${zip.entries} entries (${zip.stored} stored as they were), CodeSha256 ${zip.sha256}`
  )
  return { size, zip }
}

/** A warning when the layer leaves less than 10% of Lambda's unzipped limit to everything else. */
export function nearLimitWarning(
  size: SizeReport,
  limit = LAMBDA_UNZIPPED_LIMIT
): string | undefined {
  if (size.totalBytes <= NEAR_LIMIT * limit) return undefined
  const largest = size.packages
    .slice(0, 5)
    .map(p => `${p.name} ${formatBytes(p.bytes)}`)
    .join(', ')
  return (
    `The layer is ${formatBytes(size.totalBytes)} unzipped, within 10% of Lambda's ${formatBytes(limit)} limit ` +
    `for a function and all its layers together: little room is left for the function's own code. Largest: ${largest}.`
  )
}
