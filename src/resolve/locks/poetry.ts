/**
 * poetry.lock, lock-version 2.1 (Poetry 2; read from python-poetry/poetry's own poetry.lock and
 * tests/installation/fixtures/*.test): every package says which `groups` need it and under which
 * `markers` (one string, or a table per group), so installing needs no pyproject.toml and no
 * resolver — what Poetry 2 itself does for `poetry install` from a 2.1 lock. The `main` group is
 * taken, other groups only when named; `optional = true` packages only through a named extra
 * (`[extras]`). Poetry records file names and hashes, not URLs: the files come from the package's
 * `[package.source]` (a legacy index), else `index-url`, else PyPI.
 */
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { InputError } from '../../errors'
import { Inputs } from '../../constants'
import { normalizeProject } from '../../python/names'
import { PYPI_SIMPLE } from '../../python/index-page'
import {
  asArray,
  asRecord,
  lineOf,
  localPath,
  markerHolds,
  markerReason,
  packageLine,
  parseHash,
  parseTomlLock,
  skipLine,
  str,
  unknownNames,
  vcsError,
  where,
  type LockRequest,
  type LockSelection,
  type LockedPackage
} from './lock'
import {
  fieldError,
  headerLine,
  isTable,
  optBool,
  optString,
  optStrings,
  optStringTable,
  optTable,
  optTables,
  reqString,
  type Place
} from './fields'

export function readPoetryLock(req: LockRequest): LockSelection {
  const data = parseTomlLock(req, 'a poetry.lock')
  const top: Place = { req, what: 'the top-level table', line: 1 }
  const metadata = optTable(data, 'metadata', top) ?? {}
  const lockVersion =
    optString(metadata, 'lock-version', {
      req,
      what: 'table [metadata]',
      line: lineOf(req.text, '[metadata]')
    }) ?? ''
  const [major, minor] = lockVersion.split('.').map(Number)
  if (major !== 2 || !(minor >= 1))
    throw new InputError(
      Inputs.Requirements,
      where(req, lineOf(req.text, 'lock-version')),
      `a poetry.lock of lock-version 2.1 or later 2.x (written by Poetry 2.0+, which records each package's groups and markers); this one is lock-version ${JSON.stringify(lockVersion || 'missing')}. Re-lock with Poetry 2 (poetry lock)`
    )

  const packages = optTables(data, 'package', top)
  packages.forEach((p, i) => checkPackage(req, p, headerLine(req, 'package', i)))
  const extrasTable = optTable(data, 'extras', top) ?? {}
  for (const extra of Object.keys(extrasTable))
    optStrings(extrasTable, extra, {
      req,
      what: 'table [extras]',
      line: lineOf(req.text, '[extras]')
    })
  const definedGroups = [
    ...new Set(packages.flatMap(p => (p.groups as string[] | undefined) ?? []))
  ].sort()
  unknownNames(req, Inputs.Extras, req.extras, Object.keys(extrasTable))
  unknownNames(
    req,
    Inputs.Groups,
    req.groups,
    definedGroups.filter(g => g !== 'main'),
    ' (main is always installed)'
  )
  const extras = new Set(req.extras.map(normalizeProject))
  const groups = new Set(['main', ...req.groups.map(normalizeProject)])
  // the packages each requested extra names, for optional packages locked without an extra marker
  const inExtras = new Set(
    Object.entries(extrasTable)
      .filter(([extra]) => extras.has(normalizeProject(extra)))
      .flatMap(([, names]) => ((names as string[] | undefined) ?? []).map(normalizeProject))
  )
  const defaultIndex = req.indexUrl || PYPI_SIMPLE

  const selected: LockedPackage[] = []
  const skipped: string[] = []
  for (const [i, p] of packages.entries()) {
    const name = normalizeProject(str(p.name) ?? '')
    const version = str(p.version) ?? ''
    const pkgGroups = ((p.groups as string[] | undefined) ?? ['main']).map(normalizeProject)
    const chosen = pkgGroups.filter(g => groups.has(g))
    if (chosen.length === 0) {
      skipped.push(
        skipLine(name, version, `only in group ${pkgGroups.join(', ')}, not named in groups`)
      )
      continue
    }
    const markers = p.markers
    // per-group markers: the package is needed when the marker of any chosen group holds
    const candidates =
      markers === undefined
        ? [undefined]
        : typeof markers === 'string'
          ? [markers]
          : chosen.map(
              g => str(asRecord(markers)[g]) ?? str(asRecord(markers)[g.replace(/-/g, '_')])
            )
    const holding = candidates.some(m => markerHolds(req, m, name, { extras }))
    if (!holding) {
      skipped.push(skipLine(name, version, markerReason(candidates)))
      continue
    }
    const mentionsExtra = candidates.some(m => m !== undefined && /\bextra\b/.test(m))
    if (p.optional === true && !mentionsExtra && !inExtras.has(name)) {
      skipped.push(skipLine(name, version, 'optional, and no extra named in extras needs it'))
      continue
    }
    const line = headerLine(req, 'package', i)
    const earlier = selected.find(e => e.name === name)
    if (earlier)
      throw new InputError(
        Inputs.Requirements,
        where(req, line),
        `a poetry.lock with one version of each package for the target: ${name} ${earlier.version} (${where(req, earlier.line)}) and ${name} ${version} (${where(req, line)}) both apply to ${req.env.sys_platform}/${req.env.platform_machine}/Python ${req.env.python_full_version}. Re-lock (poetry lock)`
      )
    selected.push({
      ...poetryPackage(req, p, name, version, defaultIndex),
      dependencies: poetryDependencies(req, p, name, extras),
      line
    })
  }
  const taken = [
    'main group',
    ...[...groups].filter(g => g !== 'main').map(g => `group ${g}`),
    ...(extras.size ? [`extras ${[...extras].join(', ')}`] : [])
  ]
  return {
    packages: selected,
    skipped,
    summary: `${req.display} (Poetry lock-version ${lockVersion}): ${taken.join(' + ')}`
  }
}

