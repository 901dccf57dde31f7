/**
 * A layer directory built from resolved wheels the way the action builds it: wheel entries merged
 * (src/assemble), then written out as the smoke test sees them (src/assemble/extract).
 */
import { promises as fs } from 'node:fs'
import path from 'node:path'
import { mergeWheels } from '../../src/assemble/layer'
import { extractLayer } from '../../src/assemble/extract'
import { wheelContent } from '../../src/assemble/wheel'

/** Writes the wheels' files to `pythonDir` (which must end in `python`). */
export async function installLayer(
  wheelFiles: readonly string[],
  pythonDir: string
): Promise<void> {
  if (path.basename(pythonDir) !== 'python') throw new Error(`${pythonDir} must end in python/`)
  const wheels = await Promise.all(wheelFiles.map(f => wheelContent(f)))
  await fs.mkdir(path.dirname(pythonDir), { recursive: true })
  await extractLayer(mergeWheels(wheels), path.dirname(pythonDir))
}
