/**
 * The layer zip, written by hand so that the same tree always gives the same bytes, and so that
 * deflate runs on every core: files are deflated on Node's threadpool a bounded window ahead of the
 * writer, which streams finished entries to disk in sorted order and hashes them on the way.
 *
 * Layout: `python/…` at the root, entries sorted by their byte-wise UTF-8 path (directories are
 * entries too, with a trailing `/`), DOS time 1980-01-01 00:00 and no extra timestamp fields,
 * creator "unix" with mode 0644 (0755 when the source has any x bit) and 0755 for directories,
 * symlinks followed. Files larger than one piece are deflated in independent 1 MiB pieces (each
 * primed with the previous piece's last 32 KiB, the way pigz does it) so one big shared library
 * uses every core too; the piece size is part of the output format and must stay fixed.
 *
 * File I/O is synchronous on purpose: the page cache answers in microseconds, while on the
 * threadpool every read and write would queue behind the deflate jobs.
 */
import * as core from '@actions/core'
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import { LayerActionError, messageOf } from '../errors'

export interface ZipOptions {
  /** deflate level 0–9 (0 stores everything) */
  level?: number
  /** most files read and deflated ahead of the writer */
  concurrency?: number
  /** files above this size are deflated to a spill file instead of memory (tests lower it) */
  largeFileBytes?: number
}

export interface ZipResult {
  path: string
  zipSize: number
  unzippedSize: number
  /** base64 SHA-256 of the zip, as Lambda reports CodeSha256 */
  sha256: string
  sha256Hex: string
  /** files and directories */
  entries: number
  /** files stored without deflate */
  stored: number
}

/** The layer directory cannot be zipped: no python/, an unreadable file, a symlink loop, … */
export class ZipError extends LayerActionError {}

// 6: on the 175 MB bench layer, 9 took 2.4x as long for a 0.3% smaller zip, 4 saved 25% for 2.6% more.
export const DEFAULT_LEVEL = 6
/** Deflate runs on libuv's threadpool: 4 threads unless UV_THREADPOOL_SIZE is set before Node starts. */
export const DEFAULT_CONCURRENCY = 16
/** Part of the output format: changing it changes the bytes of every file above 1 MiB. */
const PIECE = 1 << 20
const DICTIONARY = 32 * 1024
const LARGE_FILE = 64 * 1024 * 1024
/** Source bytes of files started but not yet written (the file next in line always may start). */
const IN_FLIGHT_BUDGET = 16 * 1024 * 1024
/** Pieces of one file deflating at once. */
const PIECES_AHEAD = 4
const WRITE_BUFFER = 1 << 20

/**
 * Already compressed, so deflating them again costs CPU for nothing. `.npz` is not here: numpy's
 * savez writes it uncompressed, so the shrink test decides (every file that deflate does not
 * shrink is stored anyway).
 */
const COMPRESSED_EXTENSIONS = new Set(
  (
    '.zip .whl .egg .jar .gz .tgz .bz2 .tbz2 .xz .txz .lzma .zst .7z .br .lz4 .jpg .jpeg .png ' +
    '.gif .webp .avif .heic .woff .woff2 .mp3 .mp4 .m4a .ogg .xlsx .docx .pptx'
  ).split(' ')
)

const DOS_TIME = 0
const DOS_DATE = (1 << 5) | 1 // 1980-01-01, the DOS epoch
const S_IFREG = 0o100000
const S_IFDIR = 0o040000
const MSDOS_DIRECTORY = 0x10
const UTF8_NAMES = 0x0800
const MADE_BY_UNIX = 3 << 8
const U32_MAX = 0xffffffff
const U16_MAX = 0xffff

interface Entry {
  readonly name: string
  readonly nameBytes: Buffer
  readonly source: string
  readonly directory: boolean
  readonly size: number
  readonly executable: boolean
}

/** An entry's data, compressed or stored, ready to be written. */
interface Prepared {
  readonly method: 0 | 8
  readonly crc: number
  readonly compressedSize: number
  /** in memory, or in a file: the spill file of a large file, or the source of a stored one */
  readonly data: readonly Buffer[] | { readonly file: string; readonly remove: boolean }
  /** gives borrowed read buffers back once the data is written */
  readonly release?: () => void
}

