/**
 * What the layer ships, as markdown: its size against the compared version and against Lambda's
 * limit, and the packages added, removed and changed. The job summary and the pull-request comment
 * show the same tables.
 */
import { formatBytes, LAMBDA_UNZIPPED_LIMIT } from '../assemble/size'
import { compareVersions, parseVersion } from '../python/pep440'
import { code, escapeMarkdown } from '../markdown'
import { plural } from '../words'
import type { ComparedLayer } from './compared'
import { hasChanges, type Changes } from './diff'

export interface ContentsView {
  readonly zipSize: number
  readonly unzippedSize: number
  /** distributions in this layer */
  readonly packages: number
  readonly compared?: ComparedLayer
  readonly changes?: Changes
  /** why nothing was compared */
  readonly notCompared?: string
}

/** Rows past this are summed up in one line: a comment holds at most 65,536 characters. */
const ROWS_MAX = 150

export function contentsMarkdown(v: ContentsView): string[] {
  const c = v.compared
  const name = c ? code(shortArn(c.layerVersionArn)) : ''
  const lines = [
    `| | This build${c ? ` | ${name} | Change` : ''} |`,
    `|---|---:${c ? '|---:|---:' : ''}|`,
    sizeRow('Zipped', v.zipSize, c?.codeSize),
    sizeRow(
      'Unzipped',
      v.unzippedSize,
      c?.unzippedSize,
      ` · ${percent(v.unzippedSize / LAMBDA_UNZIPPED_LIMIT)} of Lambda's ${formatBytes(LAMBDA_UNZIPPED_LIMIT)}`
    ),
    ''
  ]
  if (!c || !v.changes) {
    lines.push(
      `${plural(v.packages, 'package')}. Not compared: ${v.notCompared ?? 'compare-with: none'}.`,
      ''
    )
    return lines
  }
  if (c.source === 'identical') {
    lines.push(`The same zip as ${name} (CodeSha256 ${code(c.codeSha256)}): nothing changed.`, '')
    return lines
  }
  if (!hasChanges(v.changes)) {
    lines.push(`The same ${plural(v.packages, 'package')} as ${name}.`, '')
    return lines
  }
  const { added, removed, changed } = v.changes
  lines.push(
    `**${[
      changed.length ? `${changed.length} changed` : '',
      added.length ? `${added.length} added` : '',
      removed.length ? `${removed.length} removed` : ''
    ]
      .filter(Boolean)
      .join(', ')}** since ${name} (${plural(v.packages, 'package')} now)`,
    ''
  )
  const rows = [
    ...changed.map(p => [p.name, p.from, p.to, direction(p.from, p.to)]),
    ...added.map(p => [p.name, '—', p.version, 'added']),
    ...removed.map(p => [p.name, p.version, '—', 'removed'])
  ].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
  lines.push('| Package | Before | After | |', '|---|---|---|---|')
  for (const [pkg, before, after, what] of rows.slice(0, ROWS_MAX))
    lines.push(`| ${cell(pkg)} | ${cell(before)} | ${cell(after)} | ${what} |`)
  if (rows.length > ROWS_MAX) lines.push(`| … and ${rows.length - ROWS_MAX} more | | | |`)
  lines.push('')
  return lines
}

function sizeRow(label: string, now: number, before: number | undefined, note = ''): string {
  const after = `${formatBytes(now)}${note}`
  if (before === undefined) return `| ${label} | ${after} |`
  const delta = now - before
  const sign = delta > 0 ? '+' : delta < 0 ? '−' : '±'
  const relative = before > 0 && delta !== 0 ? ` (${sign}${percent(Math.abs(delta) / before)})` : ''
  return `| ${label} | ${after} | ${formatBytes(before)} | ${sign}${formatBytes(Math.abs(delta))}${relative} |`
}

function direction(from: string, to: string): string {
  if (!parseVersion(from) || !parseVersion(to)) return 'changed'
  const order = compareVersions(from, to)
  return order < 0 ? 'upgraded' : order > 0 ? 'downgraded' : 'changed'
}

function percent(ratio: number): string {
  return `${(100 * ratio).toFixed(ratio < 0.1 ? 1 : 0)}%`
}

/** `arn:…:layer:common-dev:7` → `common-dev:7` */
export function shortArn(arn: string): string {
  return arn.split(':').slice(6).join(':') || arn
}

/** Versions come from METADATA files, possibly of a layer built by anyone: one line, escaped. */
function cell(text: string): string {
  return escapeMarkdown(text.replace(/\s+/g, ' '))
}

/** The job summary's section: what the layer ships and what changed. */
export function contentsSummary(v: ContentsView | undefined, sbomPath?: string): string[] {
  if (!v) return []
  const title = v.compared
    ? `What changed since ${code(shortArn(v.compared.layerVersionArn))}`
    : 'What the layer ships'
  return [
    `### ${title}`,
    '',
    ...(v.compared ? [`Compared with ${code(v.compared.layerVersionArn)}.`, ''] : []),
    ...contentsMarkdown(v),
    ...(sbomPath ? [`SBOM (CycloneDX 1.6): ${code(sbomPath)}`, ''] : [])
  ]
}
