/**
 * The layer's unzipped size, by package, and Lambda's limit on it. Files are attributed to the
 * distribution whose `*.dist-info/RECORD` lists them, so a package's size includes its metadata and
 * its vendored libraries (`numpy.libs/` counts as numpy, `PIL/` and `pillow.libs/` as pillow): the
 * names are the ones a user finds in requirements.txt. Anything no RECORD lists (your own code from
 * `include`, files created after install) counts under its top-level name in `python/`.
 */
import fs from 'node:fs'
import path from 'node:path'
import { LayerActionError } from '../errors'

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

export async function measureLayer(pythonDir: string): Promise<SizeReport> {
  const st = fs.statSync(pythonDir, { throwIfNoEntry: false })
  if (!st?.isDirectory())
    throw new LayerActionError(`Cannot measure the layer: ${pythonDir} is not a directory`)
  const owners = recordOwners(pythonDir)
  const groups = new Map<string, PackageSize>()
  let totalBytes = 0
  let files = 0
  const add = (relative: string, bytes: number) => {
    const top = relative.split('/')[0]
    const owner = owners.byFile.get(relative) ?? owners.byTopLevel.get(top) ?? fallbackOwner(top)
    let group = groups.get(owner.name)
    if (!group) {
      group = { name: owner.name, version: owner.version, bytes: 0, files: 0, paths: [] }
      if (group.version === undefined) delete group.version
      groups.set(owner.name, group)
    }
    const shown = relative.includes('/') ? `${top}/` : top
    if (!group.paths.includes(shown)) group.paths.push(shown)
    group.bytes += bytes
    group.files++
    totalBytes += bytes
    files++
  }
  // symlinks are followed, as the zip follows them
  const walk = (dir: string, relative: string) => {
    for (const child of fs.readdirSync(dir)) {
      const full = path.join(dir, child)
      const rel = relative ? `${relative}/${child}` : child
      const s = fs.statSync(full, { throwIfNoEntry: false })
      if (s?.isDirectory()) walk(full, rel)
      else if (s?.isFile()) add(rel, s.size)
    }
  }
  walk(pythonDir, '')
  const packages = [...groups.values()]
  for (const p of packages) p.paths.sort()
  packages.sort((a, b) => b.bytes - a.bytes || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  return { totalBytes, files, packages }
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
    `The layer is ${formatBytes(report.totalBytes)} unzipped (${report.totalBytes.toLocaleString('en-US')} bytes in ${report.files} files), ` +
      `over Lambda's limit of ${formatBytes(limit)} (${limit.toLocaleString('en-US')} bytes) by ${formatBytes(report.totalBytes - limit)}.`,
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

/** Which distribution owns each installed file, and each top-level entry, from the RECORD files. */
function recordOwners(pythonDir: string): {
  byFile: Map<string, Owner>
  byTopLevel: Map<string, Owner>
} {
  const byFile = new Map<string, Owner>()
  const claims = new Map<string, Owner[]>()
  for (const child of fs.readdirSync(pythonDir).sort()) {
    const m = /^(.+?)-([^-]+)\.dist-info$/.exec(child)
    if (!m) continue
    const owner: Owner = { name: m[1], version: m[2] }
    const claim = (top: string) => {
      const list = claims.get(top) ?? []
      if (!list.includes(owner)) list.push(owner)
      claims.set(top, list)
    }
    claim(child)
    let record: string
    try {
      record = fs.readFileSync(path.join(pythonDir, child, 'RECORD'), 'utf8')
    } catch {
      continue // no RECORD: the dist-info directory itself is still attributed
    }
    for (const line of record.split('\n')) {
      const file = installedPath(firstCsvField(line))
      if (!file) continue
      byFile.set(file, owner)
      claim(file.split('/')[0])
    }
  }
  // a top-level directory shared by several distributions (a namespace package) keeps its own name
  const byTopLevel = new Map<string, Owner>()
  for (const [top, owners] of claims) if (owners.length === 1) byTopLevel.set(top, owners[0])
  return { byFile, byTopLevel }
}

/** A RECORD path as it lies under python/: `../../bin/x` (scripts, installed with --target) → `bin/x`. */
function installedPath(recorded: string): string | undefined {
  if (!recorded) return undefined
  if (!recorded.startsWith('../')) return recorded
  const rest = recorded.replace(/^(\.\.\/)+/, '')
  return rest.startsWith('bin/') ? rest : undefined
}

function firstCsvField(line: string): string {
  if (!line.startsWith('"')) return line.split(',')[0].trim()
  let field = ''
  for (let i = 1; i < line.length; i++) {
    if (line[i] === '"') {
      if (line[i + 1] !== '"') break
      i++
    }
    field += line[i]
  }
  return field
}

/** A top-level entry no RECORD claims: `numpy.libs` → numpy, `six.py` → six, `_x.cpython-311-….so` → _x. */
function fallbackOwner(top: string): Owner {
  const dist = /^(.+?)-([^-]+)\.(dist|egg)-info$/.exec(top)
  if (dist) return { name: dist[1], version: dist[2] }
  const name = top
    .replace(/\.libs$/, '')
    .replace(/\.(cpython|abi3|pypy)[^/]*\.so$/, '')
    .replace(/\.(py|pyc|so|pth)$/, '')
  return { name }
}
