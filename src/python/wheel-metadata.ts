/**
 * The core metadata of a wheel on disk: its one `*.dist-info/METADATA` at the root, read through the
 * central directory (nothing else is inflated) and checked against its CRC-32 and size. What the
 * pip-download fallback and the look-ahead read from a wheel when the index gives no PEP 658 file.
 */
import { closeSync, openSync } from 'node:fs'
import path from 'node:path'
import { readCentralDirectory, readEntry } from '../zip/reader'
import { parseCoreMetadata, type CoreMetadata } from './metadata'

/** Larger than any real METADATA (the long description included): refused rather than inflated. */
export const METADATA_MAX = 8 * 1024 * 1024

/** `<name>-<version>.dist-info/METADATA` at a wheel's root. */
export const WHEEL_METADATA = /^[^/]+\.dist-info\/METADATA$/

/**
 * The metadata of the wheel `file`; undefined when it has none at its root, more than one, one
 * larger than METADATA_MAX, or one without Name and Version. A damaged zip or entry throws.
 */
export async function wheelCoreMetadata(file: string): Promise<CoreMetadata | undefined> {
  const label = path.basename(file)
  const fd = openSync(file, 'r')
  try {
    const found = readCentralDirectory(fd, label).filter(e => WHEEL_METADATA.test(e.name))
    if (found.length !== 1 || found[0].size > METADATA_MAX) return undefined
    return parseCoreMetadata((await readEntry(fd, found[0], label)).toString('utf8'))
  } finally {
    closeSync(fd)
  }
}
