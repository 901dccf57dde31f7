/**
 * uv.lock (format `version = 1`, revisions 1–3, as uv 0.5 … 0.9 write it; read from uv's own test
 * snapshots in astral-sh/uv crates/uv/tests/it/lock*.rs): a graph. Installing walks it from the
 * workspace root project (`source = { editable = "." }` or `{ virtual = "." }`) along
 * `dependencies` (with their markers), `[package.optional-dependencies]` for the named extras and
 * `[package.dev-dependencies]` for the named groups only — uv's default `dev` group is a
 * development group and `[tool.uv] default-groups` is not read: `groups` is the whole list, like
 * `uv sync --no-default-groups --group …`. The root project itself is not installed (its code goes
 * in with `include`); other workspace members and path dependencies it reaches are built.
 */
import { pathToFileURL } from 'node:url'
import { InputError } from '../../errors'
import { Inputs } from '../../constants'
import { specifierMatches, VersionSyntaxError } from '../../python/pep440'
import { normalizeProject } from '../../python/names'
import {
  asArray,
  asRecord,
  filenameOf,
  localPath,
  markerHolds,
  markerReason,
  parseHash,
  parseTomlLock,
  skipLine,
  str,
  unknownNames,
  vcsError,
  where,
  type LockRequest,
  type LockSelection,
  type LockedFile,
  type LockedPackage
} from './lock'
import {
  fieldError,
  headerLine,
  optNumber,
  optString,
  optStrings,
  optTable,
  optTables,
  reqString,
  type Place
} from './fields'

/** The revisions this reader knows; a newer one of version 1 is read with a notice. */
export const UV_REVISION = 3

interface UvPackage {
  raw: Record<string, unknown>
  name: string
  version: string
  source: Record<string, unknown>
  line?: number
}

/** A `[[package]]` whose every field this reader takes has the type uv writes. */
function checkedPackage(
  req: LockRequest,
  raw: Record<string, unknown>,
  line: number | undefined
): UvPackage {
  const header: Place = { req, what: 'a [[package]]', line }
  const name = reqString(raw, 'name', header)
  const at: Place = { req, what: `package "${name}"`, line }
  const version = optString(raw, 'version', at) ?? ''
  const source = optTable(raw, 'source', at) ?? {}
  for (const key of ['registry', 'editable', 'virtual', 'directory', 'path', 'url', 'git'])
    optString(source, key, { ...at, what: `${at.what} source` })
  const deps = (list: Record<string, unknown>[], what: string): void => {
    for (const d of list) {
      const place = { ...at, what: `${at.what} ${what}` }
      reqString(d, 'name', place)
      optString(d, 'marker', place)
      optString(d, 'version', place)
      optStrings(d, 'extra', place)
      optTable(d, 'source', place)
    }
  }
  deps(optTables(raw, 'dependencies', at), 'dependencies')
  for (const key of ['optional-dependencies', 'dev-dependencies']) {
    const table = optTable(raw, key, at) ?? {}
    for (const name of Object.keys(table)) deps(optTables(table, name, at), `[${key}] ${name}`)
  }
  const file = (f: Record<string, unknown>, what: string): void => {
    const place = { ...at, what: `${at.what} ${what}` }
    for (const key of ['url', 'path', 'filename', 'hash']) optString(f, key, place)
    optNumber(f, 'size', place)
    if (f.url === undefined && f.path === undefined)
      throw fieldError(place, 'url', 'a URL (or a path)', undefined)
  }
  for (const w of optTables(raw, 'wheels', at)) file(w, 'wheel')
  const sdist = optTable(raw, 'sdist', at)
  if (sdist) file(sdist, 'sdist')
  return { raw, name: normalizeProject(name), version, source, line }
}

function sourceKey(source: unknown): string {
  return JSON.stringify(Object.entries(asRecord(source)).sort())
}

