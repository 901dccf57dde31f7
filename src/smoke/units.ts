/**
 * The layer cut into the units a per-module verdict depends on: one per distribution (all the files
 * its wheel put in the layer, dist-info and vendored `.libs` included), and one per top-level tree
 * or file that no wheel owns (`include`). Each unit has an identity over its files' bytes; each
 * module, the units that own its files and those they declare in Requires-Dist (for the target).
 */
import { closeSync, openSync } from 'node:fs'
import type { LayerEntry } from '../assemble/entries'
import { requirementGraph } from '../python/graph'
import { parseCoreMetadata } from '../python/metadata'
import { normalizeProject } from '../python/names'
import { markerEnvironment, type Architecture, type Runtime } from '../runtimes'
import { readEntry } from '../zip/reader'
import { NEVER_IMPORTED, topLevelModules } from './modules'
import { digestOfLines, entryLine } from './verdict'

/** `pkg-1.0-py3-none-any.whl` (the wheel's file name), or `include:<top-level name>`. */
export function unitOf(e: LayerEntry): string {
  if (e.owner) return e.owner.wheel
  const slash = e.path.indexOf('/')
  return `include:${slash < 0 ? e.path : e.path.slice(0, slash)}`
}

const topOf = (p: string): string => {
  const slash = p.indexOf('/')
  return slash < 0 ? p : p.slice(0, slash)
}

/** The module a top-level path provides (`numpy/…` → numpy, `six.py` → six, `_cffi_backend.cpython-311-….so` → _cffi_backend). */
function moduleOfPath(p: string): string | undefined {
  return topLevelModules([p])[0]
}

export interface LayerUnits {
  /** unit → the SHA-256 of its files' path, size, mode and content */
  digests: Map<string, string>
  /** module → the units owning its files */
  own: Map<string, Set<string>>
  /** unit → every unit it requires, directly or not (Requires-Dist for the target, no extra) */
  requires: Map<string, Set<string>>
  /** a layer path (file or directory, relative to python/) → the units with files at or under it */
  at(path: string): Set<string> | undefined
  /** the layer's entries by unit */
  entries: Map<string, LayerEntry[]>
}

async function metadataOf(e: LayerEntry): Promise<string> {
  const s = e.source
  if (s.kind === 'bytes') return s.data.toString('utf8')
  if (s.kind === 'file') return ''
  const fd = openSync(s.wheel, 'r')
  try {
    return (await readEntry(fd, s.entry, s.wheel)).toString('utf8')
  } finally {
    closeSync(fd)
  }
}

/**
 * wheel → the wheels it requires, transitively, for the target. No extra counts as asked for (the
 * layer does not record which were): what an extra brings is only counted when an import reads it.
 */
async function declaredClosure(
  entries: readonly LayerEntry[],
  runtime: Runtime,
  architecture: Architecture
): Promise<Map<string, Set<string>>> {
  const metadata = entries.filter(e => e.owner && /^[^/]+\.dist-info\/METADATA$/.test(e.path))
  const nodes = await Promise.all(
    metadata.map(async e => {
      return {
        wheel: (e.owner as { wheel: string }).wheel,
        name: normalizeProject((e.owner as { name: string }).name),
        requiresDist: parseCoreMetadata(await metadataOf(e))?.requiresDist ?? []
      }
    })
  )
  const graph = requirementGraph(nodes, markerEnvironment(runtime, architecture))
  const wheelOf = new Map(nodes.map(n => [n.name, n.wheel]))
  const closure = new Map<string, Set<string>>()
  for (const n of nodes) {
    const seen = new Set<string>()
    const queue = [...(graph.get(n.name) ?? [])]
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      const wheel = wheelOf.get(name)
      if (!wheel || seen.has(wheel)) continue
      seen.add(wheel)
      queue.push(...(graph.get(name) ?? []))
    }
    closure.set(n.wheel, seen)
  }
  return closure
}

/** The units of a layer, their identities, which modules they hold and what they require. */
export async function layerUnits(
  entries: readonly LayerEntry[],
  runtime: Runtime,
  architecture: Architecture
): Promise<LayerUnits> {
  const byUnit = new Map<string, LayerEntry[]>()
  const own = new Map<string, Set<string>>()
  const under = new Map<string, Set<string>>()
  for (const e of entries) {
    const unit = unitOf(e)
    let list = byUnit.get(unit)
    if (!list) byUnit.set(unit, (list = []))
    list.push(e)
    const module = moduleOfPath(e.path)
    if (module) {
      if (!own.has(module)) own.set(module, new Set())
      ;(own.get(module) as Set<string>).add(unit)
    }
    // the file and every directory above it, up to its top-level name
    for (let p = e.path; p; p = p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '') {
      if (!under.has(p)) under.set(p, new Set())
      ;(under.get(p) as Set<string>).add(unit)
    }
  }
  const [digests, requires] = await Promise.all([
    Promise.all(
      [...byUnit].map(
        async ([unit, list]) =>
          [unit, digestOfLines(await Promise.all(list.map(entryLine)))] as const
      )
    ).then(pairs => new Map(pairs)),
    declaredClosure(entries, runtime, architecture)
  ])
  return { digests, own, requires, at: p => under.get(p), entries: byUnit }
}

/** The units a module's import can need before it is run: its own and all they require. */
export function declaredUnits(units: LayerUnits, module: string): Set<string> {
  const out = new Set<string>()
  for (const unit of units.own.get(module) ?? []) {
    out.add(unit)
    for (const required of units.requires.get(unit) ?? []) out.add(required)
  }
  return out
}

/**
 * The units the files an import was seen reading belong to (paths relative to python/; a directory
 * counts for every unit under it). python/ itself is listed by every import: it names no unit.
 */
export function observedUnits(units: LayerUnits, files: Iterable<string>): Set<string> {
  const out = new Set<string>()
  for (const f of files) for (const unit of units.at(f) ?? []) out.add(unit)
  return out
}

/**
 * The entries to extract for testing `modules` whose imports need `needed` units: every file of
 * those units, every file of any unit sharing a top-level name with them (a namespace package is
 * there whole or not at all), every `*.dist-info` and top-level file. Returns them with the
 * top-level names of the layer left out, which the importer watches for.
 */
export function partialExtraction(
  entries: readonly LayerEntry[],
  needed: ReadonlySet<string>
): { entries: LayerEntry[]; absent: string[] } {
  const tops = new Set<string>()
  for (const e of entries) if (needed.has(unitOf(e))) tops.add(topOf(e.path))
  const absent = new Set<string>()
  const chosen = entries.filter(e => {
    if (NEVER_IMPORTED.test(e.path)) return false
    const top = topOf(e.path)
    if (!e.path.includes('/') || top.endsWith('.dist-info') || tops.has(top)) return true
    absent.add(top)
    return false
  })
  return { entries: chosen, absent: [...absent].sort() }
}
