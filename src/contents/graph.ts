/**
 * The dependency graph of a set of distributions, from their `Requires-Dist` evaluated for the
 * Lambda target: for an input that records no graph (Pipfile.lock) and for wheels resolved before
 * the pinned set carries one. Only edges between distributions of the set are kept.
 */
import { evaluateMarker, MarkerSyntaxError } from '../python/markers'
import { normalizeProject } from '../python/wheel-tags'
import type { MarkerEnvironment } from '../runtimes'

export interface GraphNode {
  /** PEP 503 normalised */
  readonly key: string
  readonly requiresDist: readonly string[]
}

export interface Requirement {
  /** PEP 503 normalised */
  readonly key: string
  /** normalised (PEP 685) */
  readonly extras: readonly string[]
  readonly marker?: string
}

/** `name[extra,…] (specifier) ; marker` or `name @ url ; marker`: the parts the graph needs (PEP 508). */
const REQUIREMENT = /^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[([^\]]*)\])?(.*)$/s

export function parseRequirement(text: string): Requirement | undefined {
  const m = REQUIREMENT.exec(text)
  if (!m) return undefined
  const rest = m[3]
  // after a URL the marker needs a space before its `;` (a URL may hold `;`)
  const url = rest.trimStart().startsWith('@')
  const at = url ? rest.search(/\s;/) + 1 : rest.indexOf(';')
  const marker = at > 0 || (!url && at === 0) ? rest.slice(at + 1).trim() : ''
  return {
    key: normalizeProject(m[1]),
    extras: (m[2] ?? '')
      .split(',')
      .map(e => normalizeProject(e.trim()))
      .filter(Boolean),
    ...(marker ? { marker } : {})
  }
}

/**
 * key → the keys it requires, for the target. Extras one member asks of another (`requests[socks]`)
 * switch on that member's `extra == "socks"` requirements, until nothing new is switched on. A marker
 * that does not parse keeps its edge: a graph with one edge too many still shows why a package is there.
 */
export function requirementGraph(
  nodes: readonly GraphNode[],
  env: MarkerEnvironment
): Map<string, string[]> {
  const present = new Set(nodes.map(n => n.key))
  const parsed = new Map(
    nodes.map(n => [
      n.key,
      n.requiresDist.map(parseRequirement).filter((r): r is Requirement => r !== undefined)
    ])
  )
  const extrasOf = new Map<string, Set<string>>(nodes.map(n => [n.key, new Set<string>()]))
  const holds = (marker: string | undefined, extras: ReadonlySet<string>) => {
    if (!marker) return true
    try {
      return evaluateMarker(marker, { env, extras })
    } catch (error: unknown) {
      if (error instanceof MarkerSyntaxError) return true
      throw error
    }
  }
  let graph = new Map<string, string[]>()
  for (let changed = true; changed;) {
    changed = false
    graph = new Map()
    for (const node of nodes) {
      const edges = new Set<string>()
      for (const r of parsed.get(node.key) ?? []) {
        if (!present.has(r.key) || r.key === node.key) continue
        if (!holds(r.marker, extrasOf.get(node.key) ?? new Set())) continue
        edges.add(r.key)
        const asked = extrasOf.get(r.key)
        for (const extra of r.extras)
          if (asked && !asked.has(extra)) {
            asked.add(extra)
            changed = true
          }
      }
      graph.set(node.key, [...edges].sort())
    }
  }
  return graph
}
