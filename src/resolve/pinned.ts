/**
 * What resolve hands to fetch: every distribution of the layer, pinned for the target. Whatever the
 * input format (requirements, pyproject, any lock), this is the one shape the rest of the run reads;
 * `fetch/` imports nothing else from `resolve/`.
 */

/** algorithm (`sha256`, …) → the accepted hex digests: a file must match one of them for each algorithm */
export type Hashes = Readonly<Record<string, readonly string[]>>

/** Where the bytes of a pinned distribution come from. */
export type PinnedArtifact =
  /**
   * One file chosen for the target: a wheel, or an sdist that fetch builds when `build-sdists`
   * allows it. `url` is absent when the lock records only the file name, to be found on `index`.
   */
  | {
      readonly kind: 'file'
      /** a base name (checked: no separator, no `..`), e.g. `numpy-2.1.3-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl` */
      readonly filename: string
      /** http(s): or file: URL, credentials never included (they come from the index configuration) */
      readonly url?: string
      readonly hashes: Hashes
      /** bytes, when the index or lock says */
      readonly size?: number
      /**
       * A wheel resolve built on the runner (pip path: a local package, or an sdist pip found no
       * wheel for), so `url` is a `file:` URL into this run's work folder: what it was built from
       * (the sdist's file name, or the local path relative to the workspace), for the log and summary
       */
      readonly builtFrom?: { readonly origin: 'sdist' | 'local'; readonly from: string }
    }
  /** Pipfile.lock: hashes without file names; any file of this version on `index` with one of them */
  | { readonly kind: 'hashes'; readonly hashes: Hashes }
  /** a local source tree (path dependency, workspace member), always built on the runner */
  | { readonly kind: 'directory'; readonly path: string }

export interface PinnedEntry {
  /** PEP 503 normalised */
  readonly name: string
  readonly version: string
  readonly artifact: PinnedArtifact
  /** the PEP 503 simple index that serves this distribution by name (a mirror lookup falls back to it) */
  readonly index?: string
  /**
   * Why it is in the layer: the names of the entries that require it, for the target. Empty for a
   * requirement the user wrote. A chain (`matplotlib → contourpy`) is read by walking it upwards.
   */
  readonly requiredBy: readonly string[]
  /** the names of the entries it requires, for the target (the SBOM's dependency graph) */
  readonly dependencies: readonly string[]
}

export interface PinnedSet {
  /** sorted by name, each name once */
  readonly entries: readonly PinnedEntry[]
  /** `name version: why` for every locked package left out (a marker, a group, an extra) */
  readonly skipped: readonly string[]
  /** one line for the log: what was resolved, from what */
  readonly summary: string
}
