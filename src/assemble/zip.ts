/**
 * The layer zip's policy: which entries, from where, stored or deflated. The format itself is in
 * src/zip/. A wheel's entry is copied as it lies in the wheel (its compressed stream, CRC and sizes
 * from the wheel's central directory; stored entries stay stored), so those bytes depend on the
 * wheels alone, not on the runner's zlib. Files from `include` are deflated here (level 6; stored
 * when deflate does not shrink them or they are compressed already); what this action writes itself
 * (INSTALLER, a rewritten RECORD) is stored, so no zlib version ever changes it.
 *
 * Every wheel entry is verified while it is copied (src/zip/verify.ts, in worker threads): the zip is
 * finished only when each one inflated to its declared size and CRC-32, so the sizes added up for
 * Lambda's limit are real sizes.
 *
 * Layout: `python/…` at the root, entries sorted by their byte-wise UTF-8 path (directories are
 * entries too, with a trailing `/`), DOS time 1980-01-01 00:00 and no extra timestamp fields,
 * creator "unix" with mode 0644 (0755 when the wheel or the file has any x bit) and 0755 for
 * directories.
 */
import * as core from '@actions/core'
import fs from 'node:fs'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import zlib from 'node:zlib'
import { LayerActionError, messageOf } from '../errors'
import { dataOffset } from '../zip/reader'
import { DEFLATED, STORED, type EntryRecord } from '../zip/records'
import { verifyEntries, type EntryToVerify, type VerifiedBefore } from '../zip/verify'
import { ZipWriter } from '../zip/writer'
import type { LayerEntry } from './entries'
import { count, plural } from '../words'
import { formatBytes } from './size'

