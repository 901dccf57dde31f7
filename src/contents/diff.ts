/** What changed between two layers' distributions: the `changes` output. Pure. */

/** One distribution as the diff sees it. */
export interface NamedVersion {
  /** PEP 503 normalised */
  readonly name: string
  readonly version: string
}

export interface Changes {
  /** the layer version ARN compared with */
  readonly 'compared-with': string
  readonly added: readonly NamedVersion[]
  readonly removed: readonly NamedVersion[]
  readonly changed: readonly { name: string; from: string; to: string }[]
}

/**
 * Names sorted. A layer this action did not build may hold one project twice (two dist-info
 * directories): its versions are listed together, `1.0, 2.0`, rather than one picked.
 */
export function diffPackages(
  comparedWith: string,
  before: readonly NamedVersion[],
  after: readonly NamedVersion[]
): Changes {
  const old = versions(before)
  const now = versions(after)
  const names = [...new Set([...old.keys(), ...now.keys()])].sort()
  const added: NamedVersion[] = []
  const removed: NamedVersion[] = []
  const changed: { name: string; from: string; to: string }[] = []
  for (const name of names) {
    const from = old.get(name)
    const to = now.get(name)
    if (from === undefined && to !== undefined) added.push({ name, version: to })
    else if (to === undefined && from !== undefined) removed.push({ name, version: from })
    else if (from !== to && from !== undefined && to !== undefined) changed.push({ name, from, to })
  }
  return { 'compared-with': comparedWith, added, removed, changed }
}

export function hasChanges(c: Changes): boolean {
  return c.added.length + c.removed.length + c.changed.length > 0
}

function versions(list: readonly NamedVersion[]): Map<string, string> {
  const all = new Map<string, Set<string>>()
  for (const p of list) all.set(p.name, (all.get(p.name) ?? new Set()).add(p.version))
  return new Map([...all].map(([name, set]) => [name, [...set].sort().join(', ')]))
}
