/** The layer's entries → the zip, logged with what a reader checks first. */
import * as core from '@actions/core'
import { formatBytes, type SizeReport } from './size'
import type { BuiltLayer } from './layer'
import { zipLayer, type ZipResult } from './zip'

export interface PackagedLayer {
  readonly size: SizeReport
  readonly zip: ZipResult
}

export async function packageLayer(layer: BuiltLayer, zipPath: string): Promise<PackagedLayer> {
  const zip = await zipLayer(layer.entries, zipPath)
  core.info(
    `${zip.path}: ${formatBytes(zip.zipSize)} zipped, ${formatBytes(zip.unzippedSize)} unzipped, ${zip.entries} entries (${zip.stored} stored), CodeSha256 ${zip.sha256}`
  )
  return { size: layer.size, zip }
}
