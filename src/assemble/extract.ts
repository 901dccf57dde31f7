/**
 * The layer's files on disk, for the smoke test only (the zip is written from the wheels, not from
 * these files). Runs beside the zip writer: inflating goes to Node's threadpool, a bounded number
 * of files at a time.
 */
import { promises as fsp } from 'node:fs'
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import { readRaw } from '../zip/reader'
import { DEFLATED } from '../zip/records'
import type { LayerEntry } from './entries'

/** Files being inflated and written at once. */
const IN_FLIGHT = 16

/** Writes every entry under `<layerDir>/python` (emptied first); returns layerDir. */
export async function extractLayer(
  entries: readonly LayerEntry[],
  layerDir: string
): Promise<string> {
  const pythonDir = path.join(layerDir, 'python')
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
  return layerDir
}
