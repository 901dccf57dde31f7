/** The run's results as step outputs and a job summary. Outputs are set together, at the end. */
import * as core from '@actions/core'
import { Outputs } from './constants'
import type { ActionInputs } from './inputs'
import type { Plan } from './plan'
import type { BuiltLayer } from './assemble/layer'
import type { SmokeResult } from './smoke/smoke'
import type { ZipResult } from './assemble/zip'
import type { DeliveryResult } from './deliver/deliver'
import type { TagOutcome } from './release/release'
import type { GitHubReleaseResult } from './release/github'
import { HealthCheckError } from './deliver/health'
import { messageOf } from './errors'
import type { BuiltSource } from './resolve/sources'
import { formatChangelog } from './release/changelog'
import { formatBytes, LAMBDA_UNZIPPED_LIMIT } from './assemble/size'

export interface RunResult {
  inputs: ActionInputs
  plan: Plan
  layer: BuiltLayer
  smoke?: SmokeResult
  zip: ZipResult
  /** one per region, the primary first; empty when publish is false */
  deliveries: readonly DeliveryResult[]
  tag?: TagOutcome
  /** with github-release: true */
  release?: GitHubReleaseResult
  /** wheels built on the runner from sdists and local packages */
  built?: readonly BuiltSource[]
}

/** The outputs that name the layer version: the primary region's, and whether any was published. */
function versionOutputs(deliveries: readonly DeliveryResult[]) {
  const primary = deliveries[0]
  return {
    [Outputs.LayerArn]: primary?.layerArn ?? '',
    [Outputs.LayerVersion]: primary ? String(primary.version) : '',
    [Outputs.LayerVersionArn]: primary?.layerVersionArn ?? '',
    [Outputs.Published]: String(deliveries.some(d => d.published))
  }
}

export function outputsOf(r: RunResult): Record<Outputs, string> {
  const { inputs, plan, zip } = r
  const primary = r.deliveries[0]
  return {
    [Outputs.LayerName]: inputs.publishedName,
    ...versionOutputs(r.deliveries),
    [Outputs.LayerVersionArns]:
      r.deliveries.length > 0
        ? JSON.stringify(Object.fromEntries(r.deliveries.map(d => [d.region, d.layerVersionArn])))
        : '',
    [Outputs.Version]: plan.release.version,
    [Outputs.PreviousVersion]: plan.release.previousVersion,
    [Outputs.Bump]: plan.release.bump,
    [Outputs.Tag]: plan.release.tag,
    [Outputs.S3Bucket]: primary?.s3?.bucket ?? '',
    [Outputs.S3Key]: primary?.s3?.key ?? '',
    [Outputs.ZipPath]: zip.path,
    [Outputs.ZipSize]: String(zip.zipSize),
    [Outputs.UnzippedSize]: String(zip.unzippedSize),
    [Outputs.CodeSha256]: zip.sha256,
    [Outputs.PythonVersion]: inputs.runtime.version,
    [Outputs.Architecture]: inputs.architecture,
    [Outputs.CompatibleRuntimes]: inputs.compatibleRuntimes.join(','),
    [Outputs.ReleaseUrl]: r.release?.outcome?.url ?? '',
    [Outputs.RolledBack]: 'false'
  }
}

export async function report(r: RunResult): Promise<void> {
  for (const [name, value] of Object.entries(outputsOf(r))) core.setOutput(name, value)
  await core.summary.addRaw(summaryOf(r), true).write()
}

/**
 * A failed run that still has something to say: after a failed health check, the layer version
 * outputs, `rolled-back` and a summary of what was put back. Never throws: run() is failing already.
 */
export async function reportFailure(error: unknown): Promise<void> {
  if (!(error instanceof HealthCheckError)) return
  try {
    const outputs = {
      ...versionOutputs(error.deliveries),
      [Outputs.RolledBack]: String(error.rolledBack)
    }
    for (const [name, value] of Object.entries(outputs)) core.setOutput(name, value)
    await core.summary.addRaw(healthFailureSummary(error), true).write()
  } catch (reportError: unknown) {
    core.warning(`Could not write the outputs of the failed run: ${messageOf(reportError)}`)
  }
}

