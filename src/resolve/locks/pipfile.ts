/**
 * Pipfile.lock (pipfile-spec 6; read from pypa/pipenv's own Pipfile.lock and examples/Pipfile.lock):
 * JSON with `_meta.sources`, the `default` category, `develop` and custom categories. Each entry
 * pins `version: "==x"` and lists the `hashes` of every file of that version, not the files: the
 * files are found on the entry's `index` (a `_meta.sources` name) or `index-url`, and one is taken
 * only when its hash is among them. `default` is always taken; `develop` (named `dev`, `develop`
 * or `dev-packages` in groups) and custom categories only when named. Pipenv ≥ 2025 also writes
 * PEP 751 markers such as `'dev' in dependency_groups` into develop entries: they are evaluated
 * with the chosen categories as the groups.
 */
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
  parseJsonLock,
  skipLine,
  str,
  vcsError,
  where,
  type LockRequest,
  type LockSelection,
  type LockedPackage
} from './lock'
import {
  fieldError,
  isTable,
  optString,
  optStrings,
  optTable,
  optTables,
  type Place
} from './fields'

/** What users call the develop category (the Pipfile table, the lock key, PEP 735's usual name). */
const DEVELOP_ALIASES = ['dev', 'develop', 'dev-packages']

const isLocal = (entry: Record<string, unknown>): boolean =>
  typeof (entry.path ?? entry.file) === 'string' &&
  !/^https?:/.test(String(entry.path ?? entry.file))

/** Every field this reader takes, with the type pipenv writes. */
function checkFields(req: LockRequest, data: Record<string, unknown>, categories: string[]): void {
  const top: Place = { req, what: 'the top-level object', line: 1 }
  const meta = optTable(data, '_meta', top) ?? {}
  const metaAt: Place = { req, what: '"_meta"', line: lineOf(req.text, '"_meta"') }
  for (const s of optTables(meta, 'sources', metaAt)) {
    optString(s, 'name', { ...metaAt, what: '"_meta" "sources"' })
    optString(s, 'url', { ...metaAt, what: '"_meta" "sources"' })
  }
  for (const category of categories) {
    const table = optTable(data, category, top) ?? {}
    for (const [name, entry] of Object.entries(table)) {
      const at: Place = {
        req,
        what: `"${category}" package "${name}"`,
        line: packageLine(req, name)
      }
      if (!isTable(entry)) throw fieldError(at, name, 'an object', entry)
      for (const key of ['version', 'index', 'markers', 'path', 'file', 'git', 'hg', 'svn', 'bzr'])
        optString(entry, key, at)
      optStrings(entry, 'hashes', at)
    }
  }
}