export function readUvLock(req: LockRequest): LockSelection & { notes: string[] } {
  const data = parseTomlLock(req, 'a uv.lock')
  const top: Place = { req, what: 'the top-level table', line: 1 }
  const version = data.version
  const revision = optNumber(data, 'revision', top) ?? 0
  if (version !== 1)
    throw new InputError(
      Inputs.Requirements,
      where(req, 1),
      `a uv.lock of version 1 (uv 0.5 and later); this one says version = ${JSON.stringify(version)}. Re-lock with a current uv (uv lock)`
    )
  const notes: string[] = []
  if (revision > UV_REVISION)
    notes.push(
      `${req.display} is revision ${revision} of uv's lock format; this action knows revisions up to ${UV_REVISION} and reads it as such`
    )

  const requiresPython = optString(data, 'requires-python', top)
  if (requiresPython && !pythonMatches(req, requiresPython))
    throw new InputError(
      Inputs.PythonVersion,
      req.env.python_version,
      `a Python the lock was made for: ${req.display} has requires-python = "${requiresPython}", which Python ${req.env.python_full_version} does not meet`
    )

  const packages: UvPackage[] = optTables(data, 'package', top).map((raw, i) =>
    checkedPackage(req, raw, headerLine(req, 'package', i))
  )
  const byName = new Map<string, UvPackage[]>()
  for (const p of packages) byName.set(p.name, [...(byName.get(p.name) ?? []), p])

  const isRoot = (p: UvPackage): boolean => p.source.editable === '.' || p.source.virtual === '.'
  let roots = packages.filter(isRoot)
  if (roots.length === 0) {
    // a virtual workspace root (no [project]): its members are the projects
    const manifest = optTable(data, 'manifest', top) ?? {}
    const members = optStrings(manifest, 'members', { req, what: 'table [manifest]' }) ?? []
    roots = packages.filter(p => members.some(m => normalizeProject(String(m)) === p.name))
  }
  if (roots.length === 0)
    throw new InputError(
      Inputs.Requirements,
      req.display,
      'a uv.lock of a project: this one has no package with source = { editable = "." } or { virtual = "." } and no [manifest] members to start from'
    )

  const definedExtras = [
    ...new Set(roots.flatMap(r => Object.keys(asRecord(r.raw['optional-dependencies']))))
  ]
  const definedGroups = [
    ...new Set(roots.flatMap(r => Object.keys(asRecord(r.raw['dev-dependencies']))))
  ]
  unknownNames(req, Inputs.Extras, req.extras, definedExtras)
  unknownNames(req, Inputs.Groups, req.groups, definedGroups)

  const extras = new Set(req.extras.map(normalizeProject))
  const groups = new Set(req.groups.map(normalizeProject))
  const { activated, edges, direct, skipped } = reach(req, roots, byName, { extras, groups })

  // one version of a name for the target: two reached at once is a broken (or hand-edited) lock
  const reached = new Map<string, UvPackage>()
  for (const pkg of activated.keys()) {
    const other = reached.get(pkg.name)
    if (other)
      throw new InputError(
        Inputs.Requirements,
        where(req, pkg.line),
        `a uv.lock with one version of each package for the target: ${other.name} ${other.version} (${where(req, other.line)}) and ${pkg.name} ${pkg.version} (${where(req, pkg.line)}) are both required for ${req.env.sys_platform}/${req.env.platform_machine}/Python ${req.env.python_full_version}. Re-lock (uv lock)`
      )
    reached.set(pkg.name, pkg)
  }

  const selected: LockedPackage[] = []
  for (const pkg of packages) {
    if (!activated.has(pkg)) {
      const told = skipped.some(l => l.startsWith(`${pkg.name} ${pkg.version}: `))
      if (!roots.includes(pkg) && !told)
        skipped.push(skipLine(pkg.name, pkg.version, notReached(pkg, roots)))
      continue
    }
    if (roots.includes(pkg)) continue
    const locked = lockedPackage(req, pkg)
    if (locked)
      selected.push({ ...locked, dependencies: [...(edges.get(pkg) ?? [])], line: pkg.line })
    else
      skipped.push(
        skipLine(pkg.name, pkg.version, 'a virtual workspace member: nothing to install')
      )
  }
  const taken = [
    `main dependencies of ${roots.map(r => r.name).join(', ')}`,
    ...(extras.size ? [`extras ${[...extras].join(', ')}`] : []),
    ...(groups.size ? [`groups ${[...groups].join(', ')}`] : [])
  ]
  return {
    packages: selected,
    direct,
    skipped,
    notes,
    summary: `${req.display} (uv lock version 1, revision ${revision}): ${taken.join(' + ')}`
  }
}

