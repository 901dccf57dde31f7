/**
 * Every wheel entry copied into the layer is checked where it lies, as Python's zipfile checks what
 * it reads: its local header names the same file as the central directory, its deflate stream is
 * whole, and it inflates to exactly the size and CRC-32 the central directory declares. Nothing is
 * inflated past the declared size, so an entry that claims 1 KB and inflates to 300 MB costs 1 KB.
 * The work runs in worker threads (up to two) beside the zip writer, which copies
 * the compressed bytes meanwhile; the inflated bytes are dropped as they come.
 */
import os from 'node:os'
import path from 'node:path'
import { Worker } from 'node:worker_threads'
import type { CentralEntry } from './reader'
import { ZipFormatError } from './reader'
import { VERIFY_WORKER } from './verify-worker'

/** What to check: an entry of a wheel, as its central directory describes it. */
export interface EntryToVerify {
  /** the wheel's path */
  readonly wheel: string
  readonly entry: CentralEntry
}

/**
 * Entries a run before verified, for the same wheel bytes (src/fetch/verified.ts keeps them with the
 * wheelhouse): the zip step does not inflate those again.
 */
export interface VerifiedBefore {
  /** whether exactly these entries of this wheel were verified before, for the bytes it holds now */
  covers(wheel: string, entries: readonly CentralEntry[]): boolean
  /** these entries of this wheel have just been verified */
  verified(wheel: string, entries: readonly CentralEntry[]): void
}

export interface VerifyOptions {
  /** stops the workers (the zip failed for another reason) */
  signal?: AbortSignal
  /** at most this many workers (default: two, one on a single core) */
  workers?: number
  /** entries declaring more bytes than this are inflated as a stream, not in one piece (tests lower it) */
  streamAbove?: number
}

/** A wheel entry that does not hold what its central directory says. */
export class EntryVerificationError extends ZipFormatError {
  constructor(
    readonly wheel: string,
    readonly entry: string,
    why: string
  ) {
    super(
      `The wheel ${wheel} is damaged: its entry ${entry} ${why}. ` +
        'The file is corrupt or was altered after it was built, and would break at import on Lambda. ' +
        'If it came from the Actions cache, delete that cache entry (gh cache delete) so the next run downloads it again; ' +
        'if the index serves it so, ask its maintainers for a sound copy.'
    )
  }
}

/** Two keep up with the copy; each costs some 45 MB of peak memory (its buffers before collection). */
const MAX_WORKERS = 2
/** Below this many compressed bytes per worker, another worker costs more to start than it saves. */
const BYTES_PER_WORKER = 4 * 1024 * 1024
const STREAM_ABOVE = 4 * 1024 * 1024

interface Job {
  index: number
  wheel: string
  offset: number
  nameBytes: Uint8Array
  method: number
  compressedSize: number
  size: number
  crc: number
}

/** Checks every entry; rejects with EntryVerificationError for the first one found wrong. */
export async function verifyEntries(
  items: readonly EntryToVerify[],
  o: VerifyOptions = {}
): Promise<void> {
  if (items.length === 0) return
  const total = items.reduce((n, i) => n + i.entry.compressedSize, 0)
  const count = Math.max(
    1,
    Math.min(
      o.workers ?? MAX_WORKERS,
      os.availableParallelism(),
      Math.ceil(total / BYTES_PER_WORKER)
    )
  )
  // largest first, each to the least loaded worker
  const shares = Array.from({ length: count }, () => ({ bytes: 0, jobs: [] as Job[] }))
  const order = items.map((_, index) => index)
  order.sort((a, b) => items[b].entry.compressedSize - items[a].entry.compressedSize)
  for (const index of order) {
    const { wheel, entry } = items[index]
    const share = shares.reduce((least, s) => (s.bytes < least.bytes ? s : least))
    share.bytes += entry.compressedSize + 4096
    share.jobs.push({
      index,
      wheel,
      offset: entry.localHeaderOffset,
      nameBytes: entry.nameBytes,
      method: entry.method,
      compressedSize: entry.compressedSize,
      size: entry.size,
      crc: entry.crc
    })
  }
  const workers: Worker[] = []
  const stop = () => Promise.all(workers.map(w => w.terminate()))
  o.signal?.addEventListener('abort', () => void stop(), { once: true })
  try {
    await Promise.all(
      shares.map(share => {
        const worker = new Worker(VERIFY_WORKER, {
          eval: true,
          workerData: { jobs: share.jobs, streamAbove: o.streamAbove ?? STREAM_ABOVE }
        })
        workers.push(worker)
        return answerOf(worker, items)
      })
    )
  } finally {
    await stop()
  }
}

function answerOf(worker: Worker, items: readonly EntryToVerify[]): Promise<void> {
  return new Promise((resolve, reject) => {
    worker.once('message', (m: { ok?: true; index?: number; why?: string }) => {
      if (m.ok) return resolve()
      const { wheel, entry } = items[m.index as number]
      reject(new EntryVerificationError(path.basename(wheel), entry.name, m.why as string))
    })
    worker.once('error', reject)
    worker.once('exit', code =>
      code === 0 ? resolve() : reject(new Error(`a zip verification worker stopped (exit ${code})`))
    )
  })
}
