/**
 * The one way a file on disk is hashed: streamed (a wheel may be large), sha256 always. Many files,
 * or a file as it is written, are hashed in a worker thread beside this one where there is a core
 * for it (./digest-worker.ts), else here.
 */
import { createHash, type Hash } from 'node:crypto'
import { closeSync, createReadStream, openSync, readSync } from 'node:fs'
import { stat } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { Worker } from 'node:worker_threads'
import { DIGEST_WORKER } from './digest-worker'

/**
 * Digests this process computed, by the file's identity: the exact hit checks every wheel, and the
 * fetch then finds them checked without reading them again. Any write or replacement changes the
 * change time (or the inode), so a file altered since is read afresh.
 */
const digested = new Map<string, { identity: string; digests: Map<string, string> }>()

/** 1 MiB reads: a quarter less time than the default 64 KiB over the bench's 68 MB of wheels. */
const READ_CHUNK = 1024 * 1024

/** The file's identity, taken before it is read (a write during the read leaves a later one), and its digests if known. */
async function remembered(
  file: string,
  wanted: readonly string[]
): Promise<{ identity: string; known?: Map<string, string> }> {
  const s = await stat(file, { bigint: true })
  // a FIFO would block the read for ever, a device (a link to /dev/zero) never end it
  if (!s.isFile()) throw new Error(`${file} is not a regular file`)
  const identity = `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`
  const seen = digested.get(path.resolve(file))
  const known =
    seen?.identity === identity && wanted.every(a => seen.digests.has(a))
      ? new Map(wanted.map(a => [a, seen.digests.get(a) as string]))
      : undefined
  return { identity, known }
}

/** The hex digests of a file, by algorithm: sha256 and any others asked for. */
export async function hashFile(
  file: string,
  algorithms: Iterable<string> = []
): Promise<Map<string, string>> {
  const wanted = [...new Set(['sha256', ...algorithms])]
  const { identity, known } = await remembered(file, wanted)
  if (known) return known
  const hashes = new Map<string, Hash>(wanted.map(a => [a, createHash(a)]))
  for await (const chunk of createReadStream(file, { highWaterMark: READ_CHUNK }))
    for (const h of hashes.values()) h.update(chunk as Buffer)
  const digests = new Map([...hashes].map(([a, h]) => [a, h.digest('hex')]))
  digested.set(path.resolve(file), { identity, digests })
  return digests
}

/** The hex SHA-256 of a file. */
export async function sha256File(file: string): Promise<string> {
  return (await hashFile(file)).get('sha256') as string
}

export interface HashOptions {
  /** false: this thread only (tests compare the two ways) */
  worker?: boolean
}

/**
 * The digests of many files, in their order: this thread and the hashing worker each take the
 * largest file left, so the exact cache hit's check of every wheel takes about half as long on two
 * cores. Rejects when a file cannot be read (as hashFile, here, says why).
 */
export async function hashFiles(
  files: readonly string[],
  algorithms: Iterable<string> = [],
  o: HashOptions = {}
): Promise<Map<string, string>[]> {
  const wanted = [...new Set(['sha256', ...algorithms])]
  const sizes = await Promise.all(files.map(async f => (await stat(f)).size))
  const left = files.map((file, index) => ({ file, index }))
  left.sort((a, b) => sizes[b.index] - sizes[a.index])
  const results: Map<string, string>[] = new Array<Map<string, string>>(files.length)
  let failed = false
  const here = async (): Promise<void> => {
    try {
      for (let j = left.shift(); j && !failed; j = left.shift())
        results[j.index] = await hashHere(j.file, wanted)
    } catch (error) {
      failed = true
      throw error
    }
  }
  const worker = o.worker === false || files.length < 2 ? undefined : digestWorker()
  const beside = async (w: DigestWorker): Promise<void> => {
    for (let j = left.shift(); j && !failed; j = left.shift())
      // the worker could not (a file it cannot read, or it stopped): here, for the same answer or the error
      results[j.index] = await inWorker(w, j.file, wanted).catch(() => hashHere(j.file, wanted))
  }
  await Promise.all([here(), ...(worker ? [beside(worker)] : [])])
  return results
}

/** One buffer for this thread's reads in hashFiles: a new 1 MiB buffer per read is garbage to collect. */
let scratch: Buffer | undefined

/**
 * hashFile for hashFiles' share on this thread: read synchronously into one buffer, a file at a
 * time (the event loop turns between files), which keeps the garbage collector out of it.
 */
async function hashHere(file: string, wanted: readonly string[]): Promise<Map<string, string>> {
  const { identity, known } = await remembered(file, wanted)
  if (known) return known
  scratch ??= Buffer.allocUnsafeSlow(READ_CHUNK)
  const hashes = wanted.map(a => createHash(a))
  const fd = openSync(file, 'r')
  try {
    for (let n; (n = readSync(fd, scratch, 0, READ_CHUNK, null)) > 0;) {
      const chunk = n === READ_CHUNK ? scratch : scratch.subarray(0, n)
      for (const h of hashes) h.update(chunk)
    }
  } finally {
    closeSync(fd)
  }
  const digests = new Map(wanted.map((a, i) => [a, hashes[i].digest('hex')]))
  digested.set(path.resolve(file), { identity, digests })
  return digests
}

