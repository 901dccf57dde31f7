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
import { InputError } from '../../errors'
import { Inputs } from '../../constants'
import { specifierMatches, VersionSyntaxError } from '../../python/pep440'
import { normalizeProject } from '../../python/wheel-tags'
import {
  asArray,
  asRecord,
  filenameOf,
  lineOf,
  localPath,
  markerHolds,
  markerReason,
  packageLine,
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
import { pathToFileURL } from 'node:url'

export function readPylock(req: LockRequest): LockSelection {
  const data = parseTomlLock(req, 'a pylock.toml')
  const lockVersion = str(data['lock-version']) ?? ''
  if (lockVersion.split('.')[0] !== '1')
    throw new InputError(
      Inputs.Requirements,
      where(req, lineOf(req.text, 'lock-version')),
      `a pylock.toml of lock-version 1.x (PEP 751); this one says ${JSON.stringify(lockVersion || 'nothing')}`
    )
  const python = req.env.python_full_version
  const requiresPython = str(data['requires-python'])
  if (requiresPython && !satisfies(req, python, requiresPython, 'requires-python'))
    throw new InputError(
      Inputs.PythonVersion,
      req.env.python_version,
      `a Python the lock was made for: ${req.display} has requires-python = "${requiresPython}", which Python ${python} does not meet`
    )
  const environments = (data.environments as string[] | undefined) ?? []
  if (environments.length > 0 && !environments.some(e => markerHolds(req, e, 'environments', {})))
    throw new InputError(
      Inputs.Requirements,
      where(req, lineOf(req.text, 'environments')),
      `a lock made for the target: none of the environments of ${req.display} (${environments.join(' | ')}) is Lambda's (${req.env.sys_platform}, ${req.env.platform_machine}, Python ${python})`
    )

  const definedExtras = (data.extras as string[] | undefined) ?? []
  const definedGroups = (data['dependency-groups'] as string[] | undefined) ?? []
  unknownNames(req, Inputs.Extras, req.extras, definedExtras)
  unknownNames(req, Inputs.Groups, req.groups, definedGroups)
  const extras = new Set(req.extras.map(normalizeProject))
  const named = req.groups.map(normalizeProject)
  const defaults = ((data['default-groups'] as string[] | undefined) ?? [])
    .map(normalizeProject)
    .filter(g => g !== 'dev')
  const groups = new Set([...defaults, ...named])

  const selected = new Map<string, LockedPackage>()
  const skipped: string[] = []
  for (const p of asArray(data.packages)) {
    const rawName = str(p.name) ?? ''
    const name = normalizeProject(rawName)
    const version = str(p.version) ?? ''
    const marker = str(p.marker)
    if (!markerHolds(req, marker, rawName, { extras, groups })) {
      skipped.push(skipLine(name, version, markerReason([marker])))
      continue
    }
    const pkgPython = str(p['requires-python'])
    if (pkgPython && !satisfies(req, python, pkgPython, rawName))
      throw new InputError(
        Inputs.PythonVersion,
        req.env.python_version,
        `a Python every selected package supports: ${rawName} ${version} in ${where(req, packageLine(req, rawName))} requires Python ${pkgPython}`
      )
    if (selected.has(name))
      throw new InputError(
        Inputs.Requirements,
        where(req, packageLine(req, rawName)),
        `a lock with one ${rawName} for the target: two entries of it apply to ${req.env.sys_platform}/${req.env.platform_machine}/Python ${python}`
      )
    selected.set(name, {
      ...pylockPackage(req, p, rawName, name, version),
      dependencies: asArray(p.dependencies)
        .map(d => str(d.name))
        .filter((d): d is string => !!d)
        .map(normalizeProject),
      line: packageLine(req, rawName)
    })
  }
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

function pylockFile(req: LockRequest, entry: Record<string, unknown>): LockedFile {
  const url = str(entry.url)
  const p = str(entry.path)
  const hashes: Record<string, string[]> = {}
  for (const [alg, value] of Object.entries(asRecord(entry.hashes)))
    hashes[alg.toLowerCase()] = [String(value).toLowerCase()]
  const location = p ? pathToFileURL(localPath(req, p)).href : url
  return {
    filename: str(entry.name) ?? filenameOf(location ?? ''),
    url: location,
    hashes,
    ...(typeof entry.size === 'number' ? { size: entry.size } : {})
  }
}

function pylockPackage(
  req: LockRequest,
  p: Record<string, unknown>,
  rawName: string,
  name: string,
  version: string
): LockedPackage {
  const vcs = asRecord(p.vcs)
  if (Object.keys(vcs).length > 0) throw vcsError(req, rawName, str(vcs.url) ?? str(vcs.path) ?? '')
  const directory = asRecord(p.directory)
  if (str(directory.path)) {
    const sub = str(directory.subdirectory)
    return {
      name,
      version,
      files: [],
      directory: localPath(
        req,
        sub ? `${str(directory.path)}/${sub}` : (str(directory.path) as string)
      )
    }
  }
  const files = asArray(p.wheels).map(w => pylockFile(req, w))
  const archive = asRecord(p.archive)
  if (Object.keys(archive).length > 0) files.push(pylockFile(req, archive))
  const sdist = asRecord(p.sdist)
  if (Object.keys(sdist).length > 0) files.push(pylockFile(req, sdist))
  // a file recorded by name only is looked up on the package's index, else index-url (PEP 751 allows either)
  return { name, version, files, index: str(p.index) ?? (req.indexUrl || undefined) }
}
