/**
 * A lock file → the pinned set, for the Lambda target: the lock is read (uv, Poetry, Pipenv, PEP
 * 751), the packages its markers keep for the target are taken as locked — same versions, same
 * hashes, no resolver — and for each the one file the target installs is chosen here, in pip's tag
 * order. Pure: no network, no files written.
 */
import { fileURLToPath } from 'node:url'
import { Inputs } from '../../constants'
import { InputError } from '../../errors'
import { baseNameOf, UnsafeFileNameError } from '../../python/filenames'
import {
  describeTarget,
  parseDistributionFile,
  tagPriority,
  wheelRank,
  type DistributionFile,
  type Target
} from '../../python/wheel-tags'
import type { InputFormat } from '../formats'
import type { PinnedArtifact, PinnedEntry, PinnedSet } from '../pinned'
import { NoCompatibleWheelError } from '../pip-errors'
import { explainNoWheel } from '../no-wheel'
import { containedPath, type AllowedRoots } from '../paths'
import { where, type LockRequest, type LockSelection, type LockedPackage } from './lock'
import { readUvLock } from './uv'
import { readPoetryLock } from './poetry'
import { readPipfileLock } from './pipfile'
import { readPylock } from './pylock'

/** Reads a lock and selects what the target installs (pure apart from the text it is given). */
export function readLock(
  req: LockRequest,
  format: InputFormat
): LockSelection & { notes?: string[] } {
  const selection = readFormat(req, format)
  // one line per package left out: the first reason found
  const seen = new Set<string>()
  const skipped = selection.skipped.filter(line => {
    const key = line.slice(0, line.indexOf(': '))
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
  return { ...selection, skipped }
}

function readFormat(req: LockRequest, format: InputFormat): LockSelection & { notes?: string[] } {
  switch (format) {
    case 'uv':
      return readUvLock(req)
    case 'poetry':
      return readPoetryLock(req)
    case 'pipfile':
      return readPipfileLock(req)
    case 'pylock':
      return readPylock(req)
    default:
      throw new Error(`${format} is not a lock format`)
  }
}

export interface LockPinOptions {
  readonly target: Target
  readonly buildSdists: 'pure' | 'never'
  /** where path dependencies and file: URLs may point */
  readonly roots: AllowedRoots
}

/** The pinned set of a lock, and the notes its reader has for the log. */
export function pinnedFromLock(
  req: LockRequest,
  format: InputFormat,
  o: LockPinOptions
): PinnedSet & { notes: readonly string[] } {
  const selection = readLock(req, format)
  const names = new Set(selection.packages.map(p => p.name))
  const parents = new Map<string, string[]>()
  for (const p of selection.packages)
    for (const d of p.dependencies ?? [])
      if (names.has(d) && d !== p.name) parents.set(d, [...(parents.get(d) ?? []), p.name])
  const direct = (name: string): boolean =>
    selection.direct ? selection.direct.has(name) : !parents.has(name)
  const byName = new Map(selection.packages.map(p => [p.name, p]))
  /** from a package the project asks for down to `name`: `['matplotlib 3.9.2', 'contourpy 1.3.1']` */
  const chainOf = (name: string): string[] => {
    const chain: string[] = []
    const seen = new Set<string>()
    let at: string | undefined = name
    while (at && !seen.has(at)) {
      seen.add(at)
      chain.unshift(`${at} ${byName.get(at)?.version ?? ''}`.trim())
      if (direct(at)) break
      at = parents.get(at)?.find(p => !seen.has(p))
    }
    return chain
  }
  const priority = tagPriority(o.target)
  const entries = selection.packages
    .map((p): PinnedEntry => {
      const artifact = chooseArtifact(req, p, o, priority, chainOf)
      return {
        name: p.name,
        version: p.version,
        artifact,
        ...(p.index ? { index: p.index } : {}),
        requiredBy: direct(p.name) ? [] : [...(parents.get(p.name) ?? [])].sort(),
        dependencies: [...new Set((p.dependencies ?? []).filter(d => names.has(d)))].sort()
      }
    })
    .sort((a, b) => a.name.localeCompare(b.name))
  return {
    entries,
    skipped: selection.skipped,
    summary: selection.summary,
    notes: [
      ...(selection.notes ?? []),
      ...(selection.graph === false
        ? [
            `${req.display} records no dependency graph: every package is listed as asked for (the SBOM shows no edges)`
          ]
        : [])
    ]
  }
}

/** `uv.lock:12 (package numpy)` */
function entryOf(req: LockRequest, p: LockedPackage): string {
  return `${where(req, p.line)} (package ${p.name} ${p.version})`
}

function contained(req: LockRequest, p: LockedPackage, file: string, o: LockPinOptions): string {
  const checked = containedPath(file, o.roots)
  if (!checked.ok) throw new InputError(Inputs.Requirements, entryOf(req, p), checked.why)
  return checked.real
}

function chooseArtifact(
  req: LockRequest,
  p: LockedPackage,
  o: LockPinOptions,
  priority: string[],
  chainOf: (name: string) => string[]
): PinnedArtifact {
  if (p.directory) return { kind: 'directory', path: contained(req, p, p.directory, o) }
  if (p.hashesOnly) return { kind: 'hashes', hashes: p.hashesOnly }
  const files = p.files.map(f => {
    let filename: string
    try {
      filename = baseNameOf(f.filename)
    } catch (error) {
      if (!(error instanceof UnsafeFileNameError)) throw error
      throw new InputError(
        Inputs.Requirements,
        entryOf(req, p),
        `locked files named by a plain file name: ${error.message}`
      )
    }
    if (f.url?.startsWith('file:')) contained(req, p, fileURLToPath(f.url), o)
    return { ...f, filename, parsed: parseDistributionFile(filename) }
  })
  const ranked = files
    .map(f => ({ f, rank: f.parsed ? wheelRank(o.target, f.parsed, priority) : undefined }))
    .filter((x): x is { f: (typeof files)[number]; rank: number } => x.rank !== undefined)
    .sort((a, b) => a.rank - b.rank)
  const pick = (f: (typeof files)[number]): PinnedArtifact => ({
    kind: 'file',
    filename: f.filename,
    ...(f.url ? { url: f.url } : {}),
    hashes: f.hashes,
    ...(f.size !== undefined ? { size: f.size } : {})
  })
  if (ranked.length > 0) return pick(ranked[0].f)
  const parsed = files.map(f => f.parsed).filter((d): d is DistributionFile => d !== undefined)
  const compiled = parsed.some(d => d.kind === 'wheel' && d.tags.some(t => t.platform !== 'any'))
  const sdist = files.find(f => f.parsed?.kind === 'sdist')
  const chain = chainOf(p.name)
  if (sdist && !compiled && o.buildSdists === 'pure') return pick(sdist)
  const message =
    sdist && !compiled
      ? `${p.name} ${p.version} is locked in ${req.display} with no wheel for ${describeTarget(o.target)}, only a source distribution (${sdist.filename})` +
        `${chain.length > 1 ? `; it comes in through ${chain.join(' → ')}` : ''}, and ${Inputs.BuildSdists} is 'never'. Set ${Inputs.BuildSdists}: pure to build it when it is pure Python, or lock a version that ships a wheel.`
      : explainNoWheel({
          requirement: `${p.name}==${p.version}`,
          project: p.name,
          target: o.target,
          lock: req.display,
          listings: [
            { url: `${req.display} (${p.name} ${p.version})`, files: files.map(f => f.filename) }
          ],
          chain: chain.length > 1 ? chain : undefined,
          direct: chain.length > 1 ? { name: chain[0].split(' ')[0] } : undefined
        })
  throw new NoCompatibleWheelError(
    message,
    p.name,
    `${p.name}==${p.version}`,
    o.target.runtime,
    o.target.architecture,
    [],
    chain
  )
}
