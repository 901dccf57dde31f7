/**
 * What never runs on Lambda, left out of the layer. Every rule carries the reason it is safe (users
 * see it in the summary). The rules work on the layer's entry names (`/`-separated paths relative to
 * python/), before anything is written: a directory is every entry under its path. `*.dist-info` is
 * never touched by a rule: importlib.metadata reads it at runtime.
 */
import * as core from '@actions/core'
import { plural } from '../words'
import { formatBytes } from './size'
import { compileGlob, type Glob } from './glob'
import type { LeftOutEntry } from './entries'

export interface SlimRuleReport {
  rule: string
  reason: string
  files: number
  bytes: number
}

export interface SlimReport {
  removedFiles: number
  removedBytes: number
  byRule: SlimRuleReport[]
}

interface Entry {
  /** `/`-separated path relative to python/ */
  rel: string
  name: string
  isDirectory: boolean
  /** names in the same directory, for rules that look at a file's neighbours */
  siblings: ReadonlySet<string>
}

interface Rule {
  rule: string
  reason: string
  applies(entry: Entry): boolean
}

const EXTENSION_MODULE = /^([^.]+)\.(?:[^.]+\.)?(so|pyd)$/

/** Whether a compiled extension module named `stem` (`stem.cpython-312-x86_64-linux-gnu.so`, `stem.abi3.so`, `stem.so`) sits beside. */
function hasExtensionModule(siblings: ReadonlySet<string>, stem: string): boolean {
  for (const s of siblings) {
    const m = EXTENSION_MODULE.exec(s)
    if (m && m[1] === stem) return true
  }
  return false
}

const stemOf = (name: string): string => name.slice(0, name.lastIndexOf('.'))

const PYTEST_FILE = /(^|\/)(test_[^/]*\.py|[^/]*_test\.py|conftest\.py)$/

function slimRules(tree: Tree): Rule[] {
  return [
    {
      rule: 'bytecode: __pycache__/, *.pyc beside its .py, *.pyo',
      reason:
        "compiled by whatever Python made the wheel or ran your code, not necessarily Lambda's: " +
        'Python 3 never loads a .pyc beside its .py nor any .pyo, and recompiles a __pycache__ entry ' +
        'whose version or source differs ' +
        '(a .pyc without its source is kept: it may be the only copy of that module)',
      applies: e =>
        (e.isDirectory && e.name === '__pycache__') ||
        (!e.isDirectory && e.name.endsWith('.pyo')) ||
        (!e.isDirectory && e.name.endsWith('.pyc') && e.siblings.has(`${stemOf(e.name)}.py`))
    },
    {
      rule: 'test suites: tests/ and test/ inside a package',
      reason:
        "a package's own test suite (it holds test_*.py or conftest.py files) is only imported by " +
        'pytest; a test/ directory without such files (django.test is a runtime module) and top-level ' +
        'test packages (they may be your own code) are kept',
      applies: e =>
        e.isDirectory &&
        (e.name === 'tests' || e.name === 'test') &&
        e.rel.includes('/') &&
        tree.testSuites.has(e.rel)
    },
    {
      rule: 'type stubs: *.pyi beside their module, py.typed',
      reason:
        'type information for editors and type checkers: the import system never reads a .pyi or ' +
        'py.typed (stubs without a module beside them are kept, as some tools read those as data)',
      applies: e => {
        if (e.isDirectory) return false
        if (e.name === 'py.typed') return true
        if (!e.name.endsWith('.pyi')) return false
        const stem = stemOf(e.name)
        return (
          e.siblings.has(`${stem}.py`) ||
          e.siblings.has(stem) ||
          hasExtensionModule(e.siblings, stem)
        )
      }
    },
    {
      rule: 'extension sources: *.c, *.cpp, *.pyx beside their compiled module',
      reason:
        'the source a compiled extension module beside it was built from: Lambda imports the .so and ' +
        'has no compiler to use the source (headers and .pxd files are kept: cffi and Cython read them)',
      applies: e =>
        !e.isDirectory &&
        /\.(c|cc|cpp|cxx|pyx)$/.test(e.name) &&
        hasExtensionModule(e.siblings, stemOf(e.name))
    }
  ]
}

/** Left out of every layer, slim or not: pip installs these outside site-packages. */
export const WHEEL_DATA_RULE = {
  rule: 'wheel data outside site-packages: <name>.data/scripts, headers, data',
  reason:
    "what a wheel installs into a prefix's bin/, include/ or share/: scripts that would need pip to " +
    "rewrite their #! line for the build runner's interpreter, C headers and data files; Lambda never " +
    'runs or reads them from /opt/python (console-script wrappers of entry points are not written either; ' +
    'the modules they call stay importable)'
}

/** The layer's directory tree, from its file paths. */
interface Tree {
  /** directory → its children (name → is a directory) */
  readonly children: Map<string, Map<string, boolean>>
  /** directory → files and bytes under it */
  readonly totals: Map<string, { files: number; bytes: number }>
  /** directories with a pytest file anywhere under them */
  readonly testSuites: Set<string>
}

