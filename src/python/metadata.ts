/**
 * The fields of a distribution's core metadata (`*.dist-info/METADATA`, an RFC 822 header block;
 * packaging.python.org "Core metadata specifications") that the SBOM, the diff, the resolve
 * look-ahead and the pip-download fallback read. Pure.
 */

export interface CoreMetadata {
  /** as the distribution spells it */
  readonly name: string
  readonly version: string
  /** PEP 639 `License-Expression` (Metadata-Version 2.4) */
  readonly licenseExpression?: string
  /** the free-text `License` field: a name, an SPDX id, or the whole license text */
  readonly license?: string
  readonly classifiers: readonly string[]
  readonly requiresDist: readonly string[]
}

/** Headers end at the first empty line; the body (the long description) is never read. */
export function parseCoreMetadata(text: string): CoreMetadata | undefined {
  const fields: [string, string][] = []
  for (const line of text.replace(/\r\n?/g, '\n').split('\n')) {
    if (line === '') break
    // a folded line (RFC 822 continuation) belongs to the field above it
    if (/^[ \t]/.test(line) && fields.length > 0) {
      const last = fields[fields.length - 1]
      last[1] += `\n${line.replace(/^ {0,8}\|?/, '').replace(/^\t/, '')}`
      continue
    }
    const colon = line.indexOf(':')
    if (colon <= 0) continue
    fields.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()])
  }
  const one = (key: string) => fields.find(([k]) => k === key)?.[1].trim() || undefined
  const all = (key: string) => fields.filter(([k]) => k === key).map(([, v]) => v.trim())
  const name = one('name')
  const version = one('version')
  if (!name || !version) return undefined
  const license = one('license')
  return {
    name,
    version,
    ...optional('licenseExpression', one('license-expression')),
    // setuptools writes UNKNOWN for a missing license (Metadata-Version < 2.2)
    ...optional('license', license && license !== 'UNKNOWN' ? license : undefined),
    classifiers: all('classifier'),
    requiresDist: all('requires-dist')
  }
}

function optional<K extends string>(key: K, value: string | undefined) {
  return (value === undefined ? {} : { [key]: value }) as Partial<Record<K, string>>
}
