/**
 * pip before 22.2 has no `install --dry-run --report`: `pip download` into a scratch folder, and
 * the report items read from the wheels themselves (their METADATA gives Requires-Dist), every file
 * pinned by its `file:` URL and SHA-256.
 */
import { closeSync, openSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { sha256File } from '../digests'
import { parseCoreMetadata } from '../python/metadata'
import { normalizeProject } from '../python/names'
import { parseRequirement, readRequirementLines } from '../python/requirements'
import { parseDistributionFile } from '../python/wheel-tags'
import { readCentralDirectory, readEntry } from '../zip/reader'
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
      const metadata = await wheelMetadata(absolute)
      const parsed = parseDistributionFile(file)
      const name = normalizeProject(metadata.name ?? parsed?.project ?? file)
      return {
        name,
        version: metadata.version ?? parsed?.version ?? '',
        url: pathToFileURL(absolute).href,
        hashes: { sha256: [await sha256File(absolute)] },
        requested: top.has(name),
        requestedExtras: [],
        requiresDist: metadata.requiresDist
      }
    })
  )
}

/** The names a requirements file asks for directly (and those of the files it includes). */
async function findRequested(pip: PipOptions): Promise<string[]> {
  const { requirements } = await readRequirementLines(pip.requirements, pip.env ?? process.env)
  return requirements.flatMap(text => parseRequirement(text)?.project ?? [])
}

/** Name, Version and Requires-Dist from a wheel's `*.dist-info/METADATA`. */
async function wheelMetadata(
  file: string
): Promise<{ name?: string; version?: string; requiresDist: string[] }> {
  const fd = openSync(file, 'r')
  try {
    const entry = readCentralDirectory(fd, file).find(e =>
      /^[^/]+\.dist-info\/METADATA$/.test(e.name)
    )
    if (!entry) return { requiresDist: [] }
    const metadata = parseCoreMetadata((await readEntry(fd, entry, file)).toString('utf8'))
    return {
      name: metadata?.name,
      version: metadata?.version,
      requiresDist: [...(metadata?.requiresDist ?? [])]
    }
  } finally {
    closeSync(fd)
  }
}
