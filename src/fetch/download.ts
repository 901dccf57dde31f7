/**
 * The files of locked packages → the wheelhouse: for each package the wheel the target prefers
 * (pip's tag order), fetched from the URL the lock records or found by name on its index, every
 * hash checked. A file already in the wheelhouse with the right hash is reused (the cache's whole
 * point). Source-only and local packages are built on the runner and taken only when pure Python.
 */
import * as core from '@actions/core'
import { createHash } from 'node:crypto'
import { createReadStream, createWriteStream, promises as fs } from 'node:fs'
import path from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { fileURLToPath } from 'node:url'
import { LayerActionError, messageOf } from '../errors'
import { Inputs } from '../constants'
import type { BuildSdists } from '../inputs'
import { redactUrl, takeBasicAuth, withoutUserInfo, type Redactor } from '../credentials'
import type { LockedFile, LockedPackage } from '../resolve/locks/lock'
import { compareVersion, parseVersion } from '../python/markers'
import { describeTarget, explainNoWheel } from '../resolve/no-wheel'
import { NoCompatibleWheelError } from '../resolve/pip'
import { assertPure, buildSourceWheel } from '../resolve/sources'
import {
  parseDistributionFile,
  tagPriority,
  wheelRank,
  type DistributionFile,
  type Target
} from '../python/wheel-tags'

/** A locked file whose bytes are not the ones the lock recorded. */
export class LockHashError extends LayerActionError {}
/** A locked file that could not be fetched, or a locked package that cannot go into a layer. */
export class LockFetchError extends LayerActionError {}

export interface FetchLockedOptions {
  readonly packages: readonly LockedPackage[]
  readonly target: Target
  readonly wheelhouse: string
  /** the lock as the user named it, for messages */
  readonly lockName: string
  readonly buildSdists: BuildSdists
  /** the interpreter that builds sources */
  readonly python: string
  readonly env?: NodeJS.ProcessEnv
  /**
   * `index-url` (or CodeArtifact's): where build backends come from, and whose credentials go
   * with requests to its host (locks record URLs without credentials)
   */
  readonly indexUrl?: string
  readonly pipArgs?: readonly string[]
  readonly redactor: Redactor
  /** parallel downloads and builds */
  readonly concurrency?: number
}

export interface FetchedWheel {
  readonly file: string
  readonly name: string
  readonly version: string
  readonly origin: 'lock' | 'sdist' | 'local'
  /** reused from the wheelhouse (cache) rather than downloaded */
  readonly reused: boolean
  /** for a wheel built on the runner: the sdist or local path it was built from */
  readonly from?: string
}

const ALGORITHMS = new Set(['sha256', 'sha384', 'sha512', 'sha224', 'sha1', 'md5'])
const ATTEMPTS = 3

export async function fetchLockedWheels(o: FetchLockedOptions): Promise<FetchedWheel[]> {
  await fs.mkdir(o.wheelhouse, { recursive: true })
  // index pages are read once per run, never carried over to the next
  pageCache.clear()
  const priority = tagPriority(o.target)
  const results: FetchedWheel[] = new Array(o.packages.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < o.packages.length) {
      const i = next++
      results[i] = await fetchPackage(o, o.packages[i], priority)
    }
  }
  const workers = Math.max(1, Math.min(o.concurrency ?? 4, o.packages.length))
  await Promise.all(Array.from({ length: workers }, worker))
  return results
}

async function fetchPackage(
  o: FetchLockedOptions,
  pkg: LockedPackage,
  priority: string[]
): Promise<FetchedWheel> {
  if (pkg.directory) return build(o, pkg, pkg.directory, 'local')
  const files = pkg.hashesOnly ? await filesOnIndex(o, pkg) : pkg.files
  const parsed = files
    .map(f => ({ f, d: parseDistributionFile(f.filename) }))
    .filter((x): x is { f: LockedFile; d: DistributionFile } => x.d !== undefined)
  const ranked = parsed
    .map(x => ({ ...x, rank: wheelRank(o.target, x.d, priority) }))
    .filter((x): x is typeof x & { rank: number } => x.rank !== undefined)
    .sort((a, b) => a.rank - b.rank)
  if (ranked.length > 0) {
    const best = ranked[0].f
    const got = await obtain(o, pkg, best)
    core.debug(`${pkg.name} ${pkg.version}: ${best.filename}${got.reused ? ' (cached)' : ''}`)
    return {
      file: got.file,
      name: pkg.name,
      version: pkg.version,
      origin: 'lock',
      reused: got.reused
    }
  }
  const sdist = parsed.find(x => x.d.kind === 'sdist')
  if (sdist) {
    if (o.buildSdists === 'never')
      throw new LockFetchError(
        `${pkg.name} ${pkg.version} is locked in ${o.lockName} with no wheel for ${describeTarget(o.target)}, only a source distribution (${sdist.f.filename}), and ${Inputs.BuildSdists} is 'never'. Set ${Inputs.BuildSdists}: pure to build it when it is pure Python, or lock a version that ships a wheel.`
      )
    const got = await obtain(o, pkg, sdist.f, path.join(o.wheelhouse, '.sdists'))
    return build(o, pkg, got.file, 'sdist')
  }
  const message = explainNoWheel({
    requirement: `${pkg.name}==${pkg.version}`,
    project: pkg.name,
    target: o.target,
    lock: o.lockName,
    listings: [
      { url: `${o.lockName} (${pkg.name} ${pkg.version})`, files: files.map(f => f.filename) }
    ]
  })
  throw new NoCompatibleWheelError(
    o.redactor.redact(message),
    pkg.name,
    `${pkg.name}==${pkg.version}`,
    o.target.runtime,
    o.target.architecture
  )
}

