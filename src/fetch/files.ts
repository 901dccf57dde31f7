/**
 * One pinned file into the wheelhouse. Reused when a file of that name with the right hash is
 * already there (what the cache restored); else downloaded from the first place that has it — the
 * mirror (`index-url` or CodeArtifact: found there by name and hash, since the hash is the file's
 * identity), the URL that the lock or pip's report gives, then the entry's own index — and checked
 * against every hash known for it before it takes its name. A place that is unreachable or does
 * not have the file passes to the next; anything else (a stall, a 500, a wrong hash) fails here.
 */
import * as core from '@actions/core'
import { createHash, type Hash } from 'node:crypto'
import { promises as fs } from 'node:fs'
import path from 'node:path'
import { LayerActionError } from '../errors'
import { hashFile } from '../digests'
import { Inputs } from '../constants'
import type { Redactor } from '../credentials'
import { type HttpClient } from '../http'
import { HttpError } from '../http-failures'
import type { IndexFile, IndexReader } from '../python/index-page'
import type { Hashes } from '../resolve/pinned'

/** A pinned file could not be fetched; the message says from where it was tried and why not. */
export class FetchError extends LayerActionError {}
/** A file's bytes are not the ones its lock or index recorded. */
export class HashMismatchError extends FetchError {}

/** What the platform can hash (PEP 503 allows these in `#<alg>=`). */
const ALGORITHMS = new Set(['sha256', 'sha384', 'sha512', 'sha224', 'sha1', 'md5'])

export interface WantedFile {
  /** PEP 503 name and version, for messages and index lookups */
  readonly name: string
  readonly version: string
  readonly filename: string
  readonly url?: string
  readonly hashes: Hashes
  readonly size?: number
  /** the entry's own index, where the file is found by name when its URL fails or is absent */
  readonly index?: string
}

export interface Places {
  readonly client: HttpClient
  readonly reader: IndexReader
  /** `index-url` or CodeArtifact's index, and how the user calls it */
  readonly mirror?: { readonly url: string; readonly label: string }
  /** the input the pinned set came from (`uv.lock`, `requirements.txt`), for messages */
  readonly source: string
  /** refuse a file that nothing gives a hash for (locks), unless it is local */
  readonly requireHash: boolean
  readonly redactor: Redactor
  readonly signal?: AbortSignal
}

export interface ObtainedFile {
  readonly file: string
  readonly sha256: string
  readonly reused: boolean
}

/** The accepted digests by algorithm, only those this platform computes. */
function known(hashes: Hashes): [string, readonly string[]][] {
  return Object.entries(hashes)
    .filter(([a, v]) => ALGORITHMS.has(a) && v.length > 0)
    .map(([a, v]) => [a, v.map(d => d.toLowerCase())])
}

function mismatch(
  digests: ReadonlyMap<string, string>,
  expected: [string, readonly string[]][]
): string | undefined {
  for (const [algorithm, accepted] of expected) {
    const actual = digests.get(algorithm)
    if (actual && !accepted.includes(actual))
      return `expected ${algorithm}:${accepted.join(' or ')}, got ${algorithm}:${actual}`
  }
  return undefined
}

const sameOrigin = (a: string, b: string): boolean => {
  try {
    const x = new URL(a)
    const y = new URL(b)
    return x.protocol === y.protocol && x.host === y.host
  } catch {
    return false
  }
}

type Found = { url: string; page?: IndexFile } | { missing: string }

/** The file on an index page: by name, else by hash (a mirror may rename nothing, but may re-host). */
async function onIndex(want: WantedFile, index: string, label: string, p: Places): Promise<Found> {
  let page
  try {
    page = await p.reader.project(index, want.name, p.signal)
  } catch (error) {
    if (error instanceof HttpError && error.failure === 'unreachable')
      return { missing: `${label}: ${error.message}` }
    throw error
  }
  if (page.notFound) return { missing: `${label} has no page ${page.url}` }
  const sha256 = want.hashes.sha256 ?? []
  const file =
    page.files.find(f => f.filename === want.filename) ??
    page.files.find(f => f.hashes.sha256 !== undefined && sha256.includes(f.hashes.sha256))
  return file
    ? { url: file.url, page: file }
    : { missing: `${page.url} does not list ${want.filename}` }
}

