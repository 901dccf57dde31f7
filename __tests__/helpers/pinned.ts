/**
 * Pinned sets for fetch tests: a lock fixture (helpers/lock-fixtures.ts) read by today's lock
 * readers, each package's file chosen for the target as pip would choose it (best wheel tag, else
 * the sdist). A temporary adapter, until the resolve half of issue 15 reads locks straight into
 * pinned sets; it decides nothing the fetcher is tested on.
 */
import { promises as fs } from 'node:fs'
import path from 'node:path'
import { readLock } from '../../src/resolve/locks'
import type { LockedFile } from '../../src/resolve/locks/lock'
import type { PinnedArtifact, PinnedEntry, PinnedSet } from '../../src/resolve/pinned'
import { markerEnvironment } from '../../src/runtimes'
import { parseDistributionFile, wheelRank, type Target } from '../../src/python/wheel-tags'
import { LOCK_FILES, renderLock, type FileFacts, type LockKind } from './lock-fixtures'

function choose(files: readonly LockedFile[], target: Target): LockedFile | undefined {
  const parsed = files.map(f => ({ f, d: parseDistributionFile(f.filename) }))
  const wheels = parsed
    .map(x => ({ f: x.f, rank: x.d ? wheelRank(target, x.d) : undefined }))
    .filter((x): x is { f: LockedFile; rank: number } => x.rank !== undefined)
    .sort((a, b) => a.rank - b.rank)
  return wheels[0]?.f ?? parsed.find(x => x.d?.kind === 'sdist')?.f
}

/** Writes the lock of `kind` into `dir` and reads it into a pinned set for `target`. */
export async function pinnedLock(
  kind: LockKind,
  o: {
    dir: string
    index: string
    filesUrl: string
    facts: ReadonlyMap<string, FileFacts>
    target: Target
    extras?: string[]
    groups?: string[]
    /** the extrapkg wheel pylock.toml records by path */
    extraWheel?: string
  }
): Promise<{ lock: string; pinned: PinnedSet }> {
  await fs.mkdir(path.join(o.dir, 'wheels'), { recursive: true })
  const lock = path.join(o.dir, LOCK_FILES[kind])
  const text = renderLock(kind, { index: o.index, filesUrl: o.filesUrl, facts: o.facts })
  await fs.writeFile(lock, text)
  if (o.extraWheel)
    await fs.copyFile(o.extraWheel, path.join(o.dir, 'wheels', path.basename(o.extraWheel)))
  const selection = readLock(
    {
      file: lock,
      display: LOCK_FILES[kind],
      text,
      // Pipfile.lock has no extras: pipenv puts optional packages in a custom category
      extras: kind === 'pipfile' ? [] : (o.extras ?? ['speedups']),
      groups: kind === 'pipfile' ? (o.groups ?? ['speedups']) : (o.groups ?? []),
      env: markerEnvironment(o.target.runtime, o.target.architecture),
      indexUrl: '',
      environ: {}
    },
    kind
  )
  const entries: PinnedEntry[] = selection.packages.map(p => {
    let artifact: PinnedArtifact
    if (p.directory) artifact = { kind: 'directory', path: p.directory }
    else if (p.hashesOnly) artifact = { kind: 'hashes', hashes: p.hashesOnly }
    else {
      const f = choose(p.files, o.target)
      if (!f) throw new Error(`${p.name}: no file for the target in ${kind}`)
      artifact = { kind: 'file', filename: f.filename, url: f.url, hashes: f.hashes }
    }
    return {
      name: p.name,
      version: p.version,
      artifact,
      index: p.index,
      requiredBy: [],
      dependencies: []
    }
  })
  return {
    lock,
    pinned: { entries, skipped: selection.skipped, summary: selection.summary }
  }
}