/** The walk from the roots: each package the target installs, with the extras it was reached with. */
interface Reached {
  readonly activated: Map<UvPackage, Set<string>>
  /** package → the names it depends on (the roots' are `direct`) */
  readonly edges: Map<UvPackage, Set<string>>
  readonly direct: Set<string>
  /** a line for each dependency whose marker excludes the target */
  readonly skipped: string[]
}

/**
 * Walks `dependencies` (with their markers) from the roots, `[package.optional-dependencies]` for
 * the extras a package is reached with, and the roots' `[package.dev-dependencies]` for `groups`.
 */
function reach(
  req: LockRequest,
  roots: readonly UvPackage[],
  byName: ReadonlyMap<string, UvPackage[]>,
  chosen: { extras: ReadonlySet<string>; groups: ReadonlySet<string> }
): Reached {
  const { extras, groups } = chosen
  // uv encodes conflicting extras/groups in markers as `extra == 'extra-7-project-cpu'`
  const markerExtras = new Set<string>(extras)
  for (const r of roots) {
    for (const e of extras)
      markerExtras.add(normalizeProject(`extra-${r.name.length}-${r.name}-${e}`))
    for (const g of groups)
      markerExtras.add(normalizeProject(`group-${r.name.length}-${r.name}-${g}`))
  }

  const find = (dep: Record<string, unknown>): UvPackage | undefined => {
    let candidates = byName.get(normalizeProject(str(dep.name) ?? '')) ?? []
    if (candidates.length > 1 && dep.version)
      candidates = candidates.filter(c => c.version === dep.version)
    if (candidates.length > 1 && dep.source)
      candidates = candidates.filter(c => sourceKey(c.source) === sourceKey(dep.source))
    return candidates[0]
  }

  const activated = new Map<UvPackage, Set<string>>()
  const edges = new Map<UvPackage, Set<string>>()
  const direct = new Set<string>()
  const skipped: string[] = []
  const queue: { pkg: UvPackage; extras: string[] }[] = roots.map(pkg => ({
    pkg,
    extras: [...extras]
  }))
  const follow = (from: UvPackage, deps: Record<string, unknown>[], why: string): void => {
    for (const dep of deps) {
      const target = find(dep)
      const depName = str(dep.name) ?? '?'
      if (!target)
        throw new InputError(
          Inputs.Requirements,
          where(req, from.line),
          `a consistent uv.lock: ${from.name} depends on ${depName}, which the lock does not hold. Re-lock (uv lock)`
        )
      const marker = str(dep.marker)
      if (!markerHolds(req, marker, target.name, { extras: markerExtras, groups })) {
        skipped.push(
          skipLine(target.name, target.version, `${why} of ${from.name}: ${markerReason([marker])}`)
        )
        continue
      }
      if (roots.includes(from)) direct.add(target.name)
      else edges.set(from, new Set([...(edges.get(from) ?? []), target.name]))
      queue.push({ pkg: target, extras: (dep.extra as string[] | undefined) ?? [] })
    }
  }
  while (queue.length > 0) {
    const { pkg, extras: wanted } = queue.shift() as { pkg: UvPackage; extras: string[] }
    const seen = activated.get(pkg)
    const fresh = wanted.map(normalizeProject).filter(e => !seen?.has(e))
    if (seen && fresh.length === 0) continue
    activated.set(pkg, new Set([...(seen ?? []), ...fresh]))
    if (!seen) follow(pkg, asArray(pkg.raw.dependencies), 'dependency')
    const optional = asRecord(pkg.raw['optional-dependencies'])
    for (const [extra, deps] of Object.entries(optional)) {
      if (fresh.includes(normalizeProject(extra))) follow(pkg, asArray(deps), `extra '${extra}'`)
    }
    if (!seen && roots.includes(pkg)) {
      for (const [group, deps] of Object.entries(asRecord(pkg.raw['dev-dependencies']))) {
        if (groups.has(normalizeProject(group))) follow(pkg, asArray(deps), `group '${group}'`)
      }
    }
  }
  return { activated, edges, direct, skipped }
}

