/**
 * The wheelhouse's record, kept beside the wheels (so the Actions cache saves and restores it with
 * them): the pinned set that was fetched and every wheel with its SHA-256 (and, for a wheel built
 * from an sdist, the sdist's). On an exact cache hit (same inputs, runtime, architecture, pip
 * arguments and index) the recorded pinned set is taken as it is and pip does not run at all.
 * Unpinned requirements therefore keep the versions of that resolution until the inputs change or
 * the cache entry expires: pin them to choose when to move. A built sdist whose bytes match the
 * record is not built again.
 */
import * as core from '@actions/core'
import { promises as fs } from 'node:fs'
import path from 'node:path'
import type { PinnedArtifact, PinnedSet } from '../resolve/pinned'
import type { HouseWheel, Wheelhouse } from './wheelhouse'
import { hashFiles } from '../digests'

/** In the wheelhouse, so it travels with the cache entry; never pruned. */
export const RECORD_FILE = 'layer-action-wheelhouse.json'
const FORMAT = 2

export interface RecordedWheel {
  /** base name in the wheelhouse */
  readonly file: string
  readonly name: string
  readonly version: string
  readonly sha256: string
  readonly origin: HouseWheel['origin']
  readonly builtFrom?: string
  readonly sourceSha256?: string
}

export interface WheelhouseRecord {
  readonly format: number
  readonly key: string
  readonly pinned: PinnedSet
  readonly wheels: readonly RecordedWheel[]
}

export async function writeRecord(wheelhouse: Wheelhouse, key: string): Promise<void> {
  const record: WheelhouseRecord = {
    format: FORMAT,
    key,
    pinned: wheelhouse.pinned,
    wheels: wheelhouse.wheels.map(w => ({
      file: path.basename(w.file),
      name: w.name,
      version: w.version,
      sha256: w.sha256,
      origin: w.origin,
      ...(w.builtFrom ? { builtFrom: w.builtFrom } : {}),
      ...(w.sourceSha256 ? { sourceSha256: w.sourceSha256 } : {})
    }))
  }
  await replaceFile(path.join(wheelhouse.dir, RECORD_FILE), `${JSON.stringify(record, null, 1)}\n`)
}

/**
 * Writes `file` whole under a name of its own, then renames it into place: whatever was under that
 * name (a symlink a restored cache entry brought, say) is replaced, never written through, and a
 * run stopped halfway leaves the old file or the new one, not half of one.
 */
export async function replaceFile(file: string, text: string): Promise<void> {
  const part = `${file}.${process.pid}.part`
  await fs.rm(part, { force: true })
  try {
    await fs.writeFile(part, text, { flag: 'wx' })
    await fs.rename(part, file)
  } finally {
    await fs.rm(part, { force: true })
  }
}

/** The record in `dir`, whatever its key; undefined when there is none this version reads. */
export async function readRecord(dir: string): Promise<WheelhouseRecord | undefined> {
  try {
    const record = JSON.parse(
      await fs.readFile(path.join(dir, RECORD_FILE), 'utf8')
    ) as WheelhouseRecord
    return record.format === FORMAT && Array.isArray(record.wheels) ? record : undefined
  } catch {
    return undefined
  }
}

/** A file artifact without a hash gets the one recorded for it: the exact hit reuses it, checked. */
function withRecordedHash(artifact: PinnedArtifact, record: WheelhouseRecord): PinnedArtifact {
  if (artifact.kind !== 'file' || Object.keys(artifact.hashes).length > 0) return artifact
  const wheel = record.wheels.find(w => w.file === artifact.filename)
  const built = record.wheels.find(w => w.builtFrom === artifact.filename)
  const sha256 = wheel?.sha256 ?? built?.sourceSha256
  return sha256 ? { ...artifact, hashes: { sha256: [sha256] } } : artifact
}

/**
 * The pinned set recorded for exactly `key`, when every recorded wheel is in `dir` with its SHA-256
 * and none was built from a local path; else undefined (resolve runs as usual).
 */
export async function recordedPinnedSet(dir: string, key: string): Promise<PinnedSet | undefined> {
  const record = await readRecord(dir)
  if (!record || record.key !== key) return undefined
  if (record.wheels.some(w => w.origin === 'local')) {
    // a local path package may have changed without the inputs changing: build it again
    core.info('The inputs name a local path package: they are resolved again, to build it afresh')
    return undefined
  }
  // this thread and the hashing worker beside it: the check is most of an exact hit's own work
  const digests = await hashFiles(
    record.wheels.map(w => path.join(dir, path.basename(w.file)))
  ).catch(() => undefined)
  if (!digests || record.wheels.some((w, i) => digests[i].get('sha256') !== w.sha256)) {
    core.info('The cached wheels do not match the recorded pinned set: resolving again')
    return undefined
  }
  core.info(
    `Exact cache hit: ${record.wheels.length} wheel(s) as resolved before (hashes checked), pip not run`
  )
  return {
    ...record.pinned,
    entries: record.pinned.entries.map(e => ({
      ...e,
      artifact: withRecordedHash(e.artifact, record)
    }))
  }
}