async function build(
  o: FetchLockedOptions,
  pkg: LockedPackage,
  source: string,
  origin: 'sdist' | 'local'
): Promise<FetchedWheel> {
  core.info(
    `Building ${pkg.name} ${pkg.version} from ${origin === 'local' ? 'its local path' : 'source'}: ${source}`
  )
  const built = await buildSourceWheel({
    source,
    outDir: o.wheelhouse,
    python: o.python,
    env: o.env,
    indexUrl: o.indexUrl || undefined,
    pipArgs: o.pipArgs
  })
  if (!built.pure) {
    await fs.rm(built.file, { force: true })
    // the same refusal as for requirements: names it, says why and what to do
    assertPure(built, { from: `${source} (${o.lockName})`, target: o.target })
  }
  return {
    file: built.file,
    name: built.name,
    version: built.version || pkg.version,
    origin,
    reused: false,
    from: source
  }
}

/** Pipfile.lock: the files of this version listed on the index, each with the lock's hash set. */
async function filesOnIndex(o: FetchLockedOptions, pkg: LockedPackage): Promise<LockedFile[]> {
  const links = await readLinks(o, pkg.index as string, pkg.name)
  const version = parseVersion(pkg.version)
  const hashes = pkg.hashesOnly ?? {}
  const ofVersion = links.filter(l => {
    const d = parseDistributionFile(l.filename)
    const v = d && parseVersion(d.version)
    return !!d && !!v && !!version && d.project === pkg.name && compareVersion(v, version) === 0
  })
  // as pip does: files whose index hash the lock never recorded are passed over without
  // downloading, unless none is left (then the download fails on the hash, naming the file)
  const recorded = ofVersion.filter(
    l => !l.sha256 || !hashes.sha256 || hashes.sha256.includes(l.sha256)
  )
  return (recorded.length > 0 ? recorded : ofVersion).map(l => ({
    filename: l.filename,
    url: l.url,
    hashes
  }))
}

interface IndexLink {
  filename: string
  url: string
  sha256?: string
}

const pageCache = new Map<string, Promise<IndexLink[]>>()

/** The links of `<index>/<project>/` (PEP 503), absolute, with their `#sha256=` when given. */
async function readLinks(
  o: FetchLockedOptions,
  index: string,
  project: string
): Promise<IndexLink[]> {
  const pageUrl = `${index.replace(/\/*$/, '/')}${project}/`
  const cached = pageCache.get(pageUrl)
  if (cached) return cached
  const loading = (async () => {
    const html = (
      await readBytes(o, credentialsFor(pageUrl, o.indexUrl || undefined), 'text/html')
    ).toString('utf8')
    const links: IndexLink[] = []
    for (const m of html.matchAll(/<a\s[^>]*?href\s*=\s*["']([^"']*)["'][^>]*>([\s\S]*?)<\/a>/gi)) {
      const href = m[1].replace(/&amp;/g, '&')
      const url = new URL(href, withoutUserInfo(pageUrl))
      const sha256 = /sha256=([0-9a-f]{64})/i.exec(url.hash)?.[1]?.toLowerCase()
      url.hash = ''
      let filename = url.pathname.split('/').pop() ?? ''
      try {
        filename = decodeURIComponent(filename)
      } catch {
        // keep it encoded
      }
      links.push({ filename, url: url.href, sha256 })
    }
    return links
  })()
  pageCache.set(pageUrl, loading)
  loading.catch(() => pageCache.delete(pageUrl))
  return loading
}

/** The index's credentials go to the same host only (file URLs found on the page stay plain). */
function credentialsFor(url: string, index: string | undefined): string {
  if (!index || url.startsWith('file:') || index.startsWith('file:')) return url
  const i = new URL(index)
  const u = new URL(url)
  if ((i.username || i.password) && !u.username && u.host === i.host) {
    u.username = i.username
    u.password = i.password
  }
  return u.href
}