export function readPipfileLock(req: LockRequest): LockSelection {
  const data = parseJsonLock(req, 'a Pipfile.lock')
  const meta = asRecord(data._meta)
  const spec = meta['pipfile-spec']
  if (spec !== 6)
    throw new InputError(
      Inputs.Requirements,
      where(req, lineOf(req.text, '"pipfile-spec"')),
      `a Pipfile.lock of pipfile-spec 6 (pipenv 2018 and later); this one says ${JSON.stringify(spec ?? 'nothing')}. Re-lock with a current pipenv (pipenv lock)`
    )
  if (req.extras.length > 0)
    throw new InputError(
      Inputs.Extras,
      req.extras.join(','),
      `nothing with ${req.display}: Pipfile.lock records no extras (pipenv locks each package's extras into the package list); choose categories with groups`
    )
  const categories = Object.keys(data).filter(k => k !== '_meta')
  checkFields(req, data, categories)
  const named = categories.filter(c => c !== 'default')
  const chosen = new Set(['default'])
  const unknown: string[] = []
  for (const g of req.groups) {
    const n = normalizeProject(g)
    const match =
      DEVELOP_ALIASES.includes(n) && categories.includes('develop')
        ? 'develop'
        : named.find(c => normalizeProject(c) === n)
    if (match) chosen.add(match)
    else unknown.push(g)
  }
  if (unknown.length > 0)
    throw new InputError(
      Inputs.Groups,
      unknown.join(','),
      `categories that ${req.display} defines: ${named.map(c => (c === 'develop' ? 'develop (or dev)' : c)).join(', ') || 'none'} (default is always installed)`
    )
  // markers like `'dev' in dependency_groups`: the chosen categories, develop also as `dev`
  const groupSet = new Set(
    [...chosen].flatMap(c => (c === 'develop' ? DEVELOP_ALIASES : [normalizeProject(c)]))
  )

  // as pipenv does: ${VAR}, $VAR and %VAR% in a source URL come from the environment (credentials)
  const expand = (url: string): string =>
    url.replace(
      /\$\{(\w+)\}|\$(\w+)|%(\w+)%/g,
      (m: string, a?: string, b?: string, c?: string) => req.environ?.[a ?? b ?? c ?? ''] ?? m
    )
  const sources = new Map<string, string>()
  for (const s of asArray(meta.sources)) {
    if (str(s.name) && str(s.url)) sources.set(str(s.name) as string, expand(str(s.url) as string))
  }
  const firstSource = asArray(meta.sources)
    .map(s => str(s.url))
    .filter((u): u is string => !!u)
    .map(expand)[0]

  const selected = new Map<string, LockedPackage>()
  const skipped: string[] = []
  for (const category of categories) {
    for (const [rawName, value] of Object.entries(asRecord(data[category]))) {
      const entry = asRecord(value)
      const name = normalizeProject(rawName)
      const version = (str(entry.version) ?? '').replace(/^==/, '')
      if (!chosen.has(category)) {
        if (!selected.has(name))
          skipped.push(skipLine(name, version, `only in category ${category}, not named in groups`))
        continue
      }
      const earlier = selected.get(name)
      if (earlier) {
        if (earlier.version !== version && !isLocal(entry))
          throw new InputError(
            Inputs.Requirements,
            where(req, packageLine(req, rawName)),
            `a Pipfile.lock with one version of each package: ${rawName} is ${earlier.version} in one chosen category and ${version} in ${category}. Re-lock (pipenv lock)`
          )
        continue
      }
      if (entry.git || entry.hg || entry.svn || entry.bzr)
        throw vcsError(req, rawName, String(entry.git ?? entry.hg ?? entry.svn ?? entry.bzr))
      const marker = str(entry.markers)
      if (!markerHolds(req, marker, rawName, { groups: groupSet })) {
        skipped.push(skipLine(name, version, markerReason([marker])))
        continue
      }
      const local = str(entry.path) ?? str(entry.file)
      if (local && !/^https?:/.test(local)) {
        selected.set(name, { name, version, files: [], directory: localPath(req, local) })
        continue
      }
      if (!str(entry.version))
        throw new InputError(
          Inputs.Requirements,
          where(req, packageLine(req, rawName)),
          `a Pipfile.lock whose entries pin "version": "==x"; ${rawName} in ${category} has none`
        )
      const hashes: Record<string, string[]> = {}
      for (const h of (entry.hashes as string[] | undefined) ?? []) {
        for (const [alg, values] of Object.entries(parseHash(h)))
          hashes[alg] = [...(hashes[alg] ?? []), ...values]
      }
      const index =
        req.indexUrl ||
        (str(entry.index) && sources.get(str(entry.index) as string)) ||
        firstSource ||
        PYPI_SIMPLE
      selected.set(name, {
        name,
        version,
        files: [],
        hashesOnly: hashes,
        index,
        line: packageLine(req, rawName)
      })
    }
  }
  const taken = [...chosen].map(c => (c === 'default' ? 'default packages' : `category ${c}`))
  return {
    packages: [...selected.values()],
    // pipenv records no graph: every package counts as asked for
    graph: false,
    skipped: skipped.filter(line => !selected.has(line.split(' ')[0])),
    summary: `${req.display} (pipfile-spec 6): ${taken.join(' + ')}`
  }
}