/** Where to look, in order: the mirror, the URL, the entry's index. */
function placesFor(want: WantedFile, p: Places): { label: string; find: () => Promise<Found> }[] {
  const places: { label: string; find: () => Promise<Found> }[] = []
  const mirror = p.mirror
  if (mirror && !(want.url && sameOrigin(want.url, mirror.url)))
    places.push({ label: mirror.label, find: () => onIndex(want, mirror.url, mirror.label, p) })
  const url = want.url
  if (url) places.push({ label: url, find: async () => ({ url }) })
  const index = want.index
  if (index && !(mirror && sameOrigin(index, mirror.url)))
    places.push({ label: index, find: () => onIndex(want, index, `the index ${index}`, p) })
  return places
}

/** Reuses or downloads `want` into `dir`, every known hash checked. */
export async function obtainFile(want: WantedFile, dir: string, p: Places): Promise<ObtainedFile> {
  const what = `${want.filename} (${want.name} ${want.version}, from ${p.source})`
  const dest = path.join(dir, want.filename)
  const expected = known(want.hashes)
  const kept = await hashFile(
    dest,
    expected.map(([a]) => a)
  ).catch(() => undefined)
  if (kept && expected.length > 0 && !mismatch(kept, expected))
    return { file: dest, sha256: kept.get('sha256') as string, reused: true }

  await fs.mkdir(dir, { recursive: true })
  const missing: string[] = []
  for (const place of placesFor(want, p)) {
    const found = await place.find()
    if ('missing' in found) {
      missing.push(found.missing)
      continue
    }
    const pageHashes = Object.entries(found.page?.hashes ?? {}).map(
      ([a, d]): [string, string[]] => [a, [d]]
    )
    const checks = [...expected, ...pageHashes.filter(([a]) => ALGORITHMS.has(a))]
    if (checks.length === 0 && p.requireHash && !found.url.startsWith('file:'))
      throw new HashMismatchError(
        `${p.source} records no hash for ${want.filename} (${want.name} ${want.version}): a lock is installed only with every downloaded file verified. Re-lock so that the file's hash is recorded.`
      )
    try {
      return await download(want, found.url, dest, checks, p)
    } catch (error) {
      const gone =
        error instanceof HttpError &&
        (error.failure === 'unreachable' || error.status === 404 || error.status === 410)
      if (!gone)
        throw error instanceof HttpError
          ? new FetchError(`${what}: ${p.redactor.redact(error.message)}`)
          : error
      missing.push(p.redactor.redact(error.message))
    }
  }
  const hint = p.mirror
    ? ''
    : ` If the runner reaches the files through a mirror, set ${Inputs.IndexUrl} (locked files are found there by name and hash).`
  throw new FetchError(
    `Could not get ${what}: ${missing.length > 0 ? missing.join('; ') : 'the pinned set gives no URL and no index for it'}.${hint}`
  )
}

async function download(
  want: WantedFile,
  url: string,
  dest: string,
  checks: [string, readonly string[]][],
  p: Places
): Promise<ObtainedFile> {
  const part = `${dest}.${process.pid}.part`
  const hashes = new Map<string, Hash>([['sha256', createHash('sha256')]])
  for (const [a] of checks) if (!hashes.has(a)) hashes.set(a, createHash(a))
  try {
    const answer = await p.client.download(url, part, {
      signal: p.signal,
      onData: chunk => {
        for (const h of hashes.values()) h.update(chunk)
      }
    })
    const digests = new Map([...hashes].map(([a, h]) => [a, h.digest('hex')]))
    const wrong = mismatch(digests, checks)
    const shown = p.redactor.redact(url)
    if (wrong)
      throw new HashMismatchError(
        `The hash of ${want.filename} (${want.name} ${want.version}) from ${shown} does not match ${p.source}: ${wrong}. The file was changed on the index, or the lock was edited by hand: nothing is installed. Check the index, then re-lock.`
      )
    if (want.size !== undefined && answer.body !== want.size)
      throw new HashMismatchError(
        `${want.filename} from ${shown} has ${answer.body} bytes, ${p.source} says ${want.size}`
      )
    await fs.rename(part, dest)
    core.debug(`${want.filename}: ${answer.body} bytes from ${shown}`)
    return { file: dest, sha256: digests.get('sha256') as string, reused: false }
  } finally {
    await fs.rm(part, { force: true })
  }
}