function notReached(pkg: UvPackage, roots: readonly UvPackage[]): string {
  const inGroups = roots.some(r =>
    Object.values(asRecord(r.raw['dev-dependencies'])).some(deps =>
      asArray(deps).some(d => normalizeProject(str(d.name) ?? '') === pkg.name)
    )
  )
  return inGroups
    ? 'only in a dependency group not named in groups'
    : 'not required for the target (only by an extra not asked for, or under a marker that excludes it)'
}

function uvFile(req: LockRequest, entry: Record<string, unknown>, base?: string): LockedFile {
  const url = str(entry.url)
  const p = str(entry.path)
  const hashes = str(entry.hash) ? parseHash(str(entry.hash) as string) : {}
  const size = typeof entry.size === 'number' ? { size: entry.size } : {}
  if (url) return { filename: str(entry.filename) ?? filenameOf(url), url, hashes, ...size }
  const absolute = localPath(req, base ? `${base}/${p ?? ''}` : (p ?? ''))
  return {
    filename: str(entry.filename) ?? filenameOf(absolute),
    url: pathToFileURL(absolute).href,
    hashes
  }
}

function lockedPackage(req: LockRequest, pkg: UvPackage): LockedPackage | undefined {
  const { source } = pkg
  if (source.git) throw vcsError(req, pkg.name, String(source.git))
  if (source.virtual) return undefined
  const dir = str(source.editable) ?? str(source.directory)
  if (dir)
    return { name: pkg.name, version: pkg.version, files: [], directory: localPath(req, dir) }
  // a remote registry is the index the files came from (fetch looks there when a URL fails); a
  // local one (a find-links directory) records paths relative to itself
  const registry = str(source.registry)
  const index = registry && /^[a-z]+:\/\//i.test(registry) ? registry : undefined
  const base = registry && !index ? registry : undefined
  const files = asArray(pkg.raw.wheels).map(w => uvFile(req, w, base))
  const sdist = asRecord(pkg.raw.sdist)
  if (Object.keys(sdist).length > 0) files.push(uvFile(req, sdist, base))
  if (str(source.path) && files.length === 0) {
    // a local archive: `source = { path = "dist/x-1.0.tar.gz" }`
    const absolute = localPath(req, str(source.path) as string)
    files.push({ filename: filenameOf(absolute), url: pathToFileURL(absolute).href, hashes: {} })
  }
  if (str(source.url) && files.length === 0)
    files.push({
      filename: filenameOf(str(source.url) as string),
      url: str(source.url),
      hashes: {}
    })
  return { name: pkg.name, version: pkg.version, files, ...(index ? { index } : {}) }
}

/** uv writes `>=3.10` or `>=3.12, <3.14`; one it cannot read is left to uv to have checked. */
function pythonMatches(req: LockRequest, spec: string): boolean {
  try {
    return specifierMatches(req.env.python_full_version, spec)
  } catch (error) {
    if (error instanceof VersionSyntaxError) return true
    throw error
  }
}
