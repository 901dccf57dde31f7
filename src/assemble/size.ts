/**
 * The layer's unzipped size, by package, and Lambda's limit on it. Each entry counts for the
 * distribution whose wheel holds it, so a package's size includes its metadata and its vendored
 * libraries (`numpy.libs/` counts as numpy, `PIL/` and `pillow.libs/` as pillow): the names are the
 * ones a user finds in requirements.txt. Your own code from `include` counts under its top-level
 * name in `python/`.
 */
import { LayerActionError } from '../errors'
import { count, plural } from '../words'
import type { Distribution } from './entries'

/**
 * Lambda's quota on a function's unzipped code plus all its layers: AWS calls it 250 MB and counts
 * 262,144,000 bytes (250 × 2^20).
 */
export const LAMBDA_UNZIPPED_LIMIT = 262_144_000

export interface PackageSize {
  /** distribution name as its dist-info spells it (`pillow`, `typing_extensions`), else a top-level name */
  name: string
  /** from the dist-info directory, when there is one */
  version?: string
  bytes: number
  files: number
  /** top-level entries of python/ holding its files, directories with a trailing `/` */
  paths: string[]
}

export interface SizeReport {
  totalBytes: number
  files: number
  /** largest first (ties by name) */
  packages: PackageSize[]
}

export class LayerTooLargeError extends LayerActionError {
  constructor(
    readonly report: SizeReport,
    readonly limit: number
  ) {
    super(tooLargeMessage(report, limit))
  }
}

/** Sizes as AWS writes its Lambda quotas: 1 MB = 2^20 bytes, so the limit reads "250.0 MB". */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KB`
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`
  return `${(n / 1024 ** 3).toFixed(2)} GB`
}

/** Sizes of the entries that go into the layer, grouped by the distribution they come from. */
export function measureEntries(
  entries: readonly { path: string; size: number; owner?: Distribution }[]
): SizeReport {
  const groups = new Map<string, PackageSize>()
  let totalBytes = 0
  for (const e of entries) {
    const top = e.path.split('/')[0]
    const owner: Owner = e.owner ?? fallbackOwner(top)
    let group = groups.get(owner.name)
    if (!group) {
      group = { name: owner.name, version: owner.version, bytes: 0, files: 0, paths: [] }
      if (group.version === undefined) delete group.version
      groups.set(owner.name, group)
    }
    const shown = e.path.includes('/') ? `${top}/` : top
    if (!group.paths.includes(shown)) group.paths.push(shown)
    group.bytes += e.size
    group.files++
    totalBytes += e.size
  }
  const packages = [...groups.values()]
  for (const p of packages) p.paths.sort()
  packages.sort((a, b) => b.bytes - a.bytes || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  return { totalBytes, files: entries.length, packages }
}

/** Throws LayerTooLargeError when the layer alone is over `limit` bytes unzipped. */
export function assertWithinLimit(report: SizeReport, limit = LAMBDA_UNZIPPED_LIMIT): void {
  if (report.totalBytes > limit) throw new LayerTooLargeError(report, limit)
}

function tooLargeMessage(report: SizeReport, limit: number): string {
  const largest = report.packages.slice(0, 10)
  const width = Math.max(...largest.map(p => label(p).length))
  const lines = largest.map(
    p => `  ${label(p).padEnd(width)}  ${formatBytes(p.bytes).padStart(9)}  ${p.paths.join(' ')}`
  )
  return [
    `The layer is ${formatBytes(report.totalBytes)} unzipped (${count(report.totalBytes)} bytes in ${plural(report.files, 'file')}), ` +
      `over Lambda's limit of ${formatBytes(limit)} (${count(limit)} bytes) by ${formatBytes(report.totalBytes - limit)}.`,
    `Largest packages:`,
    ...lines,
    `To fit: leave out what the function never uses with the 'exclude' input (globs relative to ` +
      `python/, e.g. '**/*.pyi' or 'somepackage/data/'), keep 'slim: true', drop requirements the ` +
      `function does not need or pick lighter ones, or split the requirements into several layers. ` +
      `The limit is shared: the function's own code and all of its layers together must stay under ${formatBytes(limit)} unzipped.`
  ].join('\n')
}

function label(p: PackageSize): string {
  return p.version ? `${p.name} ${p.version}` : p.name
}

interface Owner {
  name: string
  version?: string
}

/** A top-level entry of no wheel: `numpy.libs` → numpy, `six.py` → six, `_x.cpython-311-….so` → _x. */
function fallbackOwner(top: string): Owner {
  const dist = /^(.+?)-([^-]+)\.(dist|egg)-info$/.exec(top)
  if (dist) return { name: dist[1], version: dist[2] }
  const name = top
    .replace(/\.libs$/, '')
    .replace(/\.(cpython|abi3|pypy)[^/]*\.so$/, '')
    .replace(/\.(py|pyc|so|pth)$/, '')
  return { name }
}

/** Within this share of the limit, warn: the function's own code and its other layers share it. */
const NEAR_LIMIT = 0.9

/** A warning when the layer leaves less than 10% of Lambda's unzipped limit to everything else. */
export function nearLimitWarning(
  size: SizeReport,
  limit = LAMBDA_UNZIPPED_LIMIT
): string | undefined {
  if (size.totalBytes <= NEAR_LIMIT * limit) return undefined
  const largest = size.packages
    .slice(0, 5)
    .map(p => `${p.name} ${formatBytes(p.bytes)}`)
    .join(', ')
  return (
    `The layer is ${formatBytes(size.totalBytes)} unzipped, within 10% of Lambda's ${formatBytes(limit)} limit ` +
    `for a function and all its layers together: little room is left for the function's own code. Largest: ${largest}.`
  )
}
