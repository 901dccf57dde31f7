/**
 * What pip resolved, kept beside the wheels in the wheelhouse (so the Actions cache saves and
 * restores it with them): the wheel files and their SHA-256. On an exact cache hit (same
 * requirements, runtime, architecture, pip arguments and index) the wheels are taken from it and
 * pip does not run at all. Unpinned requirements therefore keep the versions of that resolution
 * until the requirements change or the cache entry expires: pin them to choose when to move.
 */
import * as core from '@actions/core'
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import type { ResolvedWheel } from '../resolve/resolve'

/** In the wheelhouse, so it travels with the cache entry; never pruned. */
export const RESOLUTION_FILE = 'layer-action-resolution.json'
const FORMAT = 1

interface Manifest {
  format: number
  key: string
  wheels: {
    file: string
    name: string
    version: string
    origin: ResolvedWheel['origin']
    sha256: string
  }[]
}

function sha256(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256')
    fs.createReadStream(file)
      .on('data', chunk => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')))
  })
}

/** Records the resolution of `key` in the wheelhouse. */
export async function recordResolution(
  wheelhouse: string,
  key: string,
  wheels: readonly ResolvedWheel[]
): Promise<void> {
  const manifest: Manifest = {
    format: FORMAT,
    key,
    wheels: await Promise.all(
      wheels.map(async w => ({
        file: path.basename(w.file),
        name: w.name,
        version: w.version,
        origin: w.origin,
        sha256: await sha256(w.file)
      }))
    )
  }
  await fs.promises.writeFile(
    path.join(wheelhouse, RESOLUTION_FILE),
    `${JSON.stringify(manifest, null, 1)}\n`
  )
}

/**
 * The wheels recorded for exactly `key`, when every one of them is in the wheelhouse with the
 * recorded SHA-256 and none was built from a local path; else undefined (pip resolves as usual).
 */
export async function recordedResolution(
  wheelhouse: string,
  key: string
): Promise<ResolvedWheel[] | undefined> {
  let manifest: Manifest
  try {
    manifest = JSON.parse(
      await fs.promises.readFile(path.join(wheelhouse, RESOLUTION_FILE), 'utf8')
    ) as Manifest
  } catch {
    return undefined
  }
  if (manifest.format !== FORMAT || manifest.key !== key || !Array.isArray(manifest.wheels))
    return undefined
  if (manifest.wheels.some(w => w.origin === 'local')) {
    // a local path package may have changed without the requirements changing: build it again
    core.info('The requirements name a local path package: pip resolves again, to build it afresh')
    return undefined
  }
  const checked = await Promise.all(
    manifest.wheels.map(async w => {
      const file = path.join(wheelhouse, path.basename(w.file))
      return (await sha256(file).catch(() => '')) === w.sha256
    })
  )
  if (checked.includes(false)) {
    core.info('The cached wheels do not match the recorded resolution: pip resolves again')
    return undefined
  }
  core.info(
    `Exact cache hit: ${manifest.wheels.length} wheel(s) as resolved before (hashes checked), pip not run`
  )
  return manifest.wheels.map(w => ({
    file: path.join(wheelhouse, path.basename(w.file)),
    name: w.name,
    version: w.version,
    origin: w.origin
  }))
}
