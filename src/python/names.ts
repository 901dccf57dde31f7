/** PEP 503 names; extras (PEP 685) and dependency groups (PEP 735) compare by the same rule. */
export function normalizeProject(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-')
}