function treeOf(entries: readonly { path: string; size: number }[]): Tree {
  const children = new Map<string, Map<string, boolean>>([['', new Map()]])
  const totals = new Map<string, { files: number; bytes: number }>()
  const testSuites = new Set<string>()
  for (const e of entries) {
    const parts = e.path.split('/')
    const test = PYTEST_FILE.test(e.path)
    let dir = ''
    for (let i = 0; i < parts.length; i++) {
      const last = i === parts.length - 1
      let kids = children.get(dir)
      if (!kids) children.set(dir, (kids = new Map()))
      kids.set(parts[i], !last || kids.get(parts[i]) === true)
      const total = totals.get(dir) ?? { files: 0, bytes: 0 }
      total.files++
      total.bytes += e.size
      totals.set(dir, total)
      if (test && dir) testSuites.add(dir)
      if (!last) dir = dir ? `${dir}/${parts[i]}` : parts[i]
    }
  }
  return { children, totals, testSuites }
}

/**
 * What stays in the layer: everything but what never runs on Lambda (when `slim`) and whatever the
 * `exclude` globs match (always; a directory that matches goes whole). `leftOut` (wheel data outside
 * site-packages) is counted in the report under its own rule.
 */
export function slimEntries<T extends { readonly path: string; readonly size: number }>(
  entries: readonly T[],
  o: { slim: boolean; exclude: readonly string[]; leftOut?: readonly LeftOutEntry[] }
): { kept: T[]; report: SlimReport } {
  const tree = treeOf(entries)
  const rules = o.slim ? slimRules(tree) : []
  const globs: Glob[] = o.exclude
    .map(p => p.trim())
    .filter(Boolean)
    .map(compileGlob)
  const tally = new Map<string, SlimRuleReport>()
  const excludedDistInfo: string[] = []
  const removed = new Set<string>()

  const count = (rule: string, reason: string, files: number, bytes: number): void => {
    const t = tally.get(rule) ?? { rule, reason, files: 0, bytes: 0 }
    t.files += files
    t.bytes += bytes
    tally.set(rule, t)
  }
  const sizes = new Map(entries.map(e => [e.path, e.size]))
  const remove = (entry: Entry, rule: string, reason: string): void => {
    removed.add(entry.rel)
    const m = entry.isDirectory
      ? (tree.totals.get(entry.rel) ?? { files: 0, bytes: 0 })
      : { files: 1, bytes: sizes.get(entry.rel) ?? 0 }
    count(rule, reason, m.files, m.bytes)
  }

  const visit = (rel: string, insideDistInfo: boolean): void => {
    const kids = tree.children.get(rel) ?? new Map<string, boolean>()
    const names = [...kids.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    const siblings = new Set(names)
    for (const name of names) {
      const entry: Entry = {
        rel: rel ? `${rel}/${name}` : name,
        name,
        isDirectory: kids.get(name) === true,
        siblings
      }
      const glob = globs.find(g => g.matches(entry.rel, entry.isDirectory))
      if (glob) {
        if (entry.isDirectory && entry.name.endsWith('.dist-info')) excludedDistInfo.push(entry.rel)
        remove(entry, `exclude: ${glob.pattern}`, "matches a pattern of the 'exclude' input")
        continue
      }
      const distInfo = insideDistInfo || (entry.isDirectory && entry.name.endsWith('.dist-info'))
      const rule = distInfo ? undefined : rules.find(r => r.applies(entry))
      if (rule) remove(entry, rule.rule, rule.reason)
      else if (entry.isDirectory) visit(entry.rel, distInfo)
    }
  }
  visit('', false)
  for (const l of o.leftOut ?? []) count(WHEEL_DATA_RULE.rule, WHEEL_DATA_RULE.reason, 1, l.size)

  if (excludedDistInfo.length > 0) {
    core.warning(
      `'exclude' removed ${excludedDistInfo.length} *.dist-info director${excludedDistInfo.length === 1 ? 'y' : 'ies'} ` +
        `(${excludedDistInfo.slice(0, 3).join(', ')}${excludedDistInfo.length > 3 ? ', …' : ''}): ` +
        'importlib.metadata.version() and entry points of those packages will fail on Lambda.'
    )
  }
  for (const g of globs) {
    if (!tally.has(`exclude: ${g.pattern}`)) {
      core.info(
        `exclude pattern '${g.pattern}' matched nothing under python/ (patterns are relative to python/; use **/ to match at any depth)`
      )
    }
  }
  // largest saving first: the order a summary shows them in
  const byRule = [...tally.values()].sort(
    (a, b) => b.bytes - a.bytes || a.rule.localeCompare(b.rule)
  )
  for (const r of byRule)
    core.info(`Left out ${plural(r.files, 'file')} (${formatBytes(r.bytes)}): ${r.rule}`)
  const gone = (p: string): boolean => {
    for (let i = p.length; i > 0; i = p.lastIndexOf('/', i - 1)) {
      if (removed.has(p.slice(0, i))) return true
    }
    return false
  }
  return {
    kept: removed.size === 0 ? [...entries] : entries.filter(e => !gone(e.path)),
    report: {
      removedFiles: byRule.reduce((n, r) => n + r.files, 0),
      removedBytes: byRule.reduce((n, r) => n + r.bytes, 0),
      byRule
    }
  }
}
