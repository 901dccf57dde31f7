/**
 * Pipfile.lock records the hashes of a version's files, not the files: the one to take is the
 * wheel the target prefers among the files whose hash the lock records — already in the wheelhouse
 * (then no page is read), else listed on the mirror or the entry's index.
 */
import { promises as fs } from 'node:fs'
import path from 'node:path'
import type { IndexFile, IndexReader } from '../python/index-page'
import { parseDistributionFile, wheelRank, type Target } from '../python/wheel-tags'
import { compareVersions } from '../python/pep440'
import type { Hashes, PinnedArtifact, PinnedEntry } from '../resolve/pinned'
import { hashFile } from '../digests'

export interface HashLookup {
  readonly target: Target
  /** tagPriority(target) */
  readonly priority: string[]
  readonly reader: IndexReader
}

type FileArtifact = Extract<PinnedArtifact, { kind: 'file' }>

/** The wheel the target prefers (pip's tag order), if any fits. */
export function bestWheel(l: HashLookup, files: readonly IndexFile[]): IndexFile | undefined {
  const ranked = files
    .map(f => ({ f, d: parseDistributionFile(f.filename) }))
    .map(x => ({ f: x.f, rank: x.d ? wheelRank(l.target, x.d, l.priority) : undefined }))
    .filter((x): x is { f: IndexFile; rank: number } => x.rank !== undefined)
    .sort((a, b) => a.rank - b.rank)
  return ranked[0]?.f
}

const ofVersion = (filename: string, entry: PinnedEntry): boolean => {
  const d = parseDistributionFile(filename)
  return d?.project === entry.name && compareVersions(d.version, entry.version) === 0
}

/** The preferred wheel of this version in `dir`, when its hash is one the lock records. */
export async function keptByHash(
  l: HashLookup,
  dir: string,
  entry: PinnedEntry,
  hashes: Hashes
): Promise<{ file: string; sha256: string } | undefined> {
  const local = (await fs.readdir(dir).catch(() => [] as string[]))
    .filter(f => f.endsWith('.whl') && ofVersion(f, entry))
    .map(f => ({ filename: f, url: '', hashes: {} }))
  const choice = bestWheel(l, local)
  if (!choice) return undefined
  const file = path.join(dir, choice.filename)
  const sha256 = (await hashFile(file)).get('sha256') as string
  return (hashes.sha256 ?? []).includes(sha256) ? { file, sha256 } : undefined
}

/**
 * The file to fetch from the first of `indexes` that lists one of this version: as pip does, files
 * whose index hash the lock never recorded are passed over unfetched, unless none is left (then the
 * download fails on the hash, naming the file). Else what each index listed, for the error.
 */
export async function fileByHash(
  l: HashLookup,
  indexes: readonly string[],
  entry: PinnedEntry,
  hashes: Hashes,
  signal?: AbortSignal
): Promise<{ index: string; artifact: FileArtifact } | { listed: string[] }> {
  const listed: string[] = []
  const sha256 = hashes.sha256 ?? []
  for (const index of [...new Set(indexes)]) {
    const page = await l.reader.project(index, entry.name, signal)
    const files = page.files.filter(f => ofVersion(f.filename, entry))
    listed.push(`${page.url}: ${files.map(f => f.filename).join(', ') || 'none of this version'}`)
    const matching = files.filter(f => !f.hashes.sha256 || sha256.includes(f.hashes.sha256))
    const recorded = matching.length > 0 ? matching : files
    const choice =
      bestWheel(l, recorded) ??
      recorded.find(f => parseDistributionFile(f.filename)?.kind === 'sdist')
    if (choice)
      return {
        index,
        artifact: { kind: 'file', filename: choice.filename, url: choice.url, hashes }
      }
  }
  return { listed }
}
