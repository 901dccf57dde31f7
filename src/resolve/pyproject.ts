/**
 * pyproject.toml → a requirements file that pip resolves exactly like a requirements.txt: the
 * project's dependencies (PEP 621 `[project.dependencies]`), the named extras
 * (`[project.optional-dependencies]`) and the named dependency groups (PEP 735 `[dependency-groups]`,
 * with `{include-group = "…"}`). The project itself is not installed: a layer holds dependencies,
 * and the `include` input is how a project's own code gets in.
 */
import { promises as fs } from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { parse, TomlError } from 'smol-toml'
import { Inputs } from '../constants'
import { InputError } from '../errors'
import { specifierMatches } from '../python/pep440'
import { normalizeProject } from '../python/names'
import { parseRequirement } from '../python/requirements'
import { isTable } from './locks/fields'

export interface PyprojectRequest {
  /** the file as the user named it (for messages), e.g. `layers/api/pyproject.toml` */
  readonly display: string
  /** the folder holding pyproject.toml: relative paths in it resolve from here */
  readonly directory: string
  readonly extras: readonly string[]
  readonly groups: readonly string[]
  /** the target runtime's Python (`3.11`, `3.11.14`): `requires-python` must admit it */
  readonly python?: { readonly version: string; readonly fullVersion: string }
}

type Table = Record<string, unknown>

/** What a pyproject.toml declares, each table checked for the shape PEP 621 and PEP 735 give it. */
interface Declared {
  /** the project's own name, normalised: a requirement naming it means its dependencies */
  readonly self?: string
  readonly dependencies: readonly string[]
  /** `[project.optional-dependencies]` as written (its names, for messages) */
  readonly optional?: Table
  /** normalised extra → its requirements */
  readonly extras: ReadonlyMap<string, string[]>
  /** normalised group → its name as written and its entries (checked as they are read) */
  readonly groups: ReadonlyMap<string, { name: string; entries: unknown }>
}

/**
 * The requirement lines of a pyproject.toml for the chosen extras and groups, in order (main
 * dependencies, then each extra, then each group), without duplicates, relative paths made absolute.
 * Throws InputError naming `requirements`, `extras` or `groups`, the file, and what is allowed.
 */
export function pyprojectRequirements(text: string, o: PyprojectRequest): string[] {
  const { self, dependencies, optional, extras, groups } = declared(text, o)
  const lines: string[] = []
  const activeExtras = new Set<string>()
  /** Adds one requirement; one naming the project itself adds the project's dependencies (and its extras) instead. */
  const add = (requirement: string, marker: string | undefined, where: string): void => {
    const m = parseRequirement(requirement)
    if (!m || requirement.trim().startsWith('-'))
      throw new InputError(
        Inputs.Requirements,
        o.display,
        `PEP 508 requirement strings in ${where}; ${JSON.stringify(requirement)} is not one (pip options and editable installs belong in a requirements file)`
      )
    const own = m.marker || undefined
    const combined = own && marker ? `(${marker}) and (${own})` : (own ?? marker)
    if (self !== undefined && m.project === self) {
      // the project's own extras (`all = ["me[aws,pg]"]`): its dependencies, never the project
      for (const extra of m.extras) addExtra(extra, combined, `${where} (${m.name}[${extra}])`)
      if (!where.startsWith('[project] dependencies'))
        for (const d of dependencies) add(d, combined, '[project] dependencies')
      return
    }
    // as written, up to its marker (PEP 508: the first ';')
    const base = absolutePaths(requirement.split(';')[0].trim(), o.directory)
    const line = combined ? `${base} ; ${combined}` : base
    if (!lines.includes(line)) lines.push(line)
  }
  const addExtra = (extra: string, marker: string | undefined, where: string): void => {
    const key = normalizeProject(extra)
    const list = extras.get(key)
    if (!list) {
      const defined = [...(optional ? Object.keys(optional) : [])]
      throw new InputError(
        Inputs.Extras,
        extra,
        defined.length > 0
          ? `an extra that ${o.display} defines in [project.optional-dependencies]: ${defined.join(', ')}`
          : `nothing: ${o.display} defines no extras ([project.optional-dependencies] is ${optional ? 'empty' : 'absent'})${where === 'extras' ? '' : ` (asked for by ${where})`}`
      )
    }
    // extras that name each other (`all = ["me[aws]"]`, `aws = ["me[all]"]`) stop at the cycle
    if (activeExtras.has(key)) return
    activeExtras.add(key)
    for (const r of list) add(r, marker, `[project.optional-dependencies] ${extra}`)
    activeExtras.delete(key)
  }
  const addGroup = (group: string, trail: readonly string[]): void => {
    const key = normalizeProject(group)
    const found = groups.get(key)
    if (!found) {
      const defined = [...groups.values()].map(g => g.name)
      const included = trail.length > 0 ? ` (included by group ${trail.at(-1)})` : ''
      throw new InputError(
        Inputs.Groups,
        group,
        defined.length > 0
          ? `a group that ${o.display} defines in [dependency-groups]: ${defined.join(', ')}${included}`
          : `nothing: ${o.display} defines no dependency groups ([dependency-groups], PEP 735)${included}`
      )
    }
    if (trail.includes(key))
      throw new InputError(
        Inputs.Groups,
        group,
        `dependency groups without a cycle: ${[...trail, key].join(' → ')} in ${o.display}`
      )
    if (!Array.isArray(found.entries))
      throw new InputError(
        Inputs.Requirements,
        o.display,
        `[dependency-groups] ${found.name} must be a list (PEP 735)`
      )
    for (const entry of found.entries) {
      if (typeof entry === 'string') add(entry, undefined, `[dependency-groups] ${found.name}`)
      else if (
        isTable(entry) &&
        typeof entry['include-group'] === 'string' &&
        Object.keys(entry).length === 1
      )
        addGroup(entry['include-group'], [...trail, key])
      else
        throw new InputError(
          Inputs.Requirements,
          o.display,
          `[dependency-groups] ${found.name} entries that are requirement strings or {include-group = "…"} tables (PEP 735); found ${JSON.stringify(entry)}`
        )
    }
  }

  for (const d of dependencies) add(d, undefined, '[project] dependencies')
  for (const extra of o.extras) addExtra(extra, undefined, 'extras')
  for (const group of o.groups) addGroup(group, [])
  return lines
}

