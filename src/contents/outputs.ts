/** The step outputs of the contents stage: `sbom-path`, `sbom-s3-key`, `changes`. */
import { Outputs } from '../constants'
import type { ContentsResult } from './contents'

export function contentsOutputs(
  contents: ContentsResult | undefined,
  sbomS3Key = ''
): Record<Outputs.SbomPath | Outputs.SbomS3Key | Outputs.Changes, string> {
  return {
    [Outputs.SbomPath]: contents?.sbom?.path ?? '',
    [Outputs.SbomS3Key]: sbomS3Key,
    // empty when nothing was compared; JSON with empty lists when nothing changed
    [Outputs.Changes]: contents?.changes ? JSON.stringify(contents.changes) : ''
  }
}