/** The job summary of a failed health check, as markdown. */
export function healthFailureSummary(e: HealthCheckError): string {
  const lines = [
    `## Health check failed: ${e.rolledBack ? 'rolled back' : 'nothing to roll back'}`,
    '',
    `Function ${code(e.failure.name)} in ${e.failure.region} returned: ${code(e.failure.error)}`,
    ''
  ]
  if (e.restored.length > 0)
    lines.push(`Put back on their previous layers: ${e.restored.map(code).join(', ')}`, '')
  if (e.notRestored.length > 0)
    lines.push(
      `**Not put back** (fix by hand): ${e.notRestored.map(f => `${code(f.name)}: ${f.error}`).join('; ')}`,
      ''
    )
  lines.push(
    `Still published (a later run with the same zip reuses it): ${e.deliveries.map(d => code(d.layerVersionArn)).join(', ')}`,
    ''
  )
  return lines.join('\n')
}

function code(s: string): string {
  return `<code>${s.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</code>`
}

/** The smoke test's row: skipped (why), reused (from which run, under which key), or run. */
function smokeLine(s: SmokeResult): string {
  if (s.skipped) return `skipped: ${s.skipped}`
  const key = s.key ? ` (cache key ${code(s.key)})` : ''
  if (s.cached) {
    const run = s.cached.url ? `[${s.cached.run}](${s.cached.url})` : s.cached.run
    return `passed for these bytes on ${s.cached.python} in run ${run}, not run again${key}`
  }
  const where = s.python ? `${s.interpreter} (${s.python})` : (s.interpreter ?? 'the target Python')
  const n = s.modules.length
  return `${n} ${n === 1 ? 'module imports' : 'modules import'} on ${where}${key}`
}

function percent(part: number, whole: number): string {
  return `${((100 * part) / whole).toFixed(part / whole < 0.1 ? 1 : 0)}%`
}