export async function zipLayer(
  layerDir: string,
  zipPath: string,
  o: ZipOptions = {}
): Promise<ZipResult> {
  const level = o.level ?? DEFAULT_LEVEL
  if (!Number.isInteger(level) || level < 0 || level > 9)
    throw new ZipError(`The zip level must be an integer from 0 to 9, not ${level}`)
  const window = Math.max(1, o.concurrency ?? DEFAULT_CONCURRENCY)
  const largeFile = o.largeFileBytes ?? LARGE_FILE

  let entries: Entry[]
  try {
    entries = collectEntries(layerDir)
  } catch (error) {
    if (error instanceof LayerActionError) throw error
    throw new ZipError(`Reading the layer directory ${layerDir} failed: ${messageOf(error)}`)
  }
  const buffers = new ReadBuffers(2 * IN_FLIGHT_BUDGET)
  const spill = (i: number) => `${zipPath}.spill-${i}`
  const out = new ZipSink(zipPath)
  const central: Buffer[] = []
  const jobs: (Promise<Prepared> | undefined)[] = new Array(entries.length)
  let started = 0
  let inFlight = 0
  let stored = 0
  let unzippedSize = 0
  const cost = (e: Entry) => (e.size > largeFile ? PIECES_AHEAD * PIECE : e.size)
  try {
    for (let i = 0; i < entries.length; i++) {
      while (
        started < entries.length &&
        started - i < window &&
        (started === i || inFlight + cost(entries[started]) <= IN_FLIGHT_BUDGET)
      ) {
        const e = entries[started]
        inFlight += cost(e)
        const job = prepare(e, level, buffers, e.size > largeFile ? spill(started) : undefined)
        job.catch(() => undefined) // awaited in order below; this only marks it handled meanwhile
        jobs[started++] = job
      }
      const entry = entries[i]
      const prepared = await (jobs[i] as Promise<Prepared>)
      jobs[i] = undefined
      central.push(centralHeader(entry, prepared, out.offset))
      writeLocal(out, entry, prepared, buffers)
      prepared.release?.()
      inFlight -= cost(entry)
      if (!entry.directory) {
        unzippedSize += entry.size
        if (prepared.method === 0) stored++
      }
    }
    const cdOffset = out.offset
    for (const c of central) out.push(c)
    out.push(endRecords(entries.length, out.offset - cdOffset, cdOffset))
    const { size, hash } = out.close()
    return {
      path: zipPath,
      zipSize: size,
      unzippedSize,
      sha256: hash.toString('base64'),
      sha256Hex: hash.toString('hex'),
      entries: entries.length,
      stored
    }
  } catch (error) {
    out.abort()
    // the jobs still running write spill files: let them finish, then remove every spill file
    await Promise.allSettled(jobs.filter(j => j !== undefined))
    entries.forEach((e, i) => {
      if (e.size > largeFile) fs.rmSync(spill(i), { force: true })
    })
    if (error instanceof LayerActionError) throw error
    throw new ZipError(`Writing the layer zip ${zipPath} failed: ${messageOf(error)}`)
  }
}

/** Every file and directory under `<layerDir>/python`, symlinks followed, sorted by byte-wise path. */
function collectEntries(layerDir: string): Entry[] {
  const root = path.join(layerDir, 'python')
  const rootStat = fs.statSync(root, { throwIfNoEntry: false })
  if (!rootStat?.isDirectory())
    throw new ZipError(`The layer directory ${layerDir} has no python/ folder to zip`)
  const entries: Entry[] = []
  // directories still to read, with the identities of their parents to stop symlink loops
  const pending = [{ dir: root, name: 'python/', ancestors: [`${rootStat.dev}:${rootStat.ino}`] }]
  while (pending.length) {
    const { dir, name, ancestors } = pending.pop() as (typeof pending)[number]
    entries.push(entry(name, dir, true, 0, false))
    for (const child of fs.readdirSync(dir)) {
      const source = path.join(dir, child)
      const st = fs.statSync(source, { throwIfNoEntry: false })
      if (!st) throw new ZipError(`${source} cannot be added to the layer: a broken symlink?`)
      if (st.isDirectory()) {
        const id = `${st.dev}:${st.ino}`
        if (ancestors.includes(id))
          throw new ZipError(
            `Symlink loop in the layer: ${source} leads back to a parent of its own`
          )
        pending.push({ dir: source, name: `${name}${child}/`, ancestors: [...ancestors, id] })
      } else if (st.isFile()) {
        entries.push(entry(`${name}${child}`, source, false, st.size, (st.mode & 0o111) !== 0))
      } else {
        core.warning(`Left out of the layer zip: ${source} is not a regular file or directory`)
      }
    }
  }
  return entries.sort((a, b) => Buffer.compare(a.nameBytes, b.nameBytes))
}

