/**
 * pylock.toml / pylock.<name>.toml (PEP 751, lock-version 1.0; read from the PyPA specification
 * source/specifications/pylock-toml.rst and its pylock.example.toml): a flat list of packages, each
 * kept or left out by its own `marker`, evaluated with the requested `extras` and
 * `dependency_groups` sets, following the spec's installation steps (lock-version, requires-python,
 * environments, per-package requires-python, one instance per name).
 *
 * Groups: the lock's `default-groups` and the named groups, except that a default group named
 * `dev` (uv's default development group) is taken only when named — development groups never go
 * into a layer unless asked for.
 */
import { pathToFileURL } from 'node:url'
import { InputError } from '../../errors'
import { Inputs } from '../../constants'
import { specifierMatches, VersionSyntaxError } from '../../python/pep440'
import { normalizeProject } from '../../python/names'
import {
  filenameOf,
  lineOf,
  localPath,
  markerHolds,
  markerReason,
  parseTomlLock,
  skipLine,
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
  optStringTable,
  optTable,
  optTables,
  reqString,
  type Place
} from './fields'

export function readPylock(req: LockRequest): LockSelection {
  const data = parseTomlLock(req, 'a pylock.toml')
  const top: Place = { req, what: 'the top-level table', line: 1 }
  const lockVersion = reqString(data, 'lock-version', top)
  if (lockVersion.split('.')[0] !== '1')
    throw new InputError(
      Inputs.Requirements,
      where(req, lineOf(req.text, 'lock-version')),
      `a pylock.toml of lock-version 1.x (PEP 751); this one says ${JSON.stringify(lockVersion)}`
    )
  const python = req.env.python_full_version
  const requiresPython = optString(data, 'requires-python', top)
  if (requiresPython && !satisfies(req, python, requiresPython, 'requires-python'))
    throw new InputError(
      Inputs.PythonVersion,
      req.env.python_version,
      `a Python the lock was made for: ${req.display} has requires-python = "${requiresPython}", which Python ${python} does not meet`
    )
  const environments = optStrings(data, 'environments', top) ?? []
  if (environments.length > 0 && !environments.some(e => markerHolds(req, e, 'environments', {})))
    throw new InputError(
      Inputs.Requirements,
      where(req, lineOf(req.text, 'environments')),
      `a lock made for the target: none of the environments of ${req.display} (${environments.join(' | ')}) is Lambda's (${req.env.sys_platform}, ${req.env.platform_machine}, Python ${python})`
    )

  const definedExtras = optStrings(data, 'extras', top) ?? []
  const definedGroups = optStrings(data, 'dependency-groups', top) ?? []
  unknownNames(req, Inputs.Extras, req.extras, definedExtras)
  unknownNames(req, Inputs.Groups, req.groups, definedGroups)
  const extras = new Set(req.extras.map(normalizeProject))
  const named = req.groups.map(normalizeProject)
  const defaults = (optStrings(data, 'default-groups', top) ?? [])
    .map(normalizeProject)
    .filter(g => g !== 'dev')
  const groups = new Set([...defaults, ...named])

  const selected = new Map<string, LockedPackage>()
  const skipped: string[] = []
  optTables(data, 'packages', top).forEach((p, i) => {
    const header: Place = { req, what: `packages[${i}]`, line: headerLine(req, 'packages', i) }
    const rawName = reqString(p, 'name', header)
    const at: Place = { ...header, what: `package "${rawName}"` }
    const name = normalizeProject(rawName)
    const version = optString(p, 'version', at) ?? ''
    const marker = optString(p, 'marker', at)
    if (!markerHolds(req, marker, rawName, { extras, groups })) {
      skipped.push(skipLine(name, version, markerReason([marker])))
      return
    }
    const pkgPython = optString(p, 'requires-python', at)
    if (pkgPython && !satisfies(req, python, pkgPython, rawName))
      throw new InputError(
        Inputs.PythonVersion,
        req.env.python_version,
        `a Python every selected package supports: ${rawName} ${version} in ${where(req, at.line)} requires Python ${pkgPython}`
      )
    const earlier = selected.get(name)
    if (earlier)
      throw new InputError(
        Inputs.Requirements,
        where(req, at.line),
        `a lock with one ${rawName} for the target: ${rawName} ${earlier.version} (${where(req, earlier.line)}) and ${rawName} ${version} (${where(req, at.line)}) both apply to ${req.env.sys_platform}/${req.env.platform_machine}/Python ${python}`
      )
    selected.set(name, {
      ...pylockPackage(req, p, at, name, version),
      dependencies: optTables(p, 'dependencies', at)
        .map(d => optString(d, 'name', at))
        .filter((d): d is string => !!d)
        .map(normalizeProject),
      line: at.line
    })
  })
  const taken = [
    'packages',
    ...(extras.size ? [`extras ${[...extras].join(', ')}`] : []),
    ...(groups.size ? [`groups ${[...groups].join(', ')}`] : [])
  ]
  return {
    packages: [...selected.values()],
    skipped,
    summary: `${req.display} (PEP 751 lock-version ${lockVersion}): ${taken.join(' + ')}`
  }
}

function satisfies(req: LockRequest, python: string, spec: string, what: string): boolean {
  try {
    return specifierMatches(python, spec)
  } catch (error) {
    if (!(error instanceof VersionSyntaxError)) throw error
    throw new InputError(
      Inputs.Requirements,
      where(req, lineOf(req.text, spec)),
      `PEP 440 version specifiers: requires-python of ${what} (${JSON.stringify(spec)}) does not parse`
    )
  }
}

function pylockFile(req: LockRequest, entry: Record<string, unknown>, at: Place): LockedFile {
  const url = optString(entry, 'url', at)
  const p = optString(entry, 'path', at)
  const hashes: Record<string, string[]> = {}
  for (const [alg, value] of Object.entries(optStringTable(entry, 'hashes', at) ?? {}))
    hashes[alg.toLowerCase()] = [value.toLowerCase()]
  const location = p ? pathToFileURL(localPath(req, p)).href : url
  const name = optString(entry, 'name', at) ?? (location ? filenameOf(location) : undefined)
  if (!name) throw fieldError(at, 'name', 'a file name (or a url or path to take it from)', name)
  const size = optNumber(entry, 'size', at)
  return { filename: name, url: location, hashes, ...(size !== undefined ? { size } : {}) }
}

function pylockPackage(
  req: LockRequest,
  p: Record<string, unknown>,
  at: Place,
  name: string,
  version: string
): LockedPackage {
  const vcs = optTable(p, 'vcs', at)
  if (vcs) throw vcsError(req, name, optString(vcs, 'url', at) ?? optString(vcs, 'path', at) ?? '')
  const directory = optTable(p, 'directory', at)
  if (directory) {
    const dir = reqString(directory, 'path', { ...at, what: `${at.what} [directory]` })
    const sub = optString(directory, 'subdirectory', at)
    return { name, version, files: [], directory: localPath(req, sub ? `${dir}/${sub}` : dir) }
  }
  const files = optTables(p, 'wheels', at).map(w => pylockFile(req, w, at))
  const archive = optTable(p, 'archive', at)
  if (archive) files.push(pylockFile(req, archive, at))
  const sdist = optTable(p, 'sdist', at)
  if (sdist) files.push(pylockFile(req, sdist, at))
  // a file recorded by name only is looked up on the package's index, else index-url (PEP 751 allows either)
  return { name, version, files, index: optString(p, 'index', at) ?? (req.indexUrl || undefined) }
}
