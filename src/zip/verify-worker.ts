/**
 * The verifying worker of verify.ts, as source: a bundle has no separate file to start a worker
 * from, and an eval'd worker can import nothing of ours, so its local header reading is its own.
 * workerData: `{ jobs, streamAbove }`; it answers `{ ok: true }` or `{ index, why }` for the first
 * entry that fails. Plain JavaScript; `why` completes "its entry <name> …".
 */
export const VERIFY_WORKER = `
const { parentPort, workerData } = require('node:worker_threads')
const fs = require('node:fs')
const zlib = require('node:zlib')
const { jobs, streamAbove } = workerData
// the inflated bytes are garbage at once, but V8 collects them only after some 64 MB of them: a
// collection every 24 MB inflated keeps the zip step's peak at ~236 MB, not ~284 MB, for the same
// time (bench/zip.ts). V8's flags are the process's: this exposes gc() to new contexts, used here only
require('node:v8').setFlagsFromString('--expose-gc')
const collect = require('node:vm').runInNewContext('gc')
let inflatedSinceCollect = 0
const inflated = n => {
  inflatedSinceCollect += n
  if (inflatedSinceCollect > 24 * 1024 * 1024) {
    inflatedSinceCollect = 0
    collect()
  }
}
const CHUNK = 1 << 20
const fds = new Map()
class Bad extends Error {}
// one buffer for every read, grown as needed: a buffer per entry would pile up until a collection
let scratch = Buffer.allocUnsafeSlow(1 << 16)
const readAt = (fd, length, position) => {
  if (scratch.length < length) scratch = Buffer.allocUnsafeSlow(Math.max(length, 2 * scratch.length))
  const b = scratch
  let done = 0
  while (done < length) {
    const n = fs.readSync(fd, b, done, length - done, position + done)
    if (n === 0) break
    done += n
  }
  return b.subarray(0, done)
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
        // a copy: zlib reads it later, and the next read reuses the scratch buffer
        if (!z.write(Buffer.from(c))) return void z.once('drain', pump)
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
  const h = readAt(fd, 30 + j.nameBytes.length + SLACK + (whole ? j.compressedSize : 0), j.offset)
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
  if (j.method === 0) {
    if (j.compressedSize !== j.size)
      throw new Bad('is stored with ' + j.compressedSize + ' bytes but declares ' + j.size)
    if (raw && raw.length < j.size) throw cutShort(j)
    if (raw) crc = zlib.crc32(raw)
    for (let pos = raw ? j.size : 0; pos < j.size; ) {
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
  inflated(size)
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