function entry(
  name: string,
  source: string,
  directory: boolean,
  size: number,
  executable: boolean
): Entry {
  return { name, nameBytes: Buffer.from(name, 'utf8'), source, directory, size, executable }
}

function isCompressed(name: string): boolean {
  return COMPRESSED_EXTENSIONS.has(path.posix.extname(name).toLowerCase())
}

function changedSize(e: Entry): ZipError {
  return new ZipError(`${e.source} changed size while the layer was being zipped`)
}

/**
 * Read buffers handed out again and again, by power-of-two size: fresh Buffers for 250 MB of reads
 * leave tens of MB of garbage that V8 collects late, and the process's peak memory grows with it.
 */
class ReadBuffers {
  private readonly free = new Map<number, Buffer[]>()
  private pooled = 0

  constructor(private readonly limit: number) {}

  take(size: number): Buffer {
    const capacity = 2 ** Math.max(12, Math.ceil(Math.log2(Math.max(size, 1))))
    const reused = this.free.get(capacity)?.pop()
    if (reused) this.pooled -= capacity
    return (reused ?? Buffer.allocUnsafeSlow(capacity)).subarray(0, size)
  }

  give(b: Buffer): void {
    const capacity = b.buffer.byteLength
    if (this.pooled + capacity > this.limit) return
    const list = this.free.get(capacity) ?? []
    list.push(Buffer.from(b.buffer, b.byteOffset, capacity))
    this.free.set(capacity, list)
    this.pooled += capacity
  }

  /** Reads `length` bytes at `position` of an open file into a borrowed buffer. */
  read(fd: number, length: number, position: number, e: Entry): Buffer {
    const b = this.take(length)
    let done = 0
    while (done < length) {
      const n = fs.readSync(fd, b, done, length - done, position + done)
      if (n === 0) throw changedSize(e)
      done += n
    }
    return b
  }
}

function deflatePiece(
  input: Buffer,
  level: number,
  dictionary: Buffer | undefined,
  last: boolean
): Promise<Buffer> {
  const options: zlib.ZlibOptions = {
    level,
    // room for most files' output in one threadpool round trip (zlib's default is 16 KiB a trip)
    chunkSize: Math.max(256, (input.length >>> 1) + 256)
  }
  if (dictionary) options.dictionary = dictionary // zlib copies it at once
  // every piece but the last ends byte-aligned (sync flush), so the pieces concatenate
  if (!last) options.finishFlush = zlib.constants.Z_SYNC_FLUSH
  return new Promise((resolve, reject) =>
    zlib.deflateRaw(input, options, (error, result) => (error ? reject(error) : resolve(result)))
  )
}

async function prepare(
  e: Entry,
  level: number,
  buffers: ReadBuffers,
  spill: string | undefined
): Promise<Prepared> {
  if (e.directory) return { method: 0, crc: 0, compressedSize: 0, data: [] }
  try {
    if (e.size > PIECE) return await preparePieces(e, level, buffers, spill)
    const fd = fs.openSync(e.source, 'r')
    let data: Buffer
    try {
      data = buffers.read(fd, e.size, 0, e)
      if (fs.fstatSync(fd).size !== e.size) throw changedSize(e)
    } finally {
      fs.closeSync(fd)
    }
    const crc = zlib.crc32(data)
    const storedAsIs: Prepared = {
      method: 0,
      crc,
      compressedSize: e.size,
      data: [data],
      release: () => buffers.give(data)
    }
    if (e.size === 0 || level === 0 || isCompressed(e.name)) return storedAsIs
    const deflated = await deflatePiece(data, level, undefined, true)
    if (deflated.length >= e.size) return storedAsIs
    buffers.give(data)
    return { method: 8, crc, compressedSize: deflated.length, data: [deflated] }
  } catch (error) {
    if (error instanceof LayerActionError) throw error
    throw new ZipError(`${e.source} cannot be added to the layer zip: ${messageOf(error)}`)
  }
}

/**
 * A file of several pieces, read one piece at a time with a few deflating at once. The output is
 * kept in memory or, for a file too big to hold (`spill` given), appended to a spill file.
 */