/** The job summary, as markdown. */
export function summaryOf(r: RunResult): string {
  const { inputs, plan, zip, layer } = r
  const { release } = plan
  const primary = r.deliveries[0]
  const lines: string[] = []

  const outcome = !inputs.publish
    ? 'built (publish: false)'
    : r.deliveries.some(d => d.published)
      ? `published version ${primary.version}`
      : primary.reusedVersion !== undefined
        ? `reused version ${primary.reusedVersion} (an older version holds this very zip)`
        : `unchanged — stays at version ${primary.version}`
  lines.push(`## Lambda layer \`${inputs.publishedName}\`: ${outcome}`, '')
  const bump =
    release.bump === 'none' ? 'no bump' : `${release.bump} bump from ${release.previousVersion}`
  lines.push(
    `Release **${release.tag}** (${release.previousVersion ? bump : 'first release'})` +
      (r.tag
        ? ` · tag ${r.tag.status === 'skipped' ? `not pushed: ${r.tag.reason}` : r.tag.status === 'created' ? 'pushed' : 'already on origin'}`
        : ''),
    ''
  )

  const rows: [string, string][] = []
  if (primary) {
    rows.push(['Layer version ARN', code(primary.layerVersionArn)])
    if (primary.s3) rows.push(['S3 object', code(`s3://${primary.s3.bucket}/${primary.s3.key}`)])
    const written = r.deliveries.filter(d => d.parameters?.length)
    if (written.length > 0)
      rows.push([
        'SSM parameters',
        `${(written[0].parameters ?? []).map(code).join(', ')} in ${written.map(d => d.region).join(', ')}`
      ])
  }
  if (r.release?.outcome)
    rows.push([
      'GitHub Release',
      `[${r.release.tag}](${r.release.outcome.url}) (${r.release.outcome.status})`
    ])
  else if (r.release?.skipped) rows.push(['GitHub Release', `not written: ${r.release.skipped}`])
  rows.push(
    ['Built for', plan.runtimeLabel],
    ['Compatible runtimes', inputs.compatibleRuntimes.join(', ')],
    ['Zip', `${formatBytes(zip.zipSize)} (${zip.entries} entries)`],
    [
      'Unzipped',
      `${formatBytes(zip.unzippedSize)} — ${percent(zip.unzippedSize, LAMBDA_UNZIPPED_LIMIT)} of Lambda's 250 MB for a function and all its layers`
    ],
    ['CodeSha256', code(zip.sha256)],
    ['Wheels', `${layer.wheels.length}, cache: ${layer.cache}`]
  )
  if (r.smoke) rows.push(['Smoke test', smokeLine(r.smoke)])
  lines.push('| | |', '|---|---|', ...rows.map(row), '')

  if (
    r.deliveries.length > 1 ||
    r.deliveries.some(d => d.deleted.length + d.shared.length + d.functions.length > 0)
  ) {
    lines.push(
      ...section(
        'Regions',
        [
          'Region',
          'Layer version ARN',
          'Published',
          'Deleted versions',
          'Shared with',
          'Functions'
        ],
        r.deliveries.map(d => [
          d.region,
          code(d.layerVersionArn),
          d.published ? 'yes' : `no (${d.skippedReason ?? 'unchanged'})`,
          d.deleted.join(', ') || '—',
          d.shared.join(', ') || '—',
          d.functions.map(f => `${f.name}: ${f.status}`).join(', ') || '—'
        ])
      )
    )
  }

  lines.push(...builtSection(r.built ?? []))

  const changelog = formatChangelog(release.changes)
  if (changelog) lines.push(changelog, '')

  const top = layer.size.packages.slice(0, 10)
  if (top.length > 0) {
    lines.push(
      ...section(
        'What is in the layer',
        ['Package', 'Size:', 'Files:', 'Share:'],
        top.map(p => [
          p.name,
          formatBytes(p.bytes),
          String(p.files),
          percent(p.bytes, layer.size.totalBytes)
        ])
      )
    )
    const mb = (bytes: number) => (bytes / 1024 ** 2).toFixed(2)
    lines.push('```mermaid', 'pie showData title Unzipped size by package (MB)')
    const rest = layer.size.packages.slice(6).reduce((n, p) => n + p.bytes, 0)
    for (const p of layer.size.packages.slice(0, 6))
      lines.push(`  "${p.name.replace(/"/g, '')}" : ${mb(p.bytes)}`)
    if (rest > 0) lines.push(`  "everything else" : ${mb(rest)}`)
    lines.push('```', '')
  }

  if (layer.slim.byRule.length > 0) {
    lines.push(
      ...section(
        `Left out: ${formatBytes(layer.slim.removedBytes)} in ${layer.slim.removedFiles} files`,
        ['What', 'Files:', 'Size:', 'Why it is safe'],
        layer.slim.byRule.map(rule => [
          rule.rule,
          String(rule.files),
          formatBytes(rule.bytes),
          rule.reason
        ])
      )
    )
  }
  return lines.join('\n')
}

/** What was built from source on the runner: every one a pure-Python wheel, or the run failed. */
export function builtSection(built: readonly BuiltSource[]): string[] {
  if (built.length === 0) return []
  return section(
    'Built from source',
    ['Package', 'Version', 'From', 'Wheel'],
    built.map(b => [
      b.name,
      b.version,
      `${b.origin === 'local' ? 'local' : 'sdist'} ${code(b.from)}`,
      code(b.wheel)
    ])
  )
}

/** A `###` section holding one table; a column named with a trailing `:` is right-aligned. */
function section(
  title: string,
  columns: readonly string[],
  rows: readonly (readonly string[])[]
): string[] {
  return [
    `### ${title}`,
    '',
    row(columns.map(c => c.replace(/:$/, ''))),
    `|${columns.map(c => (c.endsWith(':') ? '---:' : '---')).join('|')}|`,
    ...rows.map(row),
    ''
  ]
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`
}