/** Parses the file and checks the tables the requirements come from; the first problem is an InputError. */
function declared(text: string, o: PyprojectRequest): Declared {
  let doc: Table
  try {
    doc = parse(text)
  } catch (error: unknown) {
    if (error instanceof TomlError)
      throw new InputError(
        Inputs.Requirements,
        `${o.display}:${error.line}`,
        `a pyproject.toml that parses as TOML (${error.message.split('\n')[0].replace(/^Invalid TOML document: /, '')} at line ${error.line}, column ${error.column})`
      )
    throw error
  }

  const project = doc.project
  const groupsTable = doc['dependency-groups']
  const poetry = isTable(doc.tool) && isTable(doc.tool.poetry) ? doc.tool.poetry : undefined
  const poetryLock = path.posix.join(
    path.posix.dirname(o.display.split(path.sep).join('/')),
    'poetry.lock'
  )
  if (project === undefined) {
    if (poetry && 'dependencies' in poetry)
      throw new InputError(
        Inputs.Requirements,
        o.display,
        `a pyproject.toml with a PEP 621 [project] table; this one declares its dependencies in [tool.poetry.dependencies] (Poetry 1), which only Poetry reads: give its lock instead (requirements: ${poetryLock}), or move the project to Poetry 2's [project] table`
      )
    // PEP 735 lets a pyproject.toml hold only [dependency-groups], for projects that are not packages
    if (groupsTable === undefined || o.groups.length === 0 || o.extras.length > 0)
      throw new InputError(
        Inputs.Requirements,
        o.display,
        'a pyproject.toml with a [project] table (PEP 621) whose dependencies are listed in [project.dependencies], or with [dependency-groups] (PEP 735) named in groups; this one has no [project] table'
      )
  } else if (!isTable(project)) {
    throw new InputError(Inputs.Requirements, o.display, '[project] must be a table (PEP 621)')
  }
  const proj: Table = isTable(project) ? project : {}
  checkRequiresPython(proj, o)
  if (proj.name !== undefined && typeof proj.name !== 'string')
    throw new InputError(
      Inputs.Requirements,
      o.display,
      `a pyproject.toml whose [project] name is a string (PEP 621); found ${JSON.stringify(proj.name)}`
    )
  const self = typeof proj.name === 'string' ? normalizeProject(proj.name) : undefined
  if (proj.dynamic !== undefined && !Array.isArray(proj.dynamic))
    throw new InputError(
      Inputs.Requirements,
      o.display,
      `a pyproject.toml whose [project] dynamic is a list of field names (PEP 621); found ${JSON.stringify(proj.dynamic)}`
    )
  const dynamic = Array.isArray(proj.dynamic) ? proj.dynamic : []
  if (dynamic.includes('dependencies'))
    throw new InputError(
      Inputs.Requirements,
      o.display,
      `a pyproject.toml whose [project.dependencies] are written in the file: this one lists "dependencies" in project.dynamic, so only its build backend knows them; list them in [project.dependencies], or give ${poetry && 'dependencies' in poetry ? `its lock instead (requirements: ${poetryLock})` : 'a requirements file or a lock instead'}`
    )
  if (dynamic.includes('optional-dependencies') && o.extras.length > 0)
    throw new InputError(
      Inputs.Extras,
      o.extras.join(','),
      `extras written in ${o.display}: it lists "optional-dependencies" in project.dynamic, so only its build backend knows them; list them in [project.optional-dependencies], or give a lock instead`
    )

  const stringList = (value: unknown, where: string): string[] => {
    if (value === undefined) return []
    if (!Array.isArray(value) || !value.every(v => typeof v === 'string'))
      throw new InputError(
        Inputs.Requirements,
        o.display,
        `${where} must be a list of PEP 508 requirement strings`
      )
    return value as string[]
  }
  const dependencies = stringList(proj.dependencies, '[project] dependencies')

  const optional = proj['optional-dependencies']
  if (optional !== undefined && !isTable(optional))
    throw new InputError(
      Inputs.Requirements,
      o.display,
      '[project.optional-dependencies] must be a table of lists'
    )
  const extras = new Map<string, string[]>()
  for (const [name, list] of Object.entries(optional ?? {}))
    extras.set(normalizeProject(name), stringList(list, `[project.optional-dependencies] ${name}`))

  if (groupsTable !== undefined && !isTable(groupsTable))
    throw new InputError(
      Inputs.Requirements,
      o.display,
      '[dependency-groups] must be a table of lists (PEP 735)'
    )
  const groups = new Map<string, { name: string; entries: unknown }>()
  for (const [name, entries] of Object.entries(groupsTable ?? {}))
    groups.set(normalizeProject(name), { name, entries })
  return { self, dependencies, optional: optional as Table | undefined, extras, groups }
}

