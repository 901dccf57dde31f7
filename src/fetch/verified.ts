/**
 * Which wheel entries were verified (inflated to their declared size and CRC-32, src/zip/verify.ts)
 * in a run before, kept beside the wheels so the Actions cache saves and restores it with them.
 *
 * The zip step copies a wheel's entries without inflating them again only when the wheel's bytes,
 * as hashed in this run (SHA-256, checked against the index, lock or record), are bytes a run before
 * verified, and the entries the layer takes from it are exactly the ones verified then (another
 * `slim` or `exclude` picks others, and those are checked). The file is written only after the zip
 * step verified every entry, just before the wheelhouse is saved, so an entry that failed is never
 * in it; a wheel that changed by one byte has another SHA-256 and is checked again. A missing,
 * unreadable or malformed file means every entry is checked, as before.
 *
 * What this trusts is the cache entry itself: whoever could write it could write the wheels too.
 */
import { createHash } from 'node:crypto'
import { promises as fs } from 'node:fs'
import path from 'node:path'
import type { CentralEntry } from '../zip/reader'
import type { VerifiedBefore } from '../zip/verify'
import { replaceFile } from './record'
import type { HouseWheel } from './wheelhouse'

/** In the wheelhouse, so it travels with the cache entry; never pruned. */
export const VERIFIED_FILE = 'layer-action-verified.json'
const FORMAT = 1
const SHA256 = /^[0-9a-f]{64}$/

interface VerifiedFile {
  readonly format: number
  /** wheel SHA-256 → the digest of the entries verified in it (entriesDigest) */
  readonly wheels: Record<string, string>
}

/** One digest for a set of entries: every field the verification reads, in local-header order. */
export function entriesDigest(entries: readonly CentralEntry[]): string {
  const lines = entries
    .map(
      e =>
        `${e.localHeaderOffset} ${e.method} ${e.crc} ${e.compressedSize} ${e.size} ${e.nameBytes.toString('hex')}`
    )
    .sort()
  return createHash('sha256').update(lines.join('\n')).digest('hex')
}

export class VerifiedWheels implements VerifiedBefore {
  private constructor(
    private readonly dir: string,
    /** wheel path → its SHA-256, as this run hashed it */
    private readonly sha256Of: ReadonlyMap<string, string>,
    /** wheel SHA-256 → digest of the entries verified in it */
    private readonly known: Map<string, string>
  ) {}

  /** What `dir` records for the wheels of this run (nothing, when the file is absent or malformed). */
  static async read(dir: string, wheels: readonly HouseWheel[]): Promise<VerifiedWheels> {
    const sha256Of = new Map(wheels.map(w => [path.resolve(w.file), w.sha256]))
    const present = new Set(sha256Of.values())
    const known = new Map<string, string>()
    for (const [sha256, digest] of Object.entries(await readFile(dir)))
      if (present.has(sha256)) known.set(sha256, digest)
    return new VerifiedWheels(dir, sha256Of, known)
  }

  covers(wheel: string, entries: readonly CentralEntry[]): boolean {
    const sha256 = this.sha256Of.get(path.resolve(wheel))
    return sha256 !== undefined && this.known.get(sha256) === entriesDigest(entries)
  }

  verified(wheel: string, entries: readonly CentralEntry[]): void {
    const sha256 = this.sha256Of.get(path.resolve(wheel))
    if (sha256 !== undefined) this.known.set(sha256, entriesDigest(entries))
  }

  /** Writes what is known of this run's wheels (and nothing of wheels no longer here). */
  async write(): Promise<void> {
    const present = new Set(this.sha256Of.values())
    const wheels = Object.fromEntries([...this.known].filter(([sha256]) => present.has(sha256)))
    const file: VerifiedFile = { format: FORMAT, wheels }
    await replaceFile(path.join(this.dir, VERIFIED_FILE), `${JSON.stringify(file, null, 1)}\n`)
  }
}

/** The file's wheels, only those well formed; {} when there is no file this version reads. */
async function readFile(dir: string): Promise<Record<string, string>> {
  let parsed: unknown
  try {
    parsed = JSON.parse(await fs.readFile(path.join(dir, VERIFIED_FILE), 'utf8'))
  } catch {
    return {}
  }
  const file = parsed as Partial<VerifiedFile> | null
  if (!file || file.format !== FORMAT || typeof file.wheels !== 'object' || !file.wheels) return {}
  return Object.fromEntries(
    Object.entries(file.wheels).filter(
      ([sha256, digest]) => SHA256.test(sha256) && typeof digest === 'string' && SHA256.test(digest)
    )
  )
}
