/**
 * The layer's files on disk, for the smoke test only (the zip is written from the wheels, not from
 * these files), removed once it is done. Runs beside the zip writer: inflating goes to Node's
 * threadpool, a bounded number of files at a time. Written to /dev/shm when it has room: creating
 * thousands of files costs seconds on a runner's disk and a fraction of that in memory.
 */
import * as core from '@actions/core'
import { promises as fsp } from 'node:fs'
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import { readRaw } from '../zip/reader'
import { DEFLATED } from '../zip/records'
import type { LayerEntry } from './entries'

/** Files being inflated and written at once. */
const IN_FLIGHT = 16
const MEMORY_FS = '/dev/shm'

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
  const wheels = new Map<string, number>()
  const one = async (e: LayerEntry): Promise<void> => {
    const target = path.join(pythonDir, e.path)
    const mode = e.executable ? 0o755 : 0o644
    const s = e.source
    if (s.kind === 'file') {
      await fsp.copyFile(s.file, target)
      await fsp.chmod(target, mode)
      return
    }
    let data = s.kind === 'bytes' ? s.data : undefined
    if (s.kind === 'wheel') {
      let fd = wheels.get(s.wheel)
      if (fd === undefined) wheels.set(s.wheel, (fd = fs.openSync(s.wheel, 'r')))
      const raw = readRaw(fd, s.entry, path.basename(s.wheel))
      data =
        s.entry.method === DEFLATED
          ? await new Promise<Buffer>((resolve, reject) =>
              zlib.inflateRaw(raw, (error, out) => (error ? reject(error) : resolve(out)))
            )
          : raw
    }
    await fsp.writeFile(target, data as Buffer, { mode })
  }
  try {
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < entries.length) await one(entries[next++])
    }
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker))
  } finally {
    for (const fd of wheels.values()) fs.closeSync(fd)
  }
  core.info(
    `Extracted ${entries.length} files for the smoke test in ${((performance.now() - started) / 1000).toFixed(2)} s`
  )
  return layerDir
}
