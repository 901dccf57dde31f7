/**
 * The layer's files on disk, for the smoke test only (the zip is written from the wheels, not from
 * these files), removed once it is done. Runs beside the zip writer, in worker threads (one per
 * core, up to four) that each read, inflate and write their share of the files synchronously:
 * thousands of small files cost more in threadpool round trips than in inflating. Written to
 * /dev/shm when it has room: creating those files costs seconds on a runner's disk.
 */
import * as core from '@actions/core'
import fs, { promises as fsp } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Worker } from 'node:worker_threads'
import { DEFLATED } from '../zip/records'
import type { LayerEntry } from './entries'

const MEMORY_FS = '/dev/shm'
const MAX_WORKERS = 4

/** One file for a worker: where its bytes lie in a wheel, and where it goes. */
interface Job {
  wheel: string
  localHeaderOffset: number
  compressedSize: number
  /** the size the central directory declares: inflation stops one byte past it (a bomb is not inflated) */
  size: number
  /** the entry's name in the wheel, for messages */
  name: string
  deflated: boolean
  target: string
  mode: number
}

/**
 * The worker, as source: a bundle has no separate file to start a worker from. It reads each
 * entry's local header for where the data starts (its lengths may differ from the central one's).
 */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads')
const fs = require('node:fs')
const zlib = require('node:zlib')
const fds = new Map()
const read = (fd, length, position) => {
  const b = Buffer.allocUnsafe(length)
  for (let done = 0; done < length; ) {
    const n = fs.readSync(fd, b, done, length - done, position + done)
    if (n === 0) throw new Error('unexpected end of ' + position)
    done += n
  }
  return b
}
try {
  for (const j of workerData) {
    let fd = fds.get(j.wheel)
    if (fd === undefined) fds.set(j.wheel, (fd = fs.openSync(j.wheel, 'r')))
    const h = read(fd, 30, j.localHeaderOffset)
    if (h.readUInt32LE(0) !== 0x04034b50) throw new Error(j.wheel + ': no local header for ' + j.target)
    const raw = read(fd, j.compressedSize, j.localHeaderOffset + 30 + h.readUInt16LE(26) + h.readUInt16LE(28))
    let data = raw
    try {
      if (j.deflated) data = zlib.inflateRawSync(raw, { maxOutputLength: j.size + 1 })
    } catch (error) {
      data = undefined
    }
    if (!data || data.length !== j.size)
      throw new Error(j.wheel + ': ' + j.name + ' does not inflate to the ' + j.size + ' bytes its wheel declares')
    fs.writeFileSync(j.target, data, { mode: j.mode })
  }
  parentPort.postMessage({ ok: true })
} catch (error) {
  parentPort.postMessage({ error: String(error && error.message || error) })
} finally {
  for (const fd of fds.values()) fs.closeSync(fd)
}
`

function runWorker(jobs: Job[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER, { eval: true, workerData: jobs })
    worker.once('message', (m: { ok?: boolean; error?: string }) =>
      m.ok
        ? resolve()
        : reject(new Error(`Extracting the layer for the smoke test failed: ${m.error}`))
    )
    worker.once('error', reject)
    worker.once('exit', code =>
      code === 0 ? resolve() : reject(new Error(`extraction worker exited with ${code}`))
    )
  })
}

/** A directory for the extracted layer: in /dev/shm when it has twice the room, else `fallback`. */
async function extractionDir(bytes: number, fallback: string): Promise<string> {
  try {
    const st = await fsp.statfs(MEMORY_FS)
    if (st.bavail * st.bsize > 2 * bytes)
      return await fsp.mkdtemp(path.join(MEMORY_FS, 'layer-action-'))
  } catch {
    // no /dev/shm (not Linux), or not writable: the disk it is
  }
  return fallback
}

/** Extracts the layer, runs `use` on the directory holding python/, then removes it. */
export async function withExtractedLayer<T>(
  entries: readonly LayerEntry[],
  fallbackDir: string,
  use: (layerDir: string) => Promise<T>
): Promise<T> {
  const bytes = entries.reduce((n, e) => n + e.size, 0)
  const dir = await extractionDir(bytes, fallbackDir)
  try {
    return await use(await extractLayer(entries, dir))
  } finally {
    await fsp.rm(dir, { recursive: true, force: true })
  }
}

/** Writes every entry under `<layerDir>/python` (emptied first); returns layerDir. */
export async function extractLayer(
  entries: readonly LayerEntry[],
  layerDir: string
): Promise<string> {
  const pythonDir = path.join(layerDir, 'python')
  const started = performance.now()
  await fsp.rm(layerDir, { recursive: true, force: true })
  const directories = new Set(entries.map(e => path.posix.dirname(e.path)))
  for (const dir of [...directories].sort())
    fs.mkdirSync(path.join(pythonDir, dir), { recursive: true })
  const workers = Math.max(1, Math.min(MAX_WORKERS, os.availableParallelism()))
  const shares: { bytes: number; jobs: Job[] }[] = Array.from({ length: workers }, () => ({
    bytes: 0,
    jobs: []
  }))
  const rest: Promise<void>[] = []
  // largest first, each to the least loaded worker
  for (const e of [...entries].sort((a, b) => b.size - a.size)) {
    const target = path.join(pythonDir, e.path)
    const mode = e.executable ? 0o755 : 0o644
    const s = e.source
    if (s.kind === 'wheel') {
      const share = shares.reduce((least, x) => (x.bytes < least.bytes ? x : least))
      share.bytes += s.entry.compressedSize + 4096
      share.jobs.push({
        wheel: s.wheel,
        localHeaderOffset: s.entry.localHeaderOffset,
        compressedSize: s.entry.compressedSize,
        size: s.entry.size,
        name: s.entry.name,
        deflated: s.entry.method === DEFLATED,
        target,
        mode
      })
    } else if (s.kind === 'file') {
      rest.push(fsp.copyFile(s.file, target).then(() => fsp.chmod(target, mode)))
    } else {
      rest.push(fsp.writeFile(target, s.data, { mode }))
    }
  }
  await Promise.all([...rest, ...shares.filter(x => x.jobs.length > 0).map(x => runWorker(x.jobs))])
  core.info(
    `Extracted ${entries.length} files for the smoke test in ${((performance.now() - started) / 1000).toFixed(2)} s`
  )
  return layerDir
}
