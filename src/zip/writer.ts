/**
 * Writes a zip front to back: each entry's local header then its data, the central directory and
 * the end records last. Written through one reused buffer and hashed on the way (each flushed range
 * read back by the hashing worker, ../digests.ts), so the zip's SHA-256 is known when it is closed.
 * Synchronous on purpose: the page cache answers in microseconds, and callers yield between entries
 * when something else must run meanwhile.
 */
import fs from 'node:fs'
import { digestOfWrites, type HashOptions, type WriteDigest } from '../digests'
import { centralHeader, endRecords, localHeader, type EntryRecord } from './records'

const WRITE_BUFFER = 1 << 20

export interface WrittenZip {
  size: number
  sha256: Buffer
  entries: number
}

export class ZipWriter {
  /** bytes written so far: the offset of what comes next */
  offset = 0
  private readonly buffer = Buffer.allocUnsafeSlow(WRITE_BUFFER)
  private used = 0
  private readonly digest: WriteDigest
  private readonly fd: number
  private readonly central: Buffer[] = []
  private pending = 0

  constructor(
    private readonly file: string,
    o: HashOptions = {}
  ) {
    this.fd = fs.openSync(file, 'w')
    this.digest = digestOfWrites(file, o)
  }

  /** Starts an entry: its data (exactly `record.compressedSize` bytes) must follow. */
  begin(record: EntryRecord): void {
    if (this.pending !== 0) throw new Error(`zip entry cut short by ${this.pending} bytes`)
    this.central.push(centralHeader(record, this.offset))
    this.write(localHeader(record))
    this.pending = record.compressedSize
  }

  /** Entry data from memory; `b` may be reused at once. */
  data(b: Buffer): void {
    this.pending -= b.length
    this.write(b)
  }

  /** Entry data copied from `length` bytes of an open file at `position`, through the write buffer. */
  copy(fd: number, position: number, length: number): void {
    this.pending -= length
    for (let done = 0; done < length;) {
      if (this.used === this.buffer.length) this.flush()
      const want = Math.min(length - done, this.buffer.length - this.used)
      const n = fs.readSync(fd, this.buffer, this.used, want, position + done)
      if (n === 0) throw new Error(`${length - done} bytes missing at offset ${position + done}`)
      this.used += n
      this.offset += n
      done += n
    }
  }

  /** Writes the central directory and end records, closes the file. */
  async finish(): Promise<WrittenZip> {
    if (this.pending !== 0) throw new Error(`zip entry cut short by ${this.pending} bytes`)
    const cdOffset = this.offset
    for (const c of this.central) this.write(c)
    this.write(endRecords(this.central.length, this.offset - cdOffset, cdOffset))
    this.flush()
    fs.closeSync(this.fd)
    return { size: this.offset, sha256: await this.digest.digest(), entries: this.central.length }
  }

  /** Closes and removes the partial zip. */
  abort(): void {
    this.digest.drop()
    try {
      fs.closeSync(this.fd)
    } catch {
      // closed already
    }
    fs.rmSync(this.file, { force: true })
  }

  private write(b: Buffer): void {
    this.offset += b.length
    if (this.used + b.length > this.buffer.length) this.flush()
    if (b.length >= this.buffer.length) this.writeOut(b)
    else this.used += b.copy(this.buffer, this.used)
  }

  private flush(): void {
    if (this.used > 0) this.writeOut(this.buffer.subarray(0, this.used))
    this.used = 0
  }

  /** Into the file, then told to the digest. */
  private writeOut(b: Buffer): void {
    for (let done = 0; done < b.length;) done += fs.writeSync(this.fd, b, done, b.length - done)
    this.digest.written(b)
  }
}