/** `[project] requires-python` that excludes the target runtime: an input error naming both. */
function checkRequiresPython(project: Table, o: PyprojectRequest): void {
  const spec = project['requires-python']
  if (spec === undefined || !o.python) return
  if (typeof spec !== 'string')
    throw new InputError(
      Inputs.Requirements,
      o.display,
      `a pyproject.toml whose [project] requires-python is a string of PEP 440 specifiers (">=3.10"); found ${JSON.stringify(spec)}`
    )
  let admits: boolean
  try {
    admits = specifierMatches(o.python.fullVersion, spec)
  } catch {
    throw new InputError(
      Inputs.Requirements,
      o.display,
      `a pyproject.toml whose [project] requires-python is PEP 440 specifiers (">=3.10"); ${JSON.stringify(spec)} does not parse`
    )
  }
  if (!admits)
    throw new InputError(
      Inputs.PythonVersion,
      o.python.version,
      `a Python that ${o.display} supports: its [project] requires-python = "${spec}" excludes Python ${o.python.fullVersion}, the python${o.python.version} Lambda runtime. Set python-version to a runtime it admits, or widen requires-python`
    )
}

/**
 * Relative local references made absolute against the pyproject's folder, since pip reads the
 * generated file elsewhere: `name @ file:` URLs with a relative path, PDM's `${PROJECT_ROOT}` and
 * Hatch's `{root:uri}` (PEP 508 has no relative form; these are what tools write instead).
 */
export function absolutePaths(requirement: string, directory: string): string {
  const root = pathToFileURL(directory).href
  const r = requirement
    .replace(/file:\/\/\/?\$\{PROJECT_ROOT\}/g, root)
    .replace(/\$\{PROJECT_ROOT\}/g, directory)
    .replace(/\{root:parent:uri\}/g, pathToFileURL(path.dirname(directory)).href)
    .replace(/\{root:uri\}/g, root)
  return r.replace(
    /(@\s*)file:(?!\/\/)(\S+)/,
    (_, at: string, rel: string) =>
      `${at}${pathToFileURL(path.resolve(directory, decodeURIComponent(rel))).href}`
  )
}

/** The generated requirements file: where it is and what it holds. */
export interface GeneratedRequirements {
  readonly file: string
  readonly requirements: readonly string[]
  /** the pyproject's text, for the wheel cache key */
  readonly pyproject: string
}

/** Reads the pyproject.toml and writes its requirements for the chosen extras and groups into `dir`. */
export async function writePyprojectRequirements(
  pyproject: string,
  o: Omit<PyprojectRequest, 'directory'> & { dir: string }
): Promise<GeneratedRequirements> {
  const text = await fs.readFile(pyproject, 'utf8')
  const requirements = pyprojectRequirements(text, { ...o, directory: path.dirname(pyproject) })
  const chosen = [
    o.extras.length > 0 ? `extras: ${o.extras.join(', ')}` : '',
    o.groups.length > 0 ? `groups: ${o.groups.join(', ')}` : ''
  ].filter(Boolean)
  const header = `# generated by layer-action from ${o.display}${chosen.length > 0 ? ` (${chosen.join('; ')})` : ''}`
  await fs.mkdir(o.dir, { recursive: true })
  const file = path.join(o.dir, 'requirements-from-pyproject.txt')
  await fs.writeFile(file, [header, ...requirements, ''].join('\n'))
  return { file, requirements, pyproject: text }
}