function poetryPackage(
  req: LockRequest,
  p: Record<string, unknown>,
  name: string,
  version: string,
  defaultIndex: string
): LockedPackage {
  const source = asRecord(p.source)
  const type = str(source.type)
  const url = str(source.url) ?? ''
  const files = asArray(p.files).map(f => ({
    filename: str(f.file) ?? '',
    hashes: parseHash(str(f.hash) ?? '')
  }))
  switch (type) {
    case undefined:
      return { name, version, files, index: defaultIndex }
    case 'legacy':
      return { name, version, files, index: withPoetryCredentials(req, url, str(source.reference)) }
    case 'directory':
      return { name, version, files: [], directory: localPath(req, url) }
    case 'file': {
      const file = localPath(req, url)
      const filename = path.basename(file)
      const recorded = files.find(f => f.filename === filename)
      return {
        name,
        version,
        files: [{ filename, url: pathToFileURL(file).href, hashes: recorded?.hashes ?? {} }]
      }
    }
    case 'url':
      return {
        name,
        version,
        files: files.map(f => ({ ...f, url }))
      }
    case 'git':
      throw vcsError(req, name, url)
    default:
      throw new InputError(
        Inputs.Requirements,
        where(req, packageLine(req, str(p.name) ?? name)),
        `package sources of type legacy, directory, file or url: ${name} has [package.source] type = ${JSON.stringify(type)}`
      )
  }
}

/** A `[[package]]` whose every field this reader takes has the type Poetry writes. */
function checkPackage(req: LockRequest, p: Record<string, unknown>, line?: number): void {
  const name = reqString(p, 'name', { req, what: 'a [[package]]', line })
  const at: Place = { req, what: `package "${name}"`, line }
  optString(p, 'version', at)
  optStrings(p, 'groups', at)
  optBool(p, 'optional', at)
  if (typeof p.markers !== 'string') optStringTable(p, 'markers', at)
  for (const f of optTables(p, 'files', at)) {
    reqString(f, 'file', { ...at, what: `${at.what} files` })
    optString(f, 'hash', { ...at, what: `${at.what} files` })
  }
  const source = optTable(p, 'source', at)
  if (source)
    for (const key of ['type', 'url', 'reference'])
      optString(source, key, { ...at, what: `${at.what} [package.source]` })
  const deps = optTable(p, 'dependencies', at) ?? {}
  for (const [dep, spec] of Object.entries(deps)) {
    const tables = Array.isArray(spec) ? spec : [spec]
    for (const c of tables) {
      if (typeof c === 'string') continue
      if (!isTable(c))
        throw fieldError(at, dep, 'a version string, a table or an array of tables', c)
      optString(c, 'markers', { ...at, what: `${at.what} dependency ${dep}` })
    }
  }
}

/**
 * `[package.dependencies]`: name → `"^1.0"`, `{version, markers, optional, extras}`, or a list of
 * such tables (one per marker); a dependency counts when one of its markers holds for the target.
 */
function poetryDependencies(
  req: LockRequest,
  p: Record<string, unknown>,
  name: string,
  extras: ReadonlySet<string>
): string[] {
  const deps: string[] = []
  for (const [dep, spec] of Object.entries(asRecord(p.dependencies))) {
    const constraints = Array.isArray(spec) ? spec : [spec]
    const holds = constraints.some(c =>
      markerHolds(req, str(asRecord(c).markers), name, { extras })
    )
    if (holds) deps.push(normalizeProject(dep))
  }
  return deps
}

/** Poetry's CI credentials: `POETRY_HTTP_BASIC_<SOURCE>_USERNAME` / `_PASSWORD` for a named source. */
function withPoetryCredentials(req: LockRequest, url: string, reference?: string): string {
  if (!reference || !req.environ) return url
  const key = `POETRY_HTTP_BASIC_${reference.toUpperCase().replace(/[-.]/g, '_')}`
  const user = req.environ[`${key}_USERNAME`]
  const password = req.environ[`${key}_PASSWORD`]
  if (!user && !password) return url
  try {
    const u = new URL(url)
    if (u.username || u.password) return url
    u.username = encodeURIComponent(user ?? '')
    u.password = encodeURIComponent(password ?? '')
    return u.href
  } catch {
    return url
  }
}
