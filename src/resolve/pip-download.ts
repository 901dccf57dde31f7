/**
 * pip before 22.2 has no `install --dry-run --report`: `pip download` into a scratch folder, and
 * the report items read from the wheels themselves (their METADATA gives Requires-Dist), every file
 * pinned by its `file:` URL and SHA-256.
 */
import { mkdtemp } from 'node:fs/promises'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { sha256File } from '../digests'
import { wheelCoreMetadata } from '../python/wheel-metadata'
import { normalizeProject } from '../python/names'
import { parseRequirement, readRequirementLines } from '../python/requirements'
import { parseDistributionFile } from '../python/wheel-tags'
import { downloadWheels, type PipOptions } from './pip'
import type { ReportItem } from './pip-report'

/**
 * pip before 22.2: `pip download` into a scratch folder, and the report items read from the
 * wheels themselves (their METADATA gives Requires-Dist); every file pinned by its `file:` URL.
 */
export async function downloadedItems(pip: PipOptions): Promise<ReportItem[]> {
  const dir = await mkdtemp(path.join(pip.wheelhouse, '.download-'))
  const files = await downloadWheels({ ...pip, wheelhouse: dir })
  const top = new Set((await findRequested(pip)).map(name => name))
  return Promise.all(
    files.map(async file => {
      const absolute = path.join(dir, file)
      const metadata = await wheelCoreMetadata(absolute)
      const parsed = parseDistributionFile(file)
      const name = normalizeProject(metadata?.name ?? parsed?.project ?? file)
      return {
        name,
        version: metadata?.version ?? parsed?.version ?? '',
        url: pathToFileURL(absolute).href,
        hashes: { sha256: [await sha256File(absolute)] },
        requested: top.has(name),
        requestedExtras: [],
        requiresDist: [...(metadata?.requiresDist ?? [])]
      }
    })
  )
}

/** The names a requirements file asks for directly (and those of the files it includes). */
async function findRequested(pip: PipOptions): Promise<string[]> {
  const { requirements } = await readRequirementLines(pip.requirements, pip.env ?? process.env)
  return requirements.flatMap(text => parseRequirement(text)?.project ?? [])
}
