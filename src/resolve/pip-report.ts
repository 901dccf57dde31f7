/**
 * pip's installation report (`pip install --dry-run --report`, format version 1 since pip 23.0, 0 in
 * 22.2; read from pip's docs/html/reference/installation-report.md) → pinned entries: each item's
 * file URL and hashes (`download_info`), and the graph from its `metadata.requires_dist`, whose
 * markers are evaluated for the target with the extras each package was asked for.
 */
import { fileURLToPath } from 'node:url'
import { LayerActionError } from '../errors'
import type { MarkerEnvironment } from '../runtimes'
import { requirementGraph } from '../python/graph'
import { normalizeProject } from '../python/names'
import { baseNameOf } from '../python/filenames'
import type { Hashes, PinnedEntry } from './pinned'

/** A report this action cannot read: a pip whose report format changed. */
export class PipReportError extends LayerActionError {}

export interface ReportItem {
  /** PEP 503 normalised */
  readonly name: string
  readonly version: string
  /** the file pip would install (no credentials: pip removes them) */
  readonly url: string
  /** a local source tree pip would build (only when pip was handed one) */
  readonly directory?: string
  readonly hashes: Hashes
  readonly requested: boolean
  readonly requestedExtras: readonly string[]
  readonly requiresDist: readonly string[]
}

type Json = Record<string, unknown>

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function hashesOf(archive: Json): Hashes {
  const hashes: Record<string, string[]> = {}
  if (isObject(archive.hashes))
    for (const [alg, value] of Object.entries(archive.hashes))
      if (typeof value === 'string') hashes[alg.toLowerCase()] = [value.toLowerCase()]
  // report version 0 and pips before 23.0 give only `hash = "sha256=…"`
  const legacy =
    typeof archive.hash === 'string' ? /^(\w+)[=:]([0-9a-f]+)$/i.exec(archive.hash) : null
  if (legacy && !hashes[legacy[1].toLowerCase()])
    hashes[legacy[1].toLowerCase()] = [legacy[2].toLowerCase()]
  return hashes
}

/** Parses the report's JSON; anything unexpected is a PipReportError naming the field. */
export function readPipReport(text: string): ReportItem[] {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (error) {
    throw new PipReportError(`pip's installation report is not JSON (${String(error)})`)
  }
  const bad = (what: string): PipReportError =>
    new PipReportError(
      `pip's installation report has an unexpected shape (${what}); this action reads report versions 0 and 1 (pip 22.2 to 26.x)`
    )
  if (!isObject(data)) throw bad('not an object')
  if (data.version !== '1' && data.version !== '0')
    throw bad(`version ${JSON.stringify(data.version)}`)
  if (!Array.isArray(data.install)) throw bad('no install list')
  return data.install.map((raw: unknown, i): ReportItem => {
    if (!isObject(raw) || !isObject(raw.metadata) || !isObject(raw.download_info))
      throw bad(`install[${i}] without metadata or download_info`)
    const { metadata, download_info: info } = raw
    const name = metadata.name
    const version = metadata.version
    const url = info.url
    if (typeof name !== 'string' || typeof version !== 'string' || typeof url !== 'string')
      throw bad(`install[${i}] without name, version or URL`)
    const requires = Array.isArray(metadata.requires_dist)
      ? metadata.requires_dist.filter((r): r is string => typeof r === 'string')
      : []
    const extras = Array.isArray(raw.requested_extras)
      ? raw.requested_extras.filter((e): e is string => typeof e === 'string')
      : []
    if (isObject(info.vcs_info))
      throw new PipReportError(
        `pip would install ${name} from version control (${url}); VCS requirements are not built into a layer`
      )
    return {
      name: normalizeProject(name),
      version,
      url,
      directory:
        isObject(info.dir_info) && url.startsWith('file:') ? fileURLToPath(url) : undefined,
      hashes: isObject(info.archive_info) ? hashesOf(info.archive_info) : {},
      requested: raw.requested === true,
      requestedExtras: extras.map(normalizeProject),
      requiresDist: requires
    }
  })
}

/** Pinned entries from the report (file name checked as a base name; hashes as pip gives them). */
export function pinnedFromReport(
  items: readonly ReportItem[],
  o: { env: MarkerEnvironment; indexFor: (url: string) => string | undefined }
): PinnedEntry[] {
  const edges = requirementGraph(
    items.map(i => ({ name: i.name, requiresDist: i.requiresDist, extras: i.requestedExtras })),
    o.env
  )
  return items
    .map((item): PinnedEntry => {
      const requiredBy = item.requested
        ? []
        : items.filter(p => edges.get(p.name)?.includes(item.name)).map(p => p.name)
      const dependencies = edges.get(item.name) ?? []
      const base = {
        name: item.name,
        version: item.version,
        requiredBy: requiredBy.sort(),
        dependencies
      }
      if (item.directory) return { ...base, artifact: { kind: 'directory', path: item.directory } }
      const last =
        item.url
          .replace(/[#?].*$/, '')
          .split('/')
          .pop() ?? ''
      const index = o.indexFor(item.url)
      return {
        ...base,
        artifact: { kind: 'file', filename: baseNameOf(last), url: item.url, hashes: item.hashes },
        ...(index ? { index } : {})
      }
    })
    .sort((a, b) => a.name.localeCompare(b.name))
}
