/** A file of the layer before it is zipped: where under python/ it goes, and where its bytes are. */
import type { CentralEntry } from '../zip/reader'

export type EntrySource =
  /** copied from the wheel as it lies there, compressed stream and all */
  | { readonly kind: 'wheel'; readonly wheel: string; readonly entry: CentralEntry }
  /** a file on disk (`include`), deflated when it is zipped */
  | { readonly kind: 'file'; readonly file: string }
  /** written by this action (INSTALLER, a rewritten RECORD), stored */
  | { readonly kind: 'bytes'; readonly data: Buffer }

export interface Distribution {
  /** as its dist-info directory spells it (`pillow`, `typing_extensions`) */
  readonly name: string
  readonly version: string
  /** the wheel's file name */
  readonly wheel: string
}

export interface LayerEntry {
  /** `/`-separated path relative to python/, never a directory */
  readonly path: string
  /** uncompressed bytes */
  readonly size: number
  readonly executable: boolean
  readonly source: EntrySource
  /** the distribution whose wheel holds it; absent for `include` */
  readonly owner?: Distribution
}

/** What a wheel holds for outside site-packages (`<name>.data/scripts|headers|data`): never in the layer. */
export interface LeftOutEntry {
  /** as named in the wheel */
  readonly name: string
  readonly size: number
  readonly owner: Distribution
}
