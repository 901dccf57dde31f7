/**
 * The distributions of a zip that is not on this machine, read with range requests: the tail (end
 * of central directory and the directory itself), then each `*.dist-info/METADATA` entry's bytes.
 * Each range is written where it lies in a sparse file of the zip's size, so that the one zip reader
 * (src/zip/reader.ts) reads it as it reads any zip; the bytes never fetched read as zeros and are
 * never looked at. A server that ignores `Range` sends the whole file once, which works too.
 */
import fs from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import path from 'node:path'
import { LayerActionError } from '../errors'
import { readCentralDirectory, ZipFormatError, type CentralEntry } from '../zip/reader'
import { rangeHeader } from '../http'
import type { RangeBytes, RangeRequest, RangeSource } from './http-range'
import { METADATA_MAX } from '../python/wheel-metadata'
import { metadataEntries, readZipPackages, type ZipPackages } from './packages'

export interface RemoteRead {
  /** range requests made */
  readonly requests: number
  /** bytes received */
  readonly bytes: number
  /** the zip's size */
  readonly total: number
}

export interface RemoteOptions {
  /** the first request: the last this many bytes (the whole directory of most layers) */
  readonly tail?: number
  /** METADATA ranges in flight at once */
  readonly concurrency?: number
}

const TAIL = 1024 * 1024
/** A local header is 30 bytes, then a name and an extra field of at most 65,535 bytes each. */
const LOCAL_HEADER_MAX = 30 + 2 * 0xffff

export async function readRemoteZipPackages(
  source: RangeSource,
  label: string,
  tmpDir: string,
  o: RemoteOptions = {}
): Promise<ZipPackages & { read: RemoteRead }> {
  const dir = await mkdtemp(path.join(tmpDir, 'remote-zip-'))
  let fd: number | undefined
  let requests = 0
  let bytes = 0
  let total = -1
  /** everything from here to the end of the file is on disk */
  let have = Infinity
  const fetchInto = async (range: RangeRequest): Promise<RangeBytes> => {
    const got = await source(range)
    requests++
    bytes += got.data.length
    if (total < 0) {
      total = got.total
      fd = fs.openSync(path.join(dir, 'layer.zip'), 'w+')
      fs.ftruncateSync(fd, total)
    } else if (got.total !== total)
      throw new LayerActionError(
        `${label} changed while it was read (${total} bytes, then ${got.total})`
      )
    if (got.start + got.data.length > total)
      throw new LayerActionError(`${label}: the server sent bytes beyond the end of the file`)
    const end = got.start + got.data.length
    const whole = got.start === 0 && end === total
    const short = 'start' in range ? got.start > range.start || end <= range.end : end !== total
    if (short && !whole)
      throw new LayerActionError(
        `${label}: asked for bytes ${rangeHeader(range).slice(6)}, the server sent ${got.start}-${end - 1} of ${total}`
      )
    fs.writeSync(fd as number, got.data, 0, got.data.length, got.start)
    // contiguous with what is on disk up to the end of the file
    if (end >= Math.min(have, total)) have = Math.min(have, got.start)
    return got
  }
  try {
    const tail = o.tail ?? TAIL
    await fetchInto({ suffix: tail })
    const central = await centralDirectory(
      () => fd as number,
      label,
      tail,
      () => have,
      fetchInto
    )
    if (have > 0) await fetchEntries(central, total, have, fetchInto, o.concurrency ?? 8)
    const packages = await readZipPackages(fd as number, label, 'layer', central)
    return { ...packages, read: { requests, bytes, total } }
  } finally {
    if (fd !== undefined) fs.closeSync(fd)
    await rm(dir, { recursive: true, force: true })
  }
}

/** The directory, fetching twice as much of the file's end each time it is not all there yet. */
async function centralDirectory(
  fd: () => number,
  label: string,
  tail: number,
  have: () => number,
  fetchInto: (range: RangeRequest) => Promise<RangeBytes>
): Promise<CentralEntry[]> {
  for (;;) {
    try {
      return readCentralDirectory(fd(), label)
    } catch (error: unknown) {
      const from = have()
      if (!(error instanceof ZipFormatError) || from === 0) throw error
      const size = fs.fstatSync(fd()).size
      await fetchInto({ start: Math.max(0, from - Math.max(tail, size - from)), end: from - 1 })
    }
  }
}

/** Each METADATA entry from its local header up to the next entry (or as far as it can reach). */
async function fetchEntries(
  central: readonly CentralEntry[],
  total: number,
  have: number,
  fetchInto: (range: RangeRequest) => Promise<RangeBytes>,
  concurrency: number
): Promise<void> {
  const offsets = [...new Set(central.map(e => e.localHeaderOffset))].sort((a, b) => a - b)
  const ranges = metadataEntries(central, 'layer')
    .filter(e => e.size <= METADATA_MAX && e.localHeaderOffset < have)
    .map(e => {
      const next = offsets.find(offset => offset > e.localHeaderOffset) ?? total
      const reach = e.localHeaderOffset + LOCAL_HEADER_MAX + e.compressedSize
      return { start: e.localHeaderOffset, end: Math.min(next, reach, have, total) - 1 }
    })
  let whole = false
  const queue = [...ranges]
  const worker = async () => {
    for (let range = queue.shift(); range && !whole; range = queue.shift()) {
      const got = await fetchInto(range)
      // a server that ignores Range has just sent everything
      if (got.start === 0 && got.data.length === total) whole = true
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, ranges.length) }, worker))
}
