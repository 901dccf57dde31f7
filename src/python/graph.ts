/**
 * The dependency graph of a set of distributions, for the target: a `Requires-Dist` counts when its
 * marker holds with the extras its distribution was asked for (by the user, or by the requirement
 * that pulled it in: `requests[socks]` switches on requests' `extra == "socks"` lines). Only edges
 * between members of the set are kept. Used for pip's report, and for inputs that record no graph.
 */
import type { MarkerEnvironment } from '../runtimes'
import { MarkerSyntaxError, evaluateMarker } from './markers'
import { parseRequirement } from './requirements'

export interface GraphNode {
  /** PEP 503 normalised */
  readonly name: string
  readonly requiresDist: readonly string[]
  /** the extras the user asked of it */
  readonly extras?: readonly string[]
}

/** name → the names it requires, sorted. A marker that does not parse keeps its edge: pip installed it. */
export function requirementGraph(
  nodes: readonly GraphNode[],
  env: MarkerEnvironment
): Map<string, string[]> {
  const byName = new Map(nodes.map(n => [n.name, n]))
  const extras = new Map(nodes.map(n => [n.name, new Set(n.extras ?? [])]))
  const edges = new Map(nodes.map(n => [n.name, new Set<string>()]))
  const queue = nodes.map(n => n.name)
  while (queue.length > 0) {
    const name = queue.shift() as string
    const active = extras.get(name) as Set<string>
    for (const line of (byName.get(name) as GraphNode).requiresDist) {
      const req = parseRequirement(line)
      if (!req || !byName.has(req.project) || req.project === name) continue
      if (!requirementHolds(req.marker, env, active)) continue
      ;(edges.get(name) as Set<string>).add(req.project)
      const theirs = extras.get(req.project) as Set<string>
      const before = theirs.size
      for (const e of req.extras) theirs.add(e)
      if (theirs.size > before) queue.push(req.project)
    }
  }
  return new Map([...edges].map(([name, to]) => [name, [...to].sort()]))
}

/**
 * Whether a Requires-Dist marker holds for the target with these extras; an empty one does. A
 * marker that does not parse holds: pip installed what it guards.
 */
export function requirementHolds(
  marker: string,
  env: MarkerEnvironment,
  extras: ReadonlySet<string>
): boolean {
  if (!marker) return true
  try {
    return evaluateMarker(marker, { env, extras })
  } catch (error: unknown) {
    if (error instanceof MarkerSyntaxError) return true
    throw error
  }
}
