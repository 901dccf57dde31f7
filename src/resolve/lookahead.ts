/**
 * The look-ahead: while pip starts, the requirement graph is walked in parallel — each project's
 * page on every index, the version pip will most likely take (the newest one that fits every
 * specifier seen, the target's wheel tags and Requires-Python, not yanked), its PEP 658 metadata,
 * then its dependencies for the target's markers and extras. pip resolves against the loopback
 * index (./loopback-index.ts), which answers from what this walk already holds: the 150 one-by-one
 * round trips of pip's resolver become a few parallel waves. The wheel of every file whose metadata
 * pip reads starts downloading at once, into the wheelhouse: pip before 25.3 downloads it under
 * --dry-run (pypa/pip#12603) and finds it there, and fetch reuses it by name and hash. An index
 * without PEP 658 metadata (older Artifactory, Nexus, devpi) gives pip no way to read a file's
 * dependencies but the wheel itself: there the walk downloads the likely wheel and reads its METADATA,
 * so pip's one-by-one downloads are answered from the wheelhouse too. A download pip never asked for
 * (a wrong guess) is abandoned when pip is done.
 *
 * A guess, never a decision: pip still resolves, and whatever the walk did not foresee is fetched
 * when pip asks. Nothing here can make pip see something other than the index's own answer.
 */
import * as core from '@actions/core'
import { createHash } from 'node:crypto'
import { promises as fs } from 'node:fs'
import path from 'node:path'
import type { HttpClient } from '../http'
import { messageOf } from '../errors'
import { hashFile } from '../digests'
import type { MarkerEnvironment } from '../runtimes'
import { IndexReader, pageUrlOf, type IndexFile } from '../python/index-page'
import { requirementHolds } from '../python/graph'
import { parseCoreMetadata, type CoreMetadata } from '../python/metadata'
import { wheelCoreMetadata } from '../python/wheel-metadata'
import { compareVersions, parseVersion, specifierMatches } from '../python/pep440'
import { parseRequirement, type Requirement } from '../python/requirements'
import { parseDistributionFile, tagPriority, wheelRank, type Target } from '../python/wheel-tags'

export interface LookaheadOptions {
  /** the indexes pip would read, in its order (http/https, without credentials) */
  readonly indexes: readonly string[]
  readonly client: HttpClient
  readonly target: Target
  readonly env: MarkerEnvironment
  /** where the wheels pip downloads are kept (the wheelhouse: fetch reuses them by name and hash) */
  readonly dir: string
  /** parallel wheel downloads */
  readonly downloads?: number
  /** pip's --pre: pre-releases are candidates like any other */
  readonly pre?: boolean
}

/** What the walk learned, for the log. */
export interface LookaheadStats {
  /** projects whose pages were looked up (on every index) */
  pages: number
  metadata: number
  wheels: number
  /** pip asked for something the walk had not fetched yet */
  asked: number
}

interface Wanted {
  specifiers: string[]
  extras: Set<string>
  /** `version|extras` already walked */
  walked: Set<string>
}

/** At most this many distinct projects are walked: a runaway graph stops being guessed at. */
const MAX_PROJECTS = 400

export class Lookahead {
  private readonly reader: IndexReader
  readonly stats: LookaheadStats = { pages: 0, metadata: 0, wheels: 0, asked: 0 }
  private readonly projects = new Map<string, Wanted>()
  /**
   * Each page and metadata file is asked for once (a client without retries): a failure is kept, so
   * pip's request for it is redirected at once to the real URL, where pip's own retries apply.
   */
  private readonly pageOf = new Map<string, Promise<readonly IndexFile[]>>()
  private readonly metadataOf = new Map<string, Promise<Buffer | undefined>>()
  private readonly wheelOf = new Map<string, Promise<string>>()
  /** each download's own abort (a guess pip never asked for is abandoned at stop) */
  private readonly abortOf = new Map<string, AbortController>()
  /** the files pip asked for, or whose metadata it read: their downloads are pip's */
  private readonly askedByPip = new Set<string>()
  private readonly priority: string[]
  private readonly walks = new Set<Promise<void>>()
  private downloading = 0
  private readonly queue: (() => void)[] = []
  private stopped = false
  /** aborts the walk's page and metadata requests when pip is done */
  private readonly abort = new AbortController()

  constructor(private readonly o: LookaheadOptions) {
    this.reader = new IndexReader(o.client)
    this.priority = tagPriority(o.target)
  }

