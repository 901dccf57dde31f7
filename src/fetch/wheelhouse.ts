/**
 * What fetch hands to assemble (and what contents/ reads for the SBOM): the pinned set's files on
 * disk, every one verified. One wheel per pinned entry; sources already built into wheels.
 */
import path from 'node:path'
import type { PinnedSet } from '../resolve/pinned'
import type { VerifiedBefore } from '../zip/verify'

/** One wheel of the layer, in the wheelhouse. */
export interface HouseWheel {
  /** absolute path of the .whl file */
  readonly file: string
  /** PEP 503 normalised project name */
  readonly name: string
  readonly version: string
  /** hex SHA-256 of the wheel file as it lies in the wheelhouse (checked against the index or lock where either gives one) */
  readonly sha256: string
  /** from an index or a lock's URL; built on the runner from an sdist or a local path */
  readonly origin: 'index' | 'lock' | 'sdist' | 'local'
  /** taken from the wheelhouse the cache restored, not downloaded in this run */
  readonly reused: boolean
  /** for a wheel built on the runner: the sdist's file name or the local path (relative to the workspace) */
  readonly builtFrom?: string
  /** for a wheel built from an sdist: the sdist's SHA-256 (checked against the index or lock) */
  readonly sourceSha256?: string
}

export interface Wheelhouse {
  readonly dir: string
  /** sorted by name */
  readonly wheels: readonly HouseWheel[]
  /** what was resolved: the graph (requiredBy/dependencies) for errors, the SBOM and the diff */
  readonly pinned: PinnedSet
  /** how the Actions cache served this run ('off' with cache: false) */
  readonly cache: 'exact' | 'partial' | 'miss' | 'unavailable' | 'failed' | 'off'
  /**
   * The entries runs before verified in these wheels (with the cache on; src/fetch/verified.ts): the
   * zip step does not inflate them again, and tells it what it verified, for save() to keep.
   */
  readonly verifiedBefore?: VerifiedBefore
  /**
   * Saves the wheelhouse to the Actions cache (absent when there is nothing to save); never
   * rejects. run() starts it once the zip step has verified every entry taken from the wheels, so a
   * damaged wheel is never kept, and lets it run beside the smoke test, contents and hand-off.
   */
  readonly save?: () => Promise<void>
}

/** The wheels built on the runner, as the job summary lists them. */
export function builtOnRunner(w: Wheelhouse): {
  name: string
  version: string
  from: string
  origin: 'sdist' | 'local'
  wheel: string
}[] {
  return w.wheels.flatMap(h =>
    h.builtFrom && (h.origin === 'sdist' || h.origin === 'local')
      ? [
          {
            name: h.name,
            version: h.version,
            from: h.builtFrom,
            origin: h.origin,
            wheel: path.basename(h.file)
          }
        ]
      : []
  )
}
