/**
 * Reads a zip's central directory (zip64 included) without extracting anything, and an entry's
 * compressed bytes where they lie: enough to copy a wheel's entries into another zip as they are.
 */
import fs from 'node:fs'
import zlib from 'node:zlib'
import { LayerActionError } from '../errors'
import { decodeEntryName } from './names'
import {
  CENTRAL_HEADER,
  DEFLATED,
  END_OF_CENTRAL_DIRECTORY,
  LOCAL_HEADER,
  STORED,
  U16_MAX,
  U32_MAX,
  ZIP64_END,
  ZIP64_EXTRA,
  ZIP64_LOCATOR
} from './records'

/** One entry as the central directory describes it. */
export interface CentralEntry {
  /** decoded as the format says (UTF-8 when flagged, else CP437): `/`-separated, directories end with `/` */
  readonly name: string
  /** the name's bytes as stored, which the local header must repeat */
  readonly nameBytes: Buffer
  readonly method: number
  readonly flags: number
  readonly crc: number
  readonly compressedSize: number
  readonly size: number
  readonly localHeaderOffset: number
  /** unix mode bits, when the entry was made on unix and carries them */
  readonly mode?: number
}

/** Not a zip this reader can use: truncated, encrypted, a method other than stored or deflate, … */
export class ZipFormatError extends LayerActionError {}

const MADE_BY_UNIX = 3
const ENCRYPTED = 0x0001
const EOCD_SIZE = 22
const MAX_COMMENT = U16_MAX

function readAt(fd: number, length: number, position: number): Buffer {
  const b = Buffer.allocUnsafe(length)
  let done = 0
  while (done < length) {
    const n = fs.readSync(fd, b, done, length - done, position + done)
    if (n === 0) break
    done += n
  }
  return b.subarray(0, done)
}

