/**
 * Pinned sets and wheelhouses for tests: a lock fixture (helpers/lock-fixtures.ts) read into a
 * pinned set by the resolve side's own reader (pinnedFromLock), and the fetcher run on a pinned set
 * with a test's defaults (its own HTTP client, no mirror, nothing cached).
 */
import { promises as fs } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Redactor } from '../../src/credentials'
import { HttpClient, type HttpClientOptions } from '../../src/http'
import { fetchWheelhouse, type FetchOptions } from '../../src/fetch/fetch'
import type { Wheelhouse } from '../../src/fetch/wheelhouse'
import { pinnedFromLock } from '../../src/resolve/locks'
import type { PinnedSet } from '../../src/resolve/pinned'
import { markerEnvironment } from '../../src/runtimes'
import type { Target } from '../../src/python/wheel-tags'
import { LOCK_FILES, renderLock, type FileFacts, type LockKind } from './lock-fixtures'

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
  const pinned = pinnedFromLock(
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
    kind,
    // file: URLs of a test's own folders stand where RUNNER_TEMP would
    { target: o.target, buildSdists: 'pure', roots: { workspace: o.dir, temp: os.tmpdir() } }
  )
  return {
    lock,
    pinned: { entries: pinned.entries, skipped: pinned.skipped, summary: pinned.summary }
  }
}

/** The fetcher on `pinned` with a test's defaults; `http` configures the client it makes. */
export async function fetchPinned(
  pinned: PinnedSet,
  o: Partial<FetchOptions> & Pick<FetchOptions, 'dir' | 'target'> & { http?: HttpClientOptions }
): Promise<Wheelhouse> {
  const client = o.client ?? new HttpClient({ env: {}, sleep: async () => {}, ...o.http })
  try {
    return await fetchWheelhouse(pinned, {
      targetLabel: `${o.target.runtime.identifier} ${o.target.architecture}`,
      source: 'the lock',
      origin: 'lock',
      buildSdists: 'pure',
      build: { python: 'python3' },
      workspace: path.dirname(o.dir),
      cache: 'off',
      redactor: new Redactor([]),
      ...o,
      client
    })
  } finally {
    if (!o.client) await client.close()
  }
}