async function obtain(
  o: FetchLockedOptions,
  pkg: LockedPackage,
  file: LockedFile,
  dir = o.wheelhouse
): Promise<{ file: string; reused: boolean }> {
  const dest = path.join(dir, file.filename)
  const known = Object.keys(file.hashes).filter(a => ALGORITHMS.has(a))
  let url = file.url
  if (!url) {
    if (!pkg.index)
      throw new LockFetchError(
        `${o.lockName} records ${file.filename} (${pkg.name} ${pkg.version}) by name only and no index to find it on: set ${Inputs.IndexUrl}.`
      )
    const link = (await readLinks(o, pkg.index, pkg.name)).find(l => l.filename === file.filename)
    if (!link)
      throw new LockFetchError(
        `${file.filename} (${pkg.name} ${pkg.version}, locked in ${o.lockName}) is not on ${o.redactor.redact(redactUrl(pkg.index))}${pkg.name}/: the index no longer serves it, or it is the wrong index (${Inputs.IndexUrl}).`
      )
    url = credentialsFor(link.url, pkg.index)
  } else if (pkg.index) {
    url = credentialsFor(url, pkg.index)
  }
  url = credentialsFor(url, o.indexUrl || undefined)
  const local = url.startsWith('file:')
  if (known.length === 0 && !local)
    throw new LockHashError(
      `${o.lockName} records no hash for ${file.filename} (${pkg.name} ${pkg.version}): a lock is installed only with every downloaded file verified. Re-lock so the file's hash is recorded.`
    )
  await fs.mkdir(dir, { recursive: true })
  if (await exists(dest)) {
    const mismatch = await checkHashes(dest, file.hashes, known)
    if (!mismatch && known.length > 0) return { file: dest, reused: true }
    await fs.rm(dest, { force: true })
  }
  const part = `${dest}.${process.pid}.part`
  try {
    if (local) await fs.copyFile(fileURLToPath(url), part)
    else await download(o, url, part)
    const mismatch = await checkHashes(part, file.hashes, known)
    if (mismatch)
      throw new LockHashError(
        `The hash of ${file.filename} (${pkg.name} ${pkg.version}) does not match ${o.lockName}: expected ${mismatch.algorithm}:${mismatch.expected.join(' or ')}, got ${mismatch.algorithm}:${mismatch.actual}. The file was changed on the index, or the lock was edited by hand: nothing is installed. Check the index, then re-lock.`
      )
    await fs.rename(part, dest)
  } finally {
    await fs.rm(part, { force: true })
  }
  return { file: dest, reused: false }
}

async function exists(file: string): Promise<boolean> {
  try {
    return (await fs.stat(file)).isFile()
  } catch {
    return false
  }
}

async function checkHashes(
  file: string,
  hashes: LockedFile['hashes'],
  algorithms: readonly string[]
): Promise<{ algorithm: string; expected: readonly string[]; actual: string } | undefined> {
  for (const algorithm of algorithms) {
    const h = createHash(algorithm)
    await pipeline(createReadStream(file), h)
    const actual = h.digest('hex')
    const expected = hashes[algorithm]
    if (!expected.includes(actual)) return { algorithm, expected, actual }
  }
  return undefined
}

/** GET with the URL's credentials as basic auth, a few retries on network errors and 5xx. */
async function readBytes(o: FetchLockedOptions, rawUrl: string, accept = '*/*'): Promise<Buffer> {
  const url = new URL(rawUrl)
  if (url.protocol === 'file:') {
    const p = fileURLToPath(url)
    const stat = await fs.stat(p).catch(() => undefined)
    return fs.readFile(stat?.isDirectory() ? path.join(p, 'index.html') : p)
  }
  const chunks: Buffer[] = []
  await request(o, rawUrl, accept, async body => {
    chunks.length = 0 // a retry starts over
    for await (const chunk of body) chunks.push(Buffer.from(chunk as Uint8Array))
  })
  return Buffer.concat(chunks)
}

/** Streams a file to disk (wheels can be hundreds of MB). */
async function download(o: FetchLockedOptions, rawUrl: string, file: string): Promise<void> {
  await request(o, rawUrl, '*/*', body => pipeline(body, createWriteStream(file)))
}

async function request(
  o: FetchLockedOptions,
  rawUrl: string,
  accept: string,
  consume: (body: Readable) => Promise<void>
): Promise<void> {
  const url = new URL(rawUrl)
  const headers = { Accept: accept, ...takeBasicAuth(url) }
  let problem = ''
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    try {
      const response = await fetch(url, { headers, signal: AbortSignal.timeout(300_000) })
      if (response.ok && response.body) {
        await consume(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream))
        return
      }
      problem = `HTTP ${response.status}`
      if (response.status < 500 && response.status !== 429) break
    } catch (error) {
      problem = messageOf(error)
    }
  }
  throw new LockFetchError(
    o.redactor.redact(`Could not download ${redactUrl(rawUrl)} (${o.lockName}): ${problem}`)
  )
}