async function preparePieces(
  e: Entry,
  level: number,
  buffers: ReadBuffers,
  spill: string | undefined
): Promise<Prepared> {
  const deflate = level > 0 && !isCompressed(e.name)
  const input = fs.openSync(e.source, 'r')
  const output = deflate && spill ? fs.openSync(spill, 'w') : undefined
  const kept: Buffer[] = []
  let crc = 0
  let compressedSize = 0
  try {
    const queue: { piece: Buffer; deflated: Promise<Buffer> }[] = []
    const takeOne = async () => {
      const { piece, deflated } = queue.shift() as (typeof queue)[number]
      const out = await deflated
      buffers.give(piece)
      compressedSize += out.length
      if (output !== undefined) writeFully(output, [out])
      else kept.push(out)
    }
    let previous: Buffer | undefined
    for (let at = 0; at < e.size;) {
      const piece = buffers.read(input, Math.min(PIECE, e.size - at), at, e)
      at += piece.length
      crc = zlib.crc32(piece, crc)
      if (deflate) {
        const dictionary = previous?.subarray(previous.length - DICTIONARY)
        const deflated = deflatePiece(piece, level, dictionary, at === e.size)
        deflated.catch(() => undefined) // awaited in takeOne
        queue.push({ piece, deflated })
        if (queue.length >= PIECES_AHEAD) await takeOne()
      } else if (!spill) {
        kept.push(piece)
      } else {
        buffers.give(piece)
      }
      previous = piece
    }
    while (queue.length) await takeOne()
    if (fs.fstatSync(input).size !== e.size) throw changedSize(e)
  } finally {
    fs.closeSync(input)
    if (output !== undefined) fs.closeSync(output)
  }
  if (deflate && compressedSize < e.size) {
    return { method: 8, crc, compressedSize, data: spill ? { file: spill, remove: true } : kept }
  }
  const stored = { method: 0, crc, compressedSize: e.size } as const
  if (spill) {
    fs.rmSync(spill, { force: true })
    return { ...stored, data: { file: e.source, remove: false } }
  }
  if (!deflate) return { ...stored, data: kept, release: () => kept.forEach(b => buffers.give(b)) }
  // deflate did not shrink it: read it again rather than hold both forms meanwhile
  return { ...stored, data: { file: e.source, remove: false } }
}

function flagsOf(e: Entry): number {
  return e.nameBytes.some(b => b >= 0x80) ? UTF8_NAMES : 0
}

function externalAttributes(e: Entry): number {
  if (e.directory) return (((S_IFDIR | 0o755) << 16) | MSDOS_DIRECTORY) >>> 0
  return ((S_IFREG | (e.executable ? 0o755 : 0o644)) << 16) >>> 0
}

function writeLocal(out: ZipSink, e: Entry, p: Prepared, buffers: ReadBuffers): void {
  const zip64 = e.size >= U32_MAX || p.compressedSize >= U32_MAX
  const extra = zip64 ? zip64Extra([e.size, p.compressedSize]) : Buffer.alloc(0)
  const h = Buffer.alloc(30)
  h.writeUInt32LE(0x04034b50, 0)
  h.writeUInt16LE(zip64 ? 45 : 20, 4)
  h.writeUInt16LE(flagsOf(e), 6)
  h.writeUInt16LE(p.method, 8)
  h.writeUInt16LE(DOS_TIME, 10)
  h.writeUInt16LE(DOS_DATE, 12)
  h.writeUInt32LE(p.crc >>> 0, 14)
  h.writeUInt32LE(zip64 ? U32_MAX : p.compressedSize, 18)
  h.writeUInt32LE(zip64 ? U32_MAX : e.size, 22)
  h.writeUInt16LE(e.nameBytes.length, 26)
  h.writeUInt16LE(extra.length, 28)
  out.push(h)
  out.push(e.nameBytes)
  out.push(extra)
  if (Array.isArray(p.data)) {
    for (const b of p.data as readonly Buffer[]) out.push(b)
    return
  }
  const { file, remove } = p.data as { file: string; remove: boolean }
  const fd = fs.openSync(file, 'r')
  try {
    for (let at = 0; at < p.compressedSize;) {
      const piece = buffers.read(fd, Math.min(PIECE, p.compressedSize - at), at, e)
      at += piece.length
      out.push(piece)
      buffers.give(piece)
    }
  } finally {
    fs.closeSync(fd)
  }
  if (remove) fs.rmSync(file, { force: true })
}

