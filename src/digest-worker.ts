/**
 * The hashing worker of digests.ts, as source: a bundle has no separate file to start a worker from,
 * and an eval'd worker can import nothing of ours. It reads files itself (1 MiB at a time, by path,
 * as the main thread's hashFile does) and answers every request by its id:
 *
 * - `{ op: 'file', id, file, algorithms }` → `{ id, digests }` (hex, in the order asked) or `{ id, error }`;
 * - `{ op: 'open', id, file }`, then `{ op: 'range', id, start, end }` as a writer on the main thread
 *   finishes each range of that file, front to back, then `{ op: 'close', id }` → `{ id, digest }`
 *   (the SHA-256 of those ranges, hex) or `{ id, error }`; `{ op: 'drop', id }` forgets one unanswered.
 *
 * Plain JavaScript.
 */
export const DIGEST_WORKER = `
const { parentPort } = require('node:worker_threads')
const fs = require('node:fs')
const { createHash } = require('node:crypto')
const CHUNK = 1 << 20
const buffer = Buffer.allocUnsafeSlow(CHUNK)
const message = e => String((e && e.message) || e)
// [start, end) of fd into each hash; a file shorter than that is an error
const hashRange = (fd, hashes, start, end) => {
  for (let at = start; at < end; ) {
    const n = fs.readSync(fd, buffer, 0, Math.min(CHUNK, end - at), at)
    if (n === 0) throw new Error('the file ends at byte ' + at + ', before ' + end)
    const chunk = n === CHUNK ? buffer : buffer.subarray(0, n)
    for (const h of hashes) h.update(chunk)
    at += n
  }
}
const written = new Map()
parentPort.on('message', m => {
  if (m.op === 'file') {
    let fd
    try {
      fd = fs.openSync(m.file, 'r')
      const hashes = m.algorithms.map(a => createHash(a))
      for (let n; (n = fs.readSync(fd, buffer, 0, CHUNK, null)) > 0; ) {
        const chunk = n === CHUNK ? buffer : buffer.subarray(0, n)
        for (const h of hashes) h.update(chunk)
      }
      parentPort.postMessage({ id: m.id, digests: hashes.map(h => h.digest('hex')) })
    } catch (e) {
      parentPort.postMessage({ id: m.id, error: message(e) })
    } finally {
      if (fd !== undefined) fs.closeSync(fd)
    }
  } else if (m.op === 'open') {
    const w = { hash: createHash('sha256'), at: 0 }
    try {
      w.fd = fs.openSync(m.file, 'r')
    } catch (e) {
      w.error = message(e)
    }
    written.set(m.id, w)
  } else if (m.op === 'range') {
    const w = written.get(m.id)
    if (!w || w.error) return
    try {
      if (m.start !== w.at) throw new Error('range ' + m.start + ' told after ' + w.at)
      hashRange(w.fd, [w.hash], m.start, m.end)
      w.at = m.end
    } catch (e) {
      w.error = message(e)
    }
  } else if (m.op === 'close' || m.op === 'drop') {
    const w = written.get(m.id)
    written.delete(m.id)
    if (w && w.fd !== undefined) fs.closeSync(w.fd)
    if (m.op === 'drop') return
    if (!w) parentPort.postMessage({ id: m.id, error: 'nothing was opened under id ' + m.id })
    else if (w.error) parentPort.postMessage({ id: m.id, error: w.error })
    else parentPort.postMessage({ id: m.id, digest: w.hash.digest('hex') })
  }
})
`