  /** Starts the walk from requirement strings (PEP 508 lines of the requirements file). */
  start(requirements: readonly string[]): void {
    for (const line of requirements) {
      // per-requirement options (`--hash=sha256:…` of pip-compile --generate-hashes) are pip's
      const req = parseRequirement(line.replace(/\s+--?[a-z][a-z-]*(=|\s|$).*$/is, ''))
      if (req && !req.url && requirementHolds(req.marker, this.o.env, new Set())) this.want(req)
    }
  }

  /** The walk so far has settled (for tests and the bench; pip never waits for it). */
  async settled(): Promise<void> {
    while (this.walks.size > 0) await Promise.allSettled([...this.walks])
  }

  /**
   * The walk stops (its requests are aborted). The wheel downloads pip asked for finish when pip
   * succeeded (fetch takes them), else they are aborted too: a stalled server must not hold a
   * failed run for longer than pip took to fail. The walk's own guesses that pip never asked for
   * are abandoned either way.
   */
  async stop(o: { keepDownloads: boolean }): Promise<void> {
    this.stopped = true
    this.stats.pages = this.projects.size
    this.abort.abort()
    // queued ones start and end at once (keep() sees the signal)
    for (const [url, abort] of this.abortOf)
      if (!o.keepDownloads || !this.askedByPip.has(url)) abort.abort()
    await Promise.allSettled([...this.wheelOf.values()])
  }

  /** Project page on index `i` (the walk's, shared with pip's request for it). */
  page(i: number, project: string): Promise<readonly IndexFile[]> {
    const url = pageUrlOf(this.o.indexes[i], project)
    let loading = this.pageOf.get(url)
    if (!loading) {
      loading = this.reader.project(this.o.indexes[i], project, this.abort.signal).then(p => {
        if (p.notFound) throw new NotListed(p.url)
        return p.files
      })
      loading.catch(() => undefined) // kept, failed or not; awaited by whoever asks
      this.pageOf.set(url, loading)
    }
    return loading
  }

  /**
   * PEP 658 metadata of a file, as the index sent it (hash-checked), fetched once. When pip asks
   * for it, pip is considering that very file: its wheel starts downloading too (pip before 25.3
   * downloads it under --dry-run, and fetch needs it anyway), so the download overlaps the resolve.
   */
  metadata(file: IndexFile, byPip = false): Promise<Buffer | undefined> {
    if (byPip)
      this.wheel(file, true).catch((e: unknown) =>
        core.debug(`look-ahead: ${file.filename}: ${messageOf(e)}`)
      )
    let loading = this.metadataOf.get(file.url)
    if (!loading) {
      if (byPip) this.stats.asked++
      this.stats.metadata++
      loading = this.reader.metadataBytes(file, this.abort.signal)
      this.metadataOf.set(file.url, loading)
      loading.catch(() => undefined)
    }
    return loading
  }

  /**
   * A wheel downloaded once into the wheelhouse (kept if already there with the page's hash): one
   * pip asks for (`byPip`), or the walk's guess on an index without PEP 658 metadata.
   */
  wheel(file: IndexFile, byPip = false): Promise<string> {
    if (byPip) this.askedByPip.add(file.url)
    let loading = this.wheelOf.get(file.url)
    if (!loading) {
      const abort = new AbortController()
      this.abortOf.set(file.url, abort)
      loading = this.slot(() => this.keep(file, abort.signal))
      this.wheelOf.set(file.url, loading)
      loading.catch(() => this.wheelOf.delete(file.url))
    }
    return loading
  }

  /** Runs `fn` when one of the parallel download slots is free. */
  private async slot<T>(fn: () => Promise<T>): Promise<T> {
    if (this.downloading >= (this.o.downloads ?? 8))
      await new Promise<void>(resolve => this.queue.push(resolve))
    this.downloading++
    try {
      return await fn()
    } finally {
      this.downloading--
      this.queue.shift()?.()
    }
  }

  /** The file in the wheelhouse under its own name, its bytes checked against the page's hashes. */
  private async keep(file: IndexFile, signal: AbortSignal): Promise<string> {
    signal.throwIfAborted()
    const dest = path.join(this.o.dir, file.filename)
    const expected = Object.entries(file.hashes)
    if (expected.length === 0) throw new Error(`${file.url}: the page gives no hash`)
    const kept = await hashFile(
      dest,
      expected.map(([a]) => a)
    ).catch(() => undefined)
    if (kept && expected.every(([a, d]) => kept.get(a) === d)) return dest
    await fs.mkdir(this.o.dir, { recursive: true })
    const part = `${dest}.${process.pid}.lookahead`
    const hashes = expected.map(([a, d]) => ({ a, d, h: createHash(a) }))
    try {
      await this.o.client.download(file.url, part, {
        signal,
        onData: chunk => {
          for (const x of hashes) x.h.update(chunk)
        }
      })
      for (const x of hashes) {
        const actual = x.h.digest('hex')
        if (actual !== x.d)
          throw new Error(`${file.url} has ${x.a} ${actual}, the index page says ${x.d}`)
      }
      await fs.rename(part, dest)
      this.stats.wheels++
      return dest
    } finally {
      await fs.rm(part, { force: true })
    }
  }