export interface ZipOptions {
  /** deflate level 0–9 for files from disk (0 stores them) */
  level?: number
  /** files from disk above this size are deflated to a spill file instead of memory (tests lower it) */
  largeFileBytes?: number
  /** false only for the bench's baseline: the wheel entries are then copied unchecked */
  verify?: boolean
  /**
   * Entries verified in a run before, for the same wheel bytes: not inflated again. Told of every
   * wheel verified here once the whole zip is, so the next run finds them.
   */
  verifiedBefore?: VerifiedBefore
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

/** The layer cannot be zipped: an unreadable file, a path that is a file and a directory, … */
export class ZipError extends LayerActionError {}

// 6: on the 175 MB bench layer, 9 took 2.4x as long for a 0.3% smaller zip, 4 saved 25% for 2.6% more.
const DEFAULT_LEVEL = 6
const LARGE_FILE = 64 * 1024 * 1024
/** Files from disk read and deflated ahead of the writer. */
const FILES_AHEAD = 8
/** Copied bytes between two turns of the event loop, so an extraction running beside gets its turn. */
const YIELD_EVERY = 4 * 1024 * 1024

/**
 * Already compressed, so deflating them again costs CPU for nothing. `.npz` is not here: numpy's
 * savez writes it uncompressed, so the shrink test decides.
 */
const COMPRESSED_EXTENSIONS = new Set(
  (
    '.zip .whl .egg .jar .gz .tgz .bz2 .tbz2 .xz .txz .lzma .zst .7z .br .lz4 .jpg .jpeg .png ' +
    '.gif .webp .avif .heic .woff .woff2 .mp3 .mp4 .m4a .ogg .xlsx .docx .pptx'
  ).split(' ')
)

interface Item {
  readonly name: Buffer
  /** absent for a directory */
  readonly entry?: LayerEntry
}

/** A file from disk, ready to be written. */
interface Prepared {
  readonly method: typeof STORED | typeof DEFLATED
  readonly crc: number
  readonly compressedSize: number
  /** in memory, or a file to copy whole (a spill file, removed after, or the source itself) */
  readonly data: Buffer | { readonly file: string; readonly remove: boolean }
}

/** Every entry under python/, sorted, with the directories their paths imply. */
function itemsOf(entries: readonly LayerEntry[]): Item[] {
  const files = new Set<string>()
  const directories = new Set<string>(['python/'])
  const items: Item[] = [{ name: Buffer.from('python/') }]
  for (const e of entries) {
    const name = `python/${e.path}`
    if (files.has(name)) throw new ZipError(`python/${e.path} is in the layer twice`)
    files.add(name)
    items.push({ name: Buffer.from(name), entry: e })
    for (let i = name.indexOf('/', 7); i > 0; i = name.indexOf('/', i + 1)) {
      const dir = name.slice(0, i + 1)
      if (!directories.has(dir)) {
        directories.add(dir)
        items.push({ name: Buffer.from(dir) })
      }
    }
  }
  for (const dir of directories) {
    if (files.has(dir.slice(0, -1)))
      throw new ZipError(`${dir.slice(0, -1)} is both a file and a directory in the layer`)
  }
  return items.sort((a, b) => Buffer.compare(a.name, b.name))
}

/** The layer's entries → the zip, logged with what a reader checks first. */
export async function zipLayer(
  entries: readonly LayerEntry[],
  zipPath: string,
  o: ZipOptions = {}
): Promise<ZipResult> {
  const level = o.level ?? DEFAULT_LEVEL
  if (!Number.isInteger(level) || level < 0 || level > 9)
    throw new ZipError(`The zip level must be an integer from 0 to 9, not ${level}`)
  const largeFile = o.largeFileBytes ?? LARGE_FILE
  const items = itemsOf(entries)
  const fromDisk = items.filter(i => i.entry?.source.kind === 'file')
  const prepared = new Map<Item, Promise<Prepared>>()
  let nextToPrepare = 0
  const prepareAhead = (): void => {
    while (nextToPrepare < fromDisk.length && prepared.size < FILES_AHEAD) {
      const item = fromDisk[nextToPrepare++]
      const job = prepareFile(
        item.entry as LayerEntry,
        level,
        largeFile,
        `${zipPath}.spill-${nextToPrepare}`
      )
      job.catch(() => undefined) // awaited in order below; this only marks it handled meanwhile
      prepared.set(item, job)
    }
  }
  const wheels = new Map<string, number>()
  const out = new ZipWriter(zipPath)
  const fromWheels = entries.flatMap(e =>
    e.source.kind === 'wheel' ? [{ wheel: e.source.wheel, entry: e.source.entry }] : []
  )
  const { toVerify, checkedBefore } = split(fromWheels, o.verifiedBefore)
  const stopVerifying = new AbortController()
  let verifyFailure: unknown
  const verified =
    o.verify === false
      ? Promise.resolve()
      : verifyEntries(
          toVerify.flatMap(([, items]) => items),
          {
            signal: stopVerifying.signal
          }
        ).catch((error: unknown) => {
          verifyFailure = error
        })
  let unzippedSize = 0
  let stored = 0
  let sinceYield = 0
  try {
    prepareAhead()
    for (const item of items) {
      const e = item.entry
      if (!e) {
        out.begin(record(item.name, undefined, STORED, 0, 0))
        continue
      }
      unzippedSize += e.size
      const source = e.source
      if (source.kind === 'wheel') {
        let fd = wheels.get(source.wheel)
        if (fd === undefined) wheels.set(source.wheel, (fd = fs.openSync(source.wheel, 'r')))
        const w = source.entry
        const method = w.method === DEFLATED ? DEFLATED : STORED
        if (method === STORED) stored++
        out.begin(record(item.name, e, method, w.crc, w.compressedSize))
        out.copy(fd, dataOffset(fd, w, path.basename(source.wheel)), w.compressedSize)
        sinceYield += w.compressedSize
      } else if (source.kind === 'bytes') {
        stored++
        out.begin(record(item.name, e, STORED, zlib.crc32(source.data), source.data.length))
        out.data(source.data)
      } else {
        const job = prepared.get(item) as Promise<Prepared>
        const p = await job
        prepared.delete(item)
        prepareAhead()
        if (p.method === STORED) stored++
        out.begin(record(item.name, e, p.method, p.crc, p.compressedSize))
        if (Buffer.isBuffer(p.data)) out.data(p.data)
        else {
          const fd = fs.openSync(p.data.file, 'r')
          try {
            out.copy(fd, 0, p.compressedSize)
          } finally {
            fs.closeSync(fd)
          }
          if (p.data.remove) fs.rmSync(p.data.file, { force: true })
        }
        sinceYield += p.compressedSize
      }
      if (sinceYield >= YIELD_EVERY) {
        sinceYield = 0
        await new Promise(resolve => setImmediate(resolve))
        if (verifyFailure) throw verifyFailure
      }
    }
    await verified
    if (verifyFailure) throw verifyFailure
    const written = await out.finish()
    if (o.verify !== false)
      for (const [wheel, items] of toVerify)
        o.verifiedBefore?.verified(
          wheel,
          items.map(i => i.entry)
        )
    const zip: ZipResult = {
      path: zipPath,
      zipSize: written.size,
      unzippedSize,
      sha256: written.sha256.toString('base64'),
      sha256Hex: written.sha256.toString('hex'),
      entries: written.entries,
      stored
    }
    const before =
      checkedBefore === 0
        ? ''
        : checkedBefore === fromWheels.length
          ? ' when the same wheel bytes (by SHA-256) were cached'
          : `, ${count(checkedBefore)} of them when the same wheel bytes (by SHA-256) were cached`
    const checked =
      o.verify === false
        ? 'not verified'
        : `${plural(fromWheels.length, 'file')} from wheels, each checked against its CRC-32 and size${before}`
    core.info(
      `${zip.path}: ${formatBytes(zip.zipSize)} zipped, ${formatBytes(zip.unzippedSize)} unzipped, ${plural(zip.entries, 'entry', 'entries')} (${zip.stored} stored; ${checked}), CodeSha256 ${zip.sha256}`
    )
    return zip
  } catch (error) {
    stopVerifying.abort()
    out.abort()
    // jobs still running may write spill files: let them finish, then remove them
    const left = await Promise.allSettled(prepared.values())
    for (const r of left) {
      if (r.status === 'fulfilled' && !Buffer.isBuffer(r.value.data) && r.value.data.remove)
        fs.rmSync(r.value.data.file, { force: true })
    }
    if (error instanceof LayerActionError) throw error
    throw new ZipError(`Writing the layer zip ${zipPath} failed: ${messageOf(error)}`)
  } finally {
    for (const fd of wheels.values()) fs.closeSync(fd)
  }
}

/**
 * The wheels' entries grouped by wheel, in the order met: those to verify now, and how many a run
 * before verified (a wheel counts only when every entry the layer takes from it was).
 */
function split(
  items: readonly EntryToVerify[],
  before: VerifiedBefore | undefined
): { toVerify: [string, EntryToVerify[]][]; checkedBefore: number } {
  const byWheel = new Map<string, EntryToVerify[]>()
  for (const i of items) {
    const list = byWheel.get(i.wheel)
    if (list) list.push(i)
    else byWheel.set(i.wheel, [i])
  }
  const toVerify: [string, EntryToVerify[]][] = []
  let checkedBefore = 0
  for (const [wheel, list] of byWheel) {
    if (
      before?.covers(
        wheel,
        list.map(i => i.entry)
      )
    )
      checkedBefore += list.length
    else toVerify.push([wheel, list])
  }
  return { toVerify, checkedBefore }
}

function record(
  name: Buffer,
  e: LayerEntry | undefined,
  method: typeof STORED | typeof DEFLATED,
  crc: number,
  compressedSize: number
): EntryRecord {
  return {
    nameBytes: name,
    directory: !e,
    executable: e?.executable ?? false,
    method,
    crc,
    compressedSize,
    size: e?.size ?? 0
  }
}

function isCompressed(name: string): boolean {
  return COMPRESSED_EXTENSIONS.has(path.posix.extname(name).toLowerCase())
}

function changedSize(file: string): ZipError {
  return new ZipError(`${file} changed size while the layer was being zipped`)
}

function deflate(input: Buffer, level: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    zlib.deflateRaw(input, { level }, (error, result) => (error ? reject(error) : resolve(result)))
  )
}

