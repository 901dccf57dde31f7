/**
 * Every wheel entry copied into the layer is checked where it lies, as Python's zipfile checks what
 * it reads: its local header names the same file as the central directory, its deflate stream is
 * whole, and it inflates to exactly the size and CRC-32 the central directory declares. Nothing is
 * inflated past the declared size, so an entry that claims 1 KB and inflates to 300 MB costs 1 KB.
 * The work runs in worker threads (one per core, up to four) beside the zip writer, which copies
 * the compressed bytes meanwhile; the inflated bytes are dropped as they come.
 */
import os from 'node:os'
import path from 'node:path'
import { Worker } from 'node:worker_threads'
import type { CentralEntry } from './reader'
import { ZipFormatError } from './reader'

/** What to check: an entry of a wheel, as its central directory describes it. */
export interface EntryToVerify {
  /** the wheel's path */
  readonly wheel: string
  readonly entry: CentralEntry
}

export interface VerifyOptions {
  /** stops the workers (the zip failed for another reason) */
  signal?: AbortSignal
  /** at most this many workers (default: one per core, up to four) */
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

const MAX_WORKERS = 4
/** Below this many compressed bytes per worker, another worker costs more to start than it saves. */
const BYTES_PER_WORKER = 4 * 1024 * 1024
const STREAM_ABOVE = 32 * 1024 * 1024

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

/**
 * The worker, as source: a bundle has no separate file to start a worker from. It answers
 * `{ ok: true }` or `{ index, why }` for the first entry that fails.
 */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads')
const fs = require('node:fs')
const zlib = require('node:zlib')
const { jobs, streamAbove } = workerData
const CHUNK = 1 << 20
const fds = new Map()
class Bad extends Error {}
const readAt = (fd, length, position) => {
  const b = Buffer.allocUnsafe(length)
  let done = 0
  while (done < length) {
    const n = fs.readSync(fd, b, done, length - done, position + done)
    if (n === 0) break
    done += n
  }
  return done === length ? b : b.subarray(0, done)
}
const hex = n => (n >>> 0).toString(16).padStart(8, '0')
const tooBig = j => new Bad('inflates to more than the ' + j.size + ' bytes its central directory declares (inflating stopped there)')
const damaged = e => new Bad('has a damaged deflate stream (' + (e && e.message || e) + ')')
const cutShort = j => new Bad('is cut short: its ' + j.compressedSize + ' compressed bytes run past the end of the file')
function streamed(fd, at, j) {
  return new Promise((resolve, reject) => {
    const z = zlib.createInflateRaw({ chunkSize: CHUNK })
    let size = 0, crc = 0, pos = 0, failed = false
    const fail = e => { if (!failed) { failed = true; z.destroy(); reject(e) } }
    z.on('data', c => {
      size += c.length
      if (size > j.size) fail(tooBig(j))
      else crc = zlib.crc32(c, crc)
    })
    z.on('error', e => fail(damaged(e)))
    z.on('end', () => { if (!failed) resolve({ size, crc }) })
    const pump = () => {
      while (!failed && pos < j.compressedSize) {
        const c = readAt(fd, Math.min(CHUNK, j.compressedSize - pos), at + pos)
        if (c.length === 0) return fail(cutShort(j))
        pos += c.length
        if (!z.write(c)) return void z.once('drain', pump)
      }
      if (!failed) z.end()
    }
    pump()
  })
}
// the local header, its name and (when small) the data in one read: most entries are a few KB
const SLACK = 256
async function check(j) {
  let fd = fds.get(j.wheel)
  if (fd === undefined) fds.set(j.wheel, (fd = fs.openSync(j.wheel, 'r')))
  const whole = j.compressedSize <= streamAbove
  let h = readAt(fd, 30 + j.nameBytes.length + SLACK + (whole ? j.compressedSize : 0), j.offset)
  if (h.length < 30 || h.readUInt32LE(0) !== 0x04034b50)
    throw new Bad('has no local header where the central directory says it starts')
  const nameLength = h.readUInt16LE(26)
  const skip = 30 + nameLength + h.readUInt16LE(28)
  const local = h.subarray(30, 30 + nameLength)
  if (!Buffer.from(j.nameBytes).equals(local))
    throw new Bad('is named ' + JSON.stringify(local.toString('latin1')) + ' in its local header: the two names must agree')
  const at = j.offset + skip
  // a long extra field: read the data again, from where it starts
  const raw = whole ? (h.length >= skip + j.compressedSize ? h.subarray(skip, skip + j.compressedSize) : readAt(fd, j.compressedSize, at)) : undefined
  let size = 0, crc = 0
  if (j.method === 0 && raw) {
    if (j.compressedSize !== j.size)
      throw new Bad('is stored with ' + j.compressedSize + ' bytes but declares ' + j.size)
    if (raw.length < j.size) throw cutShort(j)
    crc = zlib.crc32(raw)
    size = j.size
  } else if (j.method === 0) {
    if (j.compressedSize !== j.size)
      throw new Bad('is stored with ' + j.compressedSize + ' bytes but declares ' + j.size)
    for (let pos = 0; pos < j.size; ) {
      const c = readAt(fd, Math.min(CHUNK, j.size - pos), at + pos)
      if (c.length === 0) throw cutShort(j)
      crc = zlib.crc32(c, crc)
      pos += c.length
    }
    size = j.size
  } else if (raw && j.size <= streamAbove) {
    if (raw.length < j.compressedSize) throw cutShort(j)
    let out
    try {
      // one output chunk of the declared size: no copies to join pieces
      out = zlib.inflateRawSync(raw, { maxOutputLength: j.size + 1, chunkSize: Math.max(64, j.size + 1) })
    } catch (e) {
      throw e && e.code === 'ERR_BUFFER_TOO_LARGE' ? tooBig(j) : damaged(e)
    }
    size = out.length
    crc = zlib.crc32(out)
  } else {
    ;({ size, crc } = await streamed(fd, at, j))
  }
  if (size > j.size) throw tooBig(j)
  if (size < j.size)
    throw new Bad('inflates to ' + size + ' bytes, not the ' + j.size + ' its central directory declares')
  if (crc >>> 0 !== j.crc >>> 0)
    throw new Bad('does not match its CRC-32 (' + hex(crc) + ' read, ' + hex(j.crc) + ' declared)')
}
;(async () => {
  let answer = { ok: true }
  for (const j of jobs) {
    try {
      await check(j)
    } catch (e) {
      answer = { index: j.index, why: e instanceof Bad ? e.message : 'cannot be read (' + (e && e.message || e) + ')' }
      break
    }
  }
  for (const fd of fds.values()) fs.closeSync(fd)
  parentPort.postMessage(answer)
})()
`

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
        const worker = new Worker(WORKER, {
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
