/**
 * What never runs on Lambda, removed from python/ before zipping. Every rule carries the reason it
 * is safe (users see it in the summary). `*.dist-info` is never touched by a rule:
 * importlib.metadata reads it at runtime.
 */
import * as core from '@actions/core'
import { promises as fs, type Dirent } from 'node:fs'
import * as path from 'node:path'
import { formatBytes } from './size'
import { compileGlob, type Glob } from './glob'

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
  applies(entry: Entry): boolean | Promise<boolean>
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

/** Whether a directory holds a test suite: pytest files anywhere inside it. */
async function holdsTestSuite(dir: string): Promise<boolean> {
  const names = await fs.readdir(dir, { recursive: true })
  return names.some(n =>
    /(^|\/)(test_[^/]*\.py|[^/]*_test\.py|conftest\.py)$/.test(n.split(path.sep).join('/'))
  )
}

function slimRules(pythonDir: string): Rule[] {
  return [
    {
      rule: 'bytecode: __pycache__/, *.pyc beside its .py, *.pyo',
      reason:
        "compiled for the Python that built the layer, not for Lambda's: Python 3 never loads a .pyc " +
        'beside its .py nor any .pyo, and recompiles a __pycache__ entry whose version or source differs ' +
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
        holdsTestSuite(path.join(pythonDir, e.rel))
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
    },
    {
      rule: 'console scripts: python/bin/',
      reason:
        "scripts pip wrote with the build runner's interpreter in their #! line; Lambda never puts " +
        '/opt/python/bin on PATH, and the modules they call stay importable',
      applies: e => e.isDirectory && e.rel === 'bin'
    }
  ]
}

/** Files and bytes under a path (the path itself when it is a file). */
async function measure(target: string): Promise<{ files: number; bytes: number }> {
  const stat = await fs.lstat(target)
  if (!stat.isDirectory()) return { files: 1, bytes: stat.size }
  let files = 0
  let bytes = 0
  for (const entry of await fs.readdir(target, { withFileTypes: true })) {
    const m = await measure(path.join(target, entry.name))
    files += m.files
    bytes += m.bytes
  }
  return { files, bytes }
}

/**
 * Removes from python/ what never runs on Lambda (when `slim`) and whatever the `exclude` globs
 * match (always; a directory that matches goes whole).
 */
export async function slimLayer(
  pythonDir: string,
  o: { slim: boolean; exclude: readonly string[] }
): Promise<SlimReport> {
  const rules = o.slim ? slimRules(pythonDir) : []
  const globs: Glob[] = o.exclude
    .map(p => p.trim())
    .filter(Boolean)
    .map(compileGlob)
  const tally = new Map<string, SlimRuleReport>()
  const excludedDistInfo: string[] = []

  const remove = async (entry: Entry, rule: string, reason: string): Promise<void> => {
    const target = path.join(pythonDir, entry.rel)
    const { files, bytes } = await measure(target)
    await fs.rm(target, { recursive: true, force: true })
    const t = tally.get(rule) ?? { rule, reason, files: 0, bytes: 0 }
    t.files += files
    t.bytes += bytes
    tally.set(rule, t)
  }

  const visit = async (rel: string, insideDistInfo: boolean): Promise<void> => {
    const dir = path.join(pythonDir, rel)
    const dirents: Dirent[] = await fs.readdir(dir, { withFileTypes: true })
    dirents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    const siblings = new Set(dirents.map(d => d.name))
    for (const d of dirents) {
      const entry: Entry = {
        rel: rel ? `${rel}/${d.name}` : d.name,
        name: d.name,
        isDirectory: d.isDirectory(),
        siblings
      }
      const glob = globs.find(g => g.matches(entry.rel, entry.isDirectory))
      if (glob) {
        if (entry.isDirectory && entry.name.endsWith('.dist-info')) excludedDistInfo.push(entry.rel)
        await remove(entry, `exclude: ${glob.pattern}`, "matches a pattern of the 'exclude' input")
        continue
      }
      const distInfo = insideDistInfo || (entry.isDirectory && entry.name.endsWith('.dist-info'))
      let removed = false
      if (!distInfo) {
        for (const rule of rules) {
          if (await rule.applies(entry)) {
            await remove(entry, rule.rule, rule.reason)
            removed = true
            break
          }
        }
      }
      if (!removed && entry.isDirectory) await visit(entry.rel, distInfo)
    }
  }

  await visit('', false)

  if (excludedDistInfo.length > 0) {
    core.warning(
      `'exclude' removed ${excludedDistInfo.length} *.dist-info director${excludedDistInfo.length === 1 ? 'y' : 'ies'} ` +
        `(${excludedDistInfo.slice(0, 3).join(', ')}${excludedDistInfo.length > 3 ? ', …' : ''}): ` +
        'importlib.metadata.version() and entry points of those packages will fail on Lambda.'
    )
  }
  for (const g of globs) {
    if (![...tally.keys()].includes(`exclude: ${g.pattern}`)) {
      core.info(
        `exclude pattern '${g.pattern}' matched nothing under python/ (patterns are relative to python/; use **/ to match at any depth)`
      )
    }
  }
  // largest saving first: the order a summary shows them in
  const byRule = [...tally.values()].sort(
    (a, b) => b.bytes - a.bytes || a.rule.localeCompare(b.rule)
  )
  for (const r of byRule) core.info(`Removed ${r.files} files (${formatBytes(r.bytes)}): ${r.rule}`)
  return {
    removedFiles: byRule.reduce((n, r) => n + r.files, 0),
    removedBytes: byRule.reduce((n, r) => n + r.bytes, 0),
    byRule
  }
}