function centralHeader(e: Entry, p: Prepared, offset: number): Buffer {
  // zip64: only the fields that overflow go into the extra field, in this order
  const wide = [e.size >= U32_MAX, p.compressedSize >= U32_MAX, offset >= U32_MAX]
  const values = [e.size, p.compressedSize, offset].filter((_, i) => wide[i])
  const extra = values.length ? zip64Extra(values) : Buffer.alloc(0)
  const version = extra.length ? 45 : 20
  const h = Buffer.alloc(46 + e.nameBytes.length + extra.length)
  h.writeUInt32LE(0x02014b50, 0)
  h.writeUInt16LE(MADE_BY_UNIX | version, 4) // so extractors apply the mode bits
  h.writeUInt16LE(version, 6)
  h.writeUInt16LE(flagsOf(e), 8)
  h.writeUInt16LE(p.method, 10)
  h.writeUInt16LE(DOS_TIME, 12)
  h.writeUInt16LE(DOS_DATE, 14)
  h.writeUInt32LE(p.crc >>> 0, 16)
  h.writeUInt32LE(wide[1] ? U32_MAX : p.compressedSize, 20)
  h.writeUInt32LE(wide[0] ? U32_MAX : e.size, 24)
  h.writeUInt16LE(e.nameBytes.length, 28)
  h.writeUInt16LE(extra.length, 30)
  // comment length, disk number and internal attributes stay 0
  h.writeUInt32LE(externalAttributes(e), 38)
  h.writeUInt32LE(wide[2] ? U32_MAX : offset, 42)
  e.nameBytes.copy(h, 46)
  extra.copy(h, 46 + e.nameBytes.length)
  return h
}

function zip64Extra(values: readonly number[]): Buffer {
  const b = Buffer.alloc(4 + 8 * values.length)
  b.writeUInt16LE(0x0001, 0)
  b.writeUInt16LE(8 * values.length, 2)
  values.forEach((v, i) => b.writeBigUInt64LE(BigInt(v), 4 + 8 * i))
  return b
}

/** End of central directory, after the zip64 record and locator when a count or offset overflows. */
function endRecords(count: number, cdSize: number, cdOffset: number): Buffer {
  const zip64 = count >= U16_MAX || cdSize >= U32_MAX || cdOffset >= U32_MAX
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(zip64 ? U16_MAX : count, 8)
  end.writeUInt16LE(zip64 ? U16_MAX : count, 10)
  end.writeUInt32LE(zip64 ? U32_MAX : cdSize, 12)
  end.writeUInt32LE(zip64 ? U32_MAX : cdOffset, 16)
  if (!zip64) return end
  const record = Buffer.alloc(56)
  record.writeUInt32LE(0x06064b50, 0)
  record.writeBigUInt64LE(44n, 4) // size of the rest of this record
  record.writeUInt16LE(MADE_BY_UNIX | 45, 12)
  record.writeUInt16LE(45, 14)
  record.writeBigUInt64LE(BigInt(count), 24)
  record.writeBigUInt64LE(BigInt(count), 32)
  record.writeBigUInt64LE(BigInt(cdSize), 40)
  record.writeBigUInt64LE(BigInt(cdOffset), 48)
  const locator = Buffer.alloc(20)
  locator.writeUInt32LE(0x07064b50, 0)
  locator.writeBigUInt64LE(BigInt(cdOffset + cdSize), 8)
  locator.writeUInt32LE(1, 16) // disks in total
  return Buffer.concat([record, locator, end])
}

function writeFully(fd: number, data: readonly Buffer[]): void {
  for (const b of data) {
    for (let done = 0; done < b.length;) done += fs.writeSync(fd, b, done, b.length - done)
  }
}

/** The zip file being written: through one reused buffer, hashed as written, with its offset. */
class ZipSink {
  offset = 0
  private readonly buffer = Buffer.allocUnsafeSlow(WRITE_BUFFER)
  private used = 0
  private readonly hash = createHash('sha256')
  private readonly fd: number

  constructor(private readonly file: string) {
    this.fd = fs.openSync(file, 'w')
  }

  /** Copies `b` in; the caller may reuse it at once. */
  push(b: Buffer): void {
    this.hash.update(b)
    this.offset += b.length
    if (this.used + b.length > this.buffer.length) this.flush()
    if (b.length >= this.buffer.length) writeFully(this.fd, [b])
    else this.used += b.copy(this.buffer, this.used)
  }

  private flush(): void {
    writeFully(this.fd, [this.buffer.subarray(0, this.used)])
    this.used = 0
  }

  close(): { size: number; hash: Buffer } {
    this.flush()
    fs.closeSync(this.fd)
    return { size: this.offset, hash: this.hash.digest() }
  }

  abort(): void {
    try {
      fs.closeSync(this.fd)
    } catch {
      // closed already
    }
    fs.rmSync(this.file, { force: true })
  }
}