async function inWorker(
  w: DigestWorker,
  file: string,
  wanted: readonly string[]
): Promise<Map<string, string>> {
  const { identity, known } = await remembered(file, wanted)
  if (known) return known
  const answer = await w.ask({ op: 'file', file: path.resolve(file), algorithms: wanted })
  if (!answer.digests) throw new Error(answer.error)
  const digests = new Map(wanted.map((a, i) => [a, (answer.digests as string[])[i]]))
  digested.set(path.resolve(file), { identity, digests })
  return digests
}

/** The SHA-256 of a file written front to back, taken as each range of it is written. */
export interface WriteDigest {
  /**
   * The next bytes of the file are written, after those told before (read only when hashing here;
   * the worker reads the file itself, up to where they end).
   */
  written(bytes: Buffer): void
  /** the SHA-256 of everything written: ask once the file is complete */
  digest(): Promise<Buffer>
  /** the file is abandoned */
  drop(): void
}

/**
 * For a writer on this thread (the layer zip): the hashing worker reads each written range back from
 * the page cache and hashes it meanwhile, so the 64 MB zip's SHA-256 costs this thread nothing; if
 * the worker fails, the complete file is hashed here. On one core, the bytes are hashed here as
 * written.
 */
export function digestOfWrites(file: string, o: HashOptions = {}): WriteDigest {
  const w = o.worker === false ? undefined : digestWorker()
  if (!w) {
    const hash = createHash('sha256')
    return {
      written: bytes => void hash.update(bytes),
      digest: () => Promise.resolve(hash.digest()),
      drop: () => undefined
    }
  }
  const id = w.post({ op: 'open', file: path.resolve(file) })
  // ranges told in pieces of some 8 MiB: a message per 1 MiB flush costs this thread more than it saves
  let from = 0
  let to = 0
  const tell = (): void => {
    if (to > from) w.post({ op: 'range', id, start: from, end: to })
    from = to
  }
  return {
    written: bytes => {
      to += bytes.length
      if (to - from >= TELL_EVERY) tell()
    },
    digest: async () => {
      tell()
      const answer = await w.ask({ op: 'close', id }).catch(() => undefined)
      if (answer?.digest) return Buffer.from(answer.digest, 'hex')
      return Buffer.from(await sha256File(file), 'hex')
    },
    drop: () => void w.post({ op: 'drop', id })
  }
}

const TELL_EVERY = 8 * 1024 * 1024

/** Starts the hashing worker now, while this thread waits anyway (on the cache download). */
export function warmDigests(): void {
  digestWorker()
}

interface Answer {
  id: number
  digests?: string[]
  digest?: string
  error?: string
}

/** The hashing worker: it keeps the process alive only while an answer is awaited. */
class DigestWorker {
  private readonly worker = new Worker(DIGEST_WORKER, { eval: true })
  private nextId = 1
  private readonly waiting = new Map<number, { resolve(a: Answer): void; reject(e: Error): void }>()
  stopped?: Error

  constructor() {
    this.worker.on('message', (a: Answer) => {
      const w = this.waiting.get(a.id)
      if (!w) return
      this.waiting.delete(a.id)
      if (this.waiting.size === 0) this.worker.unref()
      w.resolve(a)
    })
    const stop = (error: Error): void => {
      this.stopped ??= error
      for (const w of this.waiting.values()) w.reject(this.stopped)
      this.waiting.clear()
    }
    this.worker.on('error', stop)
    this.worker.on('exit', code => stop(new Error(`the hashing worker stopped (exit ${code})`)))
    // after the listeners: adding a 'message' listener refs the worker again
    this.worker.unref()
  }

  /** Sends a message that is not answered; returns its id. */
  post(m: { op: string; id?: number } & Record<string, unknown>): number {
    const id = m.id ?? this.nextId++
    this.worker.postMessage({ ...m, id })
    return id
  }

  /** Sends a message and waits for its answer. */
  ask(m: { op: string; id?: number } & Record<string, unknown>): Promise<Answer> {
    if (this.stopped) return Promise.reject(this.stopped)
    return new Promise((resolve, reject) => {
      const id = m.id ?? this.nextId++
      this.waiting.set(id, { resolve, reject })
      this.worker.ref()
      this.worker.postMessage({ ...m, id })
    })
  }
}

let shared: DigestWorker | undefined

/** The hashing worker, started on first use; undefined on a single core or once it has failed. */
function digestWorker(): DigestWorker | undefined {
  if (os.availableParallelism() < 2 || shared?.stopped) return undefined
  try {
    shared ??= new DigestWorker()
  } catch {
    return undefined
  }
  return shared
}