/** The central directory of an open zip, entries in directory order. `label` names it in errors. */
export function readCentralDirectory(fd: number, label: string): CentralEntry[] {
  const fail = (why: string) => new ZipFormatError(`${label} is not a usable zip file: ${why}`)
  const size = fs.fstatSync(fd).size
  const tailStart = Math.max(0, size - EOCD_SIZE - MAX_COMMENT)
  const tail = readAt(fd, size - tailStart, tailStart)
  let eocd = -1
  for (let i = tail.length - EOCD_SIZE; i >= 0; i--) {
    if (tail.readUInt32LE(i) === END_OF_CENTRAL_DIRECTORY) {
      eocd = i
      break
    }
  }
  if (eocd < 0) throw fail('no end of central directory record (truncated or not a zip)')
  let count = tail.readUInt16LE(eocd + 10)
  let cdSize = tail.readUInt32LE(eocd + 12)
  let cdOffset = tail.readUInt32LE(eocd + 16)
  if (count === U16_MAX || cdSize === U32_MAX || cdOffset === U32_MAX) {
    const at = eocd - 20
    if (at < 0 || tail.readUInt32LE(at) !== ZIP64_LOCATOR) throw fail('zip64 locator missing')
    const recordOffset = Number(tail.readBigUInt64LE(at + 8))
    const record = readAt(fd, 56, recordOffset)
    if (record.length < 56 || record.readUInt32LE(0) !== ZIP64_END)
      throw fail('zip64 end record missing')
    count = Number(record.readBigUInt64LE(32))
    cdSize = Number(record.readBigUInt64LE(40))
    cdOffset = Number(record.readBigUInt64LE(48))
  }
  if (cdOffset + cdSize > size) throw fail('the central directory lies beyond the end of the file')
  const cd = readAt(fd, cdSize, cdOffset)
  const entries: CentralEntry[] = []
  let p = 0
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== CENTRAL_HEADER)
      throw fail(`central directory entry ${i + 1} of ${count} is damaged`)
    const madeBy = cd.readUInt16LE(p + 4) >> 8
    const flags = cd.readUInt16LE(p + 8)
    const method = cd.readUInt16LE(p + 10)
    const crc = cd.readUInt32LE(p + 16)
    let compressedSize = cd.readUInt32LE(p + 20)
    let entrySize = cd.readUInt32LE(p + 24)
    const nameLength = cd.readUInt16LE(p + 28)
    const extraLength = cd.readUInt16LE(p + 30)
    const commentLength = cd.readUInt16LE(p + 32)
    const external = cd.readUInt32LE(p + 38)
    let localHeaderOffset = cd.readUInt32LE(p + 42)
    const nameBytes = Buffer.from(cd.subarray(p + 46, p + 46 + nameLength))
    const name = decodeEntryName(nameBytes, flags)
    if (name === undefined)
      throw fail(
        `the name of entry ${i + 1} (${JSON.stringify(nameBytes.toString('latin1'))}) is flagged UTF-8 but is not UTF-8`
      )
    // zip64: the fields set to 0xffffffff follow in the extra field, in this order
    for (let x = p + 46 + nameLength; x + 4 <= p + 46 + nameLength + extraLength;) {
      const id = cd.readUInt16LE(x)
      const length = cd.readUInt16LE(x + 2)
      if (id === ZIP64_EXTRA) {
        let v = x + 4
        const next = () => {
          const value = Number(cd.readBigUInt64LE(v))
          v += 8
          return value
        }
        if (entrySize === U32_MAX) entrySize = next()
        if (compressedSize === U32_MAX) compressedSize = next()
        if (localHeaderOffset === U32_MAX) localHeaderOffset = next()
      }
      x += 4 + length
    }
    if (flags & ENCRYPTED) throw fail(`${name} is encrypted`)
    if (method !== STORED && method !== DEFLATED)
      throw fail(`${name} uses compression method ${method} (a wheel uses stored or deflate)`)
    const mode = madeBy === MADE_BY_UNIX && external >>> 16 ? external >>> 16 : undefined
    entries.push({
      name,
      nameBytes,
      method,
      flags,
      crc,
      compressedSize,
      size: entrySize,
      localHeaderOffset,
      ...(mode === undefined ? {} : { mode })
    })
    p += 46 + nameLength + extraLength + commentLength
  }
  return entries
}

/** Where an entry's compressed bytes start: after its local header, whose lengths may differ from the central one's. */
export function dataOffset(fd: number, entry: CentralEntry, label: string): number {
  const h = readAt(fd, 30, entry.localHeaderOffset)
  if (h.length < 30 || h.readUInt32LE(0) !== LOCAL_HEADER)
    throw new ZipFormatError(`${label}: the local header of ${entry.name} is missing`)
  return entry.localHeaderOffset + 30 + h.readUInt16LE(26) + h.readUInt16LE(28)
}

/** An entry's compressed bytes, as they lie in the zip. */
function readRaw(fd: number, entry: CentralEntry, label: string): Buffer {
  const at = dataOffset(fd, entry, label)
  const data = readAt(fd, entry.compressedSize, at)
  if (data.length !== entry.compressedSize)
    throw new ZipFormatError(`${label}: ${entry.name} is cut short`)
  return data
}

/** An entry's content, inflated (never past its declared size) and checked against its CRC. */
export async function readEntry(fd: number, entry: CentralEntry, label: string): Promise<Buffer> {
  const raw = readRaw(fd, entry, label)
  const data =
    entry.method === STORED
      ? raw
      : await new Promise<Buffer>((resolve, reject) =>
          zlib.inflateRaw(raw, { maxOutputLength: entry.size + 1 }, (error, out) =>
            error ? reject(error) : resolve(out)
          )
        ).catch((error: unknown) => {
          throw new ZipFormatError(`${label}: ${entry.name} does not inflate (${String(error)})`)
        })
  if (data.length !== entry.size || zlib.crc32(data) >>> 0 !== entry.crc >>> 0)
    throw new ZipFormatError(`${label}: ${entry.name} does not match its CRC or size`)
  return data
}