async function prepareFile(
  e: LayerEntry,
  level: number,
  largeFile: number,
  spill: string
): Promise<Prepared> {
  const file = (e.source as { file: string }).file
  const deflating = level > 0 && e.size > 0 && !isCompressed(e.path)
  try {
    if (e.size > largeFile) return await prepareLarge(file, e.size, deflating ? level : 0, spill)
    const data = await fs.promises.readFile(file)
    if (data.length !== e.size) throw changedSize(file)
    const crc = zlib.crc32(data)
    const storedAsIs: Prepared = { method: STORED, crc, compressedSize: e.size, data }
    if (!deflating) return storedAsIs
    const deflated = await deflate(data, level)
    if (deflated.length >= e.size) return storedAsIs
    return { method: DEFLATED, crc, compressedSize: deflated.length, data: deflated }
  } catch (error) {
    if (error instanceof LayerActionError) throw error
    throw new ZipError(`${file} cannot be added to the layer zip: ${messageOf(error)}`)
  }
}

/** A file too big to hold: deflated as a stream into a spill file, its CRC taken on the way. */
async function prepareLarge(
  file: string,
  size: number,
  level: number,
  spill: string
): Promise<Prepared> {
  let crc = 0
  let read = 0
  const input = fs.createReadStream(file)
  input.on('data', chunk => {
    crc = zlib.crc32(chunk as Buffer, crc)
    read += chunk.length
  })
  if (level === 0) {
    await new Promise<void>((resolve, reject) => input.on('end', resolve).on('error', reject))
  } else {
    await pipeline(input, zlib.createDeflateRaw({ level }), fs.createWriteStream(spill))
  }
  if (read !== size) {
    fs.rmSync(spill, { force: true })
    throw changedSize(file)
  }
  const compressedSize = level === 0 ? size : fs.statSync(spill).size
  if (level > 0 && compressedSize < size)
    return { method: DEFLATED, crc, compressedSize, data: { file: spill, remove: true } }
  fs.rmSync(spill, { force: true })
  return { method: STORED, crc, compressedSize: size, data: { file, remove: false } }
}