  private want(req: Requirement): void {
    if (this.stopped) return
    let w = this.projects.get(req.project)
    if (!w) {
      if (this.projects.size >= MAX_PROJECTS) return
      w = { specifiers: [], extras: new Set(), walked: new Set() }
      this.projects.set(req.project, w)
    }
    const before = `${w.specifiers.length}|${w.extras.size}`
    if (req.specifier && !w.specifiers.includes(req.specifier)) w.specifiers.push(req.specifier)
    for (const e of req.extras) w.extras.add(e)
    if (before === `${w.specifiers.length}|${w.extras.size}` && w.walked.size > 0) return
    const walk = this.walk(req.project, w).catch((e: unknown) =>
      core.debug(`look-ahead: ${req.project}: ${messageOf(e)}`)
    )
    this.walks.add(walk)
    void walk.finally(() => this.walks.delete(walk))
  }

  /** Picks the likely version of `project` and walks on to its dependencies. */
  private async walk(project: string, w: Wanted): Promise<void> {
    const pages = await Promise.all(
      this.o.indexes.map((_index, i) => this.page(i, project).catch(() => [] as IndexFile[]))
    )
    const file = this.likely(pages.flat(), w.specifiers)
    if (!file || this.stopped) return
    const version = parseDistributionFile(file.filename)?.version ?? ''
    const extras = [...w.extras].sort()
    const key = `${version}|${extras.join(',')}`
    if (w.walked.has(key)) return
    w.walked.add(key)
    const metadata = await this.requiresOf(file)
    if (!metadata || this.stopped) return
    for (const line of metadata.requiresDist) {
      const dep = parseRequirement(line)
      if (
        dep &&
        !dep.url &&
        dep.project !== project &&
        requirementHolds(dep.marker, this.o.env, new Set(extras))
      )
        this.want(dep)
    }
  }

  /** The file's metadata: its PEP 658 file, else (an index without them) the wheel's own. */
  private async requiresOf(file: IndexFile): Promise<CoreMetadata | undefined> {
    if (file.metadata) {
      const bytes = await this.metadata(file)
      return bytes && parseCoreMetadata(bytes.toString('utf8'))
    }
    if (!file.filename.endsWith('.whl') || this.stopped) return undefined
    return wheelCoreMetadata(await this.wheel(file))
  }

  /** The best wheel of the newest version pip would accept, as far as the page tells. */
  private likely(
    files: readonly IndexFile[],
    specifiers: readonly string[]
  ): IndexFile | undefined {
    const python = this.o.target.runtime.fullVersion
    const fits = (f: IndexFile): number | undefined => {
      if (f.yanked) return undefined
      const d = parseDistributionFile(f.filename)
      if (!d) return undefined
      const rank = wheelRank(this.o.target, d, this.priority)
      if (rank === undefined) return undefined
      try {
        if (f.requiresPython && !specifierMatches(python, f.requiresPython)) return undefined
        if (!specifiers.every(s => specifierMatches(d.version, s))) return undefined
      } catch {
        return undefined
      }
      return rank
    }
    const candidates = files
      .map(f => ({ f, rank: fits(f), version: parseDistributionFile(f.filename)?.version ?? '' }))
      .filter((c): c is { f: IndexFile; rank: number; version: string } => c.rank !== undefined)
    // pre-releases only when a specifier names one, or nothing else fits (pip's rule)
    const final = candidates.filter(c => {
      const v = parseVersion(c.version)
      return v !== undefined && v.pre === undefined && v.dev === undefined
    })
    const pre = this.o.pre === true || specifiers.some(s => /\d(a|b|rc|dev)/i.test(s))
    const pool = pre || final.length === 0 ? candidates : final
    pool.sort((a, b) => compareVersions(b.version, a.version) || a.rank - b.rank)
    return pool[0]?.f
  }
}

/** The index has no page for the project (404): pip is told so too. */
export class NotListed extends Error {}
