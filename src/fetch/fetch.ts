/**
 * A pinned set → the wheelhouse: one wheel per entry, the same way for every input format. Files
 * come in parallel (bounded), each checked against every hash known for it (./files.ts); sdists are
 * built where build-sdists allows it, local trees always; Pipfile.lock's hash-only entries are found
 * on the index by hash. The first failure stops the others. A wheelhouse that already holds every
 * pinned file (and every sdist's recorded build) needs no network and no pip.
 */
import * as core from '@actions/core'
import { setMaxListeners } from 'node:events'
import { promises as fs } from 'node:fs'
import path from 'node:path'
import { Inputs } from '../constants'
import type { BuildSdists } from '../resolve/inputs'
import type { Redactor } from '../credentials'
import type { HttpClient } from '../http'
import { IndexReader } from '../python/index-page'
import { parseDistributionFile, tagPriority, type Target } from '../python/wheel-tags'
import type { PinnedArtifact, PinnedEntry, PinnedSet } from '../resolve/pinned'
import { assertPure, buildSourceWheel } from '../python/build'
import { hashFile } from '../digests'
import { FetchError, obtainFile, type Places } from './files'
import { fileByHash, keptByHash } from './by-hash'
import { readRecord, type RecordedWheel } from './record'
import type { HouseWheel, Wheelhouse } from './wheelhouse'

export interface BuildTools {
  /** the interpreter that runs pip wheel, or how to find it (only when something is built) */
  readonly python: string | (() => Promise<string>)
  readonly env?: NodeJS.ProcessEnv
  /** where build backends come from (build isolation) */
  readonly indexUrl?: string
  readonly pipArgs?: readonly string[]
}

export interface FetchOptions {
  readonly dir: string
  readonly target: Target
  /** `python3.12 x86_64`, for messages */
  readonly targetLabel: string
  readonly client: HttpClient
  /** `index-url` or CodeArtifact's index, and what the user calls it */
  readonly mirror?: { readonly url: string; readonly label: string }
  /** the input the set came from, as the user names it (`uv.lock`) */
  readonly source: string
  /** a lock (every file must have a hash) or an index resolution */
  readonly origin: 'index' | 'lock'
  readonly buildSdists: BuildSdists
  readonly build: BuildTools
  readonly workspace: string
  readonly cache: Wheelhouse['cache']
  readonly redactor: Redactor
  /** parallel downloads */
  readonly concurrency?: number
}

type FileArtifact = Extract<PinnedArtifact, { kind: 'file' }>

export async function fetchWheelhouse(pinned: PinnedSet, o: FetchOptions): Promise<Wheelhouse> {
  await fs.mkdir(o.dir, { recursive: true })
  const abort = new AbortController()
  // every request of the run listens to it
  setMaxListeners(0, abort.signal)
  const run: Run = {
    o,
    places: {
      client: o.client,
      reader: new IndexReader(o.client),
      mirror: o.mirror,
      source: o.source,
      requireHash: o.origin === 'lock',
      redactor: o.redactor,
      signal: abort.signal
    },
    built: (await readRecord(o.dir))?.wheels.filter(w => w.sourceSha256) ?? [],
    priority: tagPriority(o.target),
    building: Promise.resolve()
  }
  const wheels = await inParallel(pinned.entries, o.concurrency ?? 8, abort, e =>
    fetchEntry(run, e)
  )
  const reused = wheels.filter(w => w.reused).length
  core.info(
    `${wheels.length} wheel(s) for ${o.targetLabel}${reused ? ` (${reused} already in the wheelhouse: from the cache, or downloaded as pip resolved)` : ''}: ${wheels.map(w => path.basename(w.file)).join(', ')}`
  )
  const built = wheels.filter(w => w.builtFrom)
  if (built.length > 0)
    core.info(
      `Built from source on the runner: ${built.map(w => `${w.name} ${w.version} from ${w.builtFrom}`).join(', ')}`
    )
  return {
    dir: o.dir,
    wheels: [...wheels].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    pinned,
    cache: o.cache
  }
}

interface Run {
  readonly o: FetchOptions
  readonly places: Places
  /** wheels built from sdists by earlier runs, as the wheelhouse's record lists them */
  readonly built: readonly RecordedWheel[]
  readonly priority: string[]
  /** builds run one at a time (each is a pip process with its own build environment) */
  building: Promise<unknown>
}

/** `fn` over `items`, at most `n` at once, in order; the first failure aborts the rest and is thrown. */
async function inParallel<T, R>(
  items: readonly T[],
  n: number,
  abort: AbortController,
  fn: (item: T) => Promise<R>
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length)
  let next = 0
  let first: { error: unknown } | undefined
  const worker = async (): Promise<void> => {
    while (next < items.length && !first) {
      const i = next++
      try {
        results[i] = await fn(items[i])
      } catch (error) {
        first ??= { error }
        abort.abort(error)
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(n, items.length)) }, worker))
  if (first) throw first.error
  return results
}

