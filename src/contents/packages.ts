/**
 * The distributions a layer zip holds, read from its `*.dist-info/METADATA` entries through the
 * central directory (nothing else is read): this run's zip, or another version's.
 */
import { normalizeProject } from '../python/names'
import { readCentralDirectory, readEntry, type CentralEntry } from '../zip/reader'
import { parseCoreMetadata, type CoreMetadata } from '../python/metadata'
import { METADATA_MAX, WHEEL_METADATA } from '../python/wheel-metadata'

export interface LayerPackage {
  /** PEP 503 normalised */
  readonly key: string
  readonly metadata: CoreMetadata
  /** the METADATA entry's path in the zip */
  readonly path: string
}

export interface ZipPackages {
  /** sorted by key, then path */
  readonly packages: readonly LayerPackage[]
  /** the sum of the entries' sizes */
  readonly unzippedSize: number
  /** METADATA entries that could not be used, with why */
  readonly skipped: readonly string[]
}

/**
 * Where a layer's distributions lie: `python/` (pip install -t, this action) or
 * `python/lib/python3.x/site-packages/` (both are on a Lambda Python's path); `''` for a wheel.
 */
const LAYER_METADATA =
  /^python\/(?:lib\/python\d+\.\d+\/site-packages\/)?[^/]+\.dist-info\/METADATA$/

/** The METADATA entries of a layer zip (`layer`) or a wheel (`wheel`). */
export function metadataEntries(
  central: readonly CentralEntry[],
  kind: 'layer' | 'wheel'
): CentralEntry[] {
  const pattern = kind === 'layer' ? LAYER_METADATA : WHEEL_METADATA
  return central.filter(e => pattern.test(e.name))
}

/** Reads every METADATA entry of an open zip; `label` names the zip in errors and in `skipped`. */
export async function readZipPackages(
  fd: number,
  label: string,
  kind: 'layer' | 'wheel' = 'layer',
  central: readonly CentralEntry[] = readCentralDirectory(fd, label)
): Promise<ZipPackages> {
  const packages: LayerPackage[] = []
  const skipped: string[] = []
  for (const entry of metadataEntries(central, kind)) {
    if (entry.size > METADATA_MAX) {
      skipped.push(`${entry.name}: ${entry.size} bytes, more than any METADATA holds`)
      continue
    }
    const metadata = parseCoreMetadata((await readEntry(fd, entry, label)).toString('utf8'))
    if (!metadata) {
      skipped.push(`${entry.name}: no Name or no Version field`)
      continue
    }
    packages.push({ key: normalizeProject(metadata.name), metadata, path: entry.name })
  }
  packages.sort((a, b) => compare(a.key, b.key) || compare(a.path, b.path))
  return {
    packages,
    unzippedSize: central.reduce((n, e) => n + e.size, 0),
    skipped
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
