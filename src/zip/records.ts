/**
 * The zip format's records (APPNOTE 6.3): local and central headers, the zip64 extra field and the
 * end records. What goes in them (names, times, modes) is the caller's policy; this file only lays
 * the bytes out. Every header is written with DOS time 1980-01-01 00:00, no extra timestamps, and
 * creator "unix" so extractors apply the mode bits.
 */

export const LOCAL_HEADER = 0x04034b50
export const CENTRAL_HEADER = 0x02014b50
export const END_OF_CENTRAL_DIRECTORY = 0x06054b50
export const ZIP64_END = 0x06064b50
export const ZIP64_LOCATOR = 0x07064b50
export const ZIP64_EXTRA = 0x0001

export const STORED = 0
export const DEFLATED = 8

export const U32_MAX = 0xffffffff
export const U16_MAX = 0xffff

/** General purpose flag bit 11: the entry's name is UTF-8 (else code page 437). */
export const UTF8_NAMES = 0x0800

const DOS_TIME = 0
const DOS_DATE = (1 << 5) | 1 // 1980-01-01, the DOS epoch
const S_IFREG = 0o100000
const S_IFDIR = 0o040000
const MSDOS_DIRECTORY = 0x10
const MADE_BY_UNIX = 3 << 8

/** What a header says about one entry. */
export interface EntryRecord {
  readonly nameBytes: Buffer
  readonly directory: boolean
  readonly executable: boolean
  readonly method: typeof STORED | typeof DEFLATED
  readonly crc: number
  readonly compressedSize: number
  readonly size: number
}

function flagsOf(e: EntryRecord): number {
  return e.nameBytes.some(b => b >= 0x80) ? UTF8_NAMES : 0
}

function externalAttributes(e: EntryRecord): number {
  if (e.directory) return (((S_IFDIR | 0o755) << 16) | MSDOS_DIRECTORY) >>> 0
  return ((S_IFREG | (e.executable ? 0o755 : 0o644)) << 16) >>> 0
}

function zip64Extra(values: readonly number[]): Buffer {
  const b = Buffer.alloc(4 + 8 * values.length)
  b.writeUInt16LE(ZIP64_EXTRA, 0)
  b.writeUInt16LE(8 * values.length, 2)
  values.forEach((v, i) => b.writeBigUInt64LE(BigInt(v), 4 + 8 * i))
  return b
}

/** The local header and name (and zip64 extra when a size overflows): the entry's data follows. */
export function localHeader(e: EntryRecord): Buffer {
  const zip64 = e.size >= U32_MAX || e.compressedSize >= U32_MAX
  const extra = zip64 ? zip64Extra([e.size, e.compressedSize]) : Buffer.alloc(0)
  const h = Buffer.alloc(30 + e.nameBytes.length + extra.length)
  h.writeUInt32LE(LOCAL_HEADER, 0)
  h.writeUInt16LE(zip64 ? 45 : 20, 4)
  h.writeUInt16LE(flagsOf(e), 6)
  h.writeUInt16LE(e.method, 8)
  h.writeUInt16LE(DOS_TIME, 10)
  h.writeUInt16LE(DOS_DATE, 12)
  h.writeUInt32LE(e.crc >>> 0, 14)
  h.writeUInt32LE(zip64 ? U32_MAX : e.compressedSize, 18)
  h.writeUInt32LE(zip64 ? U32_MAX : e.size, 22)
  h.writeUInt16LE(e.nameBytes.length, 26)
  h.writeUInt16LE(extra.length, 28)
  e.nameBytes.copy(h, 30)
  extra.copy(h, 30 + e.nameBytes.length)
  return h
}

export function centralHeader(e: EntryRecord, offset: number): Buffer {
  // zip64: only the fields that overflow go into the extra field, in this order
  const wide = [e.size >= U32_MAX, e.compressedSize >= U32_MAX, offset >= U32_MAX]
  const values = [e.size, e.compressedSize, offset].filter((_, i) => wide[i])
  const extra = values.length ? zip64Extra(values) : Buffer.alloc(0)
  const version = extra.length ? 45 : 20
  const h = Buffer.alloc(46 + e.nameBytes.length + extra.length)
  h.writeUInt32LE(CENTRAL_HEADER, 0)
  h.writeUInt16LE(MADE_BY_UNIX | version, 4) // so extractors apply the mode bits
  h.writeUInt16LE(version, 6)
  h.writeUInt16LE(flagsOf(e), 8)
  h.writeUInt16LE(e.method, 10)
  h.writeUInt16LE(DOS_TIME, 12)
  h.writeUInt16LE(DOS_DATE, 14)
  h.writeUInt32LE(e.crc >>> 0, 16)
  h.writeUInt32LE(wide[1] ? U32_MAX : e.compressedSize, 20)
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

/** End of central directory, after the zip64 record and locator when a count or offset overflows. */
export function endRecords(count: number, cdSize: number, cdOffset: number): Buffer {
  const zip64 = count >= U16_MAX || cdSize >= U32_MAX || cdOffset >= U32_MAX
  const end = Buffer.alloc(22)
  end.writeUInt32LE(END_OF_CENTRAL_DIRECTORY, 0)
  end.writeUInt16LE(zip64 ? U16_MAX : count, 8)
  end.writeUInt16LE(zip64 ? U16_MAX : count, 10)
  end.writeUInt32LE(zip64 ? U32_MAX : cdSize, 12)
  end.writeUInt32LE(zip64 ? U32_MAX : cdOffset, 16)
  if (!zip64) return end
  const record = Buffer.alloc(56)
  record.writeUInt32LE(ZIP64_END, 0)
  record.writeBigUInt64LE(44n, 4) // size of the rest of this record
  record.writeUInt16LE(MADE_BY_UNIX | 45, 12)
  record.writeUInt16LE(45, 14)
  record.writeBigUInt64LE(BigInt(count), 24)
  record.writeBigUInt64LE(BigInt(count), 32)
  record.writeBigUInt64LE(BigInt(cdSize), 40)
  record.writeBigUInt64LE(BigInt(cdOffset), 48)
  const locator = Buffer.alloc(20)
  locator.writeUInt32LE(ZIP64_LOCATOR, 0)
  locator.writeBigUInt64LE(BigInt(cdOffset + cdSize), 8)
  locator.writeUInt32LE(1, 16) // disks in total
  return Buffer.concat([record, locator, end])
}