function fetchEntry(run: Run, entry: PinnedEntry): Promise<HouseWheel> {
  const a = entry.artifact
  if (a.kind === 'directory') return build(run, entry, a.path, 'local')
  if (a.kind === 'hashes') return fetchByHashes(run, entry, a.hashes)
  return fetchFile(run, entry, a)
}

async function fetchFile(run: Run, entry: PinnedEntry, a: FileArtifact): Promise<HouseWheel> {
  const want = { ...a, name: entry.name, version: entry.version, index: entry.index }
  if (parseDistributionFile(a.filename)?.kind !== 'sdist') {
    const got = await obtainFile(want, run.o.dir, run.places)
    // a wheel resolve built on the runner (pip path) comes from this run's work folder
    const built = a.builtFrom
      ? { origin: a.builtFrom.origin, builtFrom: a.builtFrom.from }
      : undefined
    return { ...got, name: entry.name, version: entry.version, origin: run.o.origin, ...built }
  }
  if (run.o.buildSdists === 'never')
    throw new FetchError(
      `${entry.name} ${entry.version} (${run.o.source}) has no wheel for ${run.o.targetLabel}, only a source distribution (${a.filename}), and ${Inputs.BuildSdists} is 'never'. Set ${Inputs.BuildSdists}: pure to build it when it is pure Python, or pin a version that ships a wheel.`
    )
  const sha256 = a.hashes.sha256 ?? []
  const before = run.built.find(
    w => w.builtFrom === a.filename && sha256.includes(w.sourceSha256 ?? '')
  )
  if (before) {
    const file = path.join(run.o.dir, before.file)
    const digests = await hashFile(file).catch(() => undefined)
    if (digests?.get('sha256') === before.sha256)
      return { ...before, file, origin: 'sdist', reused: true }
  }
  const sdist = await obtainFile(want, path.join(run.o.dir, '.sdists'), run.places)
  const wheel = await build(run, entry, sdist.file, 'sdist')
  return { ...wheel, builtFrom: a.filename, sourceSha256: sdist.sha256 }
}

/** Pipfile.lock: the wheel already kept, else the file of this version the mirror or the index lists. */
async function fetchByHashes(
  run: Run,
  entry: PinnedEntry,
  hashes: FileArtifact['hashes']
): Promise<HouseWheel> {
  const lookup = { target: run.o.target, priority: run.priority, reader: run.places.reader }
  const kept = await keptByHash(lookup, run.o.dir, entry, hashes)
  if (kept)
    return { ...kept, name: entry.name, version: entry.version, origin: run.o.origin, reused: true }
  const indexes = [run.o.mirror?.url, entry.index].filter((i): i is string => !!i)
  const found = await fileByHash(lookup, indexes, entry, hashes, run.places.signal)
  if ('index' in found) return fetchFile(run, { ...entry, index: found.index }, found.artifact)
  throw new FetchError(
    `${entry.name} ${entry.version} (${run.o.source}) has no file for ${run.o.targetLabel} whose hash the lock records: ${found.listed.join('; ') || `no index to look on: set ${Inputs.IndexUrl}`}.`
  )
}

async function build(
  run: Run,
  entry: PinnedEntry,
  source: string,
  origin: 'sdist' | 'local'
): Promise<HouseWheel> {
  const o = run.o
  const label =
    origin === 'local' ? path.relative(o.workspace, source) || '.' : path.basename(source)
  const turn = run.building.then(async () => {
    core.info(
      `Building ${entry.name} ${entry.version} from ${origin === 'local' ? 'its local path' : 'source'}: ${label}`
    )
    const python = typeof o.build.python === 'string' ? o.build.python : await o.build.python()
    const built = await buildSourceWheel({
      source,
      outDir: o.dir,
      python,
      env: o.build.env,
      indexUrl: o.build.indexUrl,
      pipArgs: o.build.pipArgs,
      target: o.target,
      label
    })
    if (!built.pure) {
      await fs.rm(built.file, { force: true })
      // names it, says why a runner's build cannot go to Lambda and what to do instead
      assertPure(built, { from: `${label} (${o.source})`, target: o.target })
    }
    return built
  })
  run.building = turn.catch(() => undefined)
  const built = await turn
  const digests = await hashFile(built.file)
  return {
    file: built.file,
    name: entry.name,
    version: built.version || entry.version,
    sha256: digests.get('sha256') as string,
    origin,
    reused: false,
    builtFrom: label
  }
}
