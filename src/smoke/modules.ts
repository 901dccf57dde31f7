/**
 * What the smoke test imports, read from the layer's entry names before anything is extracted: the
 * importable top-level names of python/, and the files those imports can need.
 */
import { promises as fs } from 'node:fs'
import type { LayerEntry } from '../assemble/entries'

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/
/** Top-level names that are not the layer's modules: pip's scripts and data, and stray test/doc trees some wheels install. */
export const NOT_MODULES = new Set([
  'bin',
  '__pycache__',
  'tests',
  'test',
  'docs',
  'examples',
  'benchmarks',
  'setup',
  'conftest'
])

/** The module a top-level name of python/ provides: a package (with or without __init__.py), *.py, an extension module. */
function moduleOf(name: string, isDirectory: boolean): string | undefined {
  let module: string | undefined
  if (isDirectory) module = name
  else if (name.endsWith('.py')) module = name.slice(0, -3)
  else if (name.endsWith('.so')) module = name.split('.')[0]
  // *.dist-info, *.libs, *.data and foo-stubs fail IDENTIFIER: they are not importable names
  return module && IDENTIFIER.test(module) && !NOT_MODULES.has(module) ? module : undefined
}

/** The importable top-level names among entry paths (`/`-separated, relative to python/), sorted. */
export function topLevelModules(paths: readonly string[]): string[] {
  const names = new Set<string>()
  for (const p of paths) {
    const slash = p.indexOf('/')
    const module = moduleOf(slash < 0 ? p : p.slice(0, slash), slash >= 0)
    if (module) names.add(module)
  }
  return [...names].sort()
}

/** The importable top-level names of an extracted python/ directory, sorted. */
export async function layerModules(pythonDir: string): Promise<string[]> {
  const names = new Set<string>()
  for (const entry of await fs.readdir(pythonDir, { withFileTypes: true })) {
    const module = moduleOf(entry.name, entry.isDirectory())
    if (module) names.add(module)
  }
  return [...names].sort()
}

/**
 * Files no import executes or reads: C and Cython sources and headers, static libraries, type stubs
 * (what slim leaves of them). Not extracted for the smoke test; the zip keeps them.
 */
export const NEVER_IMPORTED = /\.(?:c|cc|cpp|cxx|h|hh|hpp|pxd|pxi|pyx|a|pyi)$/

/**
 * The entries the imports of `modules` can need: the modules' own trees, the shared libraries that
 * auditwheel vendors beside them (`numpy.libs/`, found through their rpath), every `*.dist-info`
 * (importlib.metadata reads it at import) and every top-level file. Left out: the other top-level
 * trees (`bin/`, `foo-stubs/`), which nothing imports, and files of the kinds no import reads.
 */
export function entriesForImport(
  entries: readonly LayerEntry[],
  modules: readonly string[]
): LayerEntry[] {
  const wanted = new Set(modules)
  return entries.filter(e => {
    if (NEVER_IMPORTED.test(e.path)) return false
    const slash = e.path.indexOf('/')
    const top = slash < 0 ? e.path : e.path.slice(0, slash)
    if (slash < 0 || top.endsWith('.libs') || top.endsWith('.dist-info')) return true
    const module = moduleOf(top, true)
    return module !== undefined && wanted.has(module)
  })
}

/** Bytes under each top-level module: the order to import in, heaviest first, so no big one starts last. */
export function moduleWeights(entries: readonly LayerEntry[]): Map<string, number> {
  const weights = new Map<string, number>()
  for (const e of entries) {
    const slash = e.path.indexOf('/')
    const module = moduleOf(slash < 0 ? e.path : e.path.slice(0, slash), slash >= 0)
    if (module) weights.set(module, (weights.get(module) ?? 0) + e.size)
  }
  return weights
}
