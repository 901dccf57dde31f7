/** The run's results as step outputs and a job summary. Outputs are set together, at the end. */
import * as core from '@actions/core'
import { Outputs } from './constants'
import type { ActionInputs } from './inputs'
import type { Plan } from './plan'
import type { BuiltLayer } from './assemble/layer'
import type { SmokeResult } from './smoke/smoke'
import type { ZipResult } from './assemble/zip'
import type { DeliveryResult } from './deliver/deliver'
import { HealthCheckError, releasesThisCommit } from './deliver/outcome'
import type { TagOutcome } from './release/release'
import type { GitHubReleaseResult } from './release/github'
import { messageOf } from './errors'
import type { BuiltSource } from './resolve/sources'
import { formatChangelog } from './release/changelog'
import { formatBytes, LAMBDA_UNZIPPED_LIMIT } from './assemble/size'
import { code, escapeMarkdown, link, mermaidLabel, row, section } from './markdown'
import { failureSummary, type RunProgress } from './progress'
import { plural } from './words'
import type { ContentsResult } from './contents/contents'
import { contentsOutputs } from './contents/outputs'
import { contentsSummary } from './contents/markdown'

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
  /** what the hand-off changed, one line each: on a rerun, what it completed */
  changes?: readonly string[]
  /** wheels built on the runner from sdists and local packages */
  built?: readonly BuiltSource[]
  /** the SBOM and the diff (issue 18) */
  contents?: ContentsResult
  /** the SBOM's key beside the zip, '' when none */
  sbomS3Key?: string
}

/**
 * The outputs that name the layer version: the primary region's, and whether any was published —
 * by this run or, for a rerun, by an earlier run of this commit, so later steps run as after a clean run.
 */
function versionOutputs(deliveries: readonly DeliveryResult[]) {
  const primary = deliveries[0]
  return {
    [Outputs.LayerArn]: primary?.layerArn ?? '',
    [Outputs.LayerVersion]: primary ? String(primary.version) : '',
    [Outputs.LayerVersionArn]: primary?.layerVersionArn ?? '',
    [Outputs.Published]: String(deliveries.some(releasesThisCommit))
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
    [Outputs.RolledBack]: 'false',
    ...contentsOutputs(r.contents, r.sbomS3Key)
  }
}

export async function report(r: RunResult): Promise<void> {
  for (const [name, value] of Object.entries(outputsOf(r))) core.setOutput(name, value)
  await core.summary.addRaw(summaryOf(r), true).write()
}

/**
 * A failed run's job summary: what failed, in which step, what was and was not done (progress.ts);
 * after a failed health check also the layer version outputs, `rolled-back` and what was put back.
 * Never throws: run() is failing already.
 */
export async function reportFailure(error: unknown, progress: RunProgress): Promise<void> {
  try {
    let summary = failureSummary(error, progress)
    if (error instanceof HealthCheckError) {
      const outputs = {
        ...versionOutputs(error.deliveries),
        [Outputs.RolledBack]: String(error.rolledBack)
      }
      for (const [name, value] of Object.entries(outputs)) core.setOutput(name, value)
      summary += `\n${healthFailureSummary(error)}`
    }
    await core.summary.addRaw(summary, true).write()
  } catch (reportError: unknown) {
    core.warning(`Could not write the summary of the failed run: ${messageOf(reportError)}`)
  }
}

/** The job summary of a failed health check, as markdown: what failed, what went back where, what stays. */
export function healthFailureSummary(e: HealthCheckError): string {
  const lines = [
    `## Health check failed: ${e.rolledBack ? 'rolled back' : 'nothing to roll back'}`,
    '',
    `Function ${code(e.failure.name)} in ${escapeMarkdown(e.failure.region)} returned: ${code(e.failure.error)}`,
    ''
  ]
  if (e.restored.length > 0)
    lines.push(
      'Put back on their previous layers:',
      '',
      ...e.restored.map(f => `- ${code(f.name)}: ${f.layers.map(code).join(', ') || 'no layers'}`),
      ''
    )
  if (e.notRestored.length > 0)
    lines.push(
      `**Not put back** (fix by hand): ${e.notRestored.map(f => `${code(f.name)}: ${escapeMarkdown(f.error)}`).join('; ')}`,
      ''
    )
  lines.push(
    `Still published: ${e.deliveries.map(d => code(d.layerVersionArn)).join(', ')}. The next run with ` +
      'the same zip reuses it, and keep-versions prunes it like any other version. This run deleted ' +
      'no old version and wrote no SSM parameter, tag or GitHub Release.',
    ''
  )
  return lines.join('\n')
}

/** The smoke test's row: skipped (why), reused (from which run, under which key), or run. */
function smokeLine(s: SmokeResult): string {
  if (s.skipped) return `skipped: ${escapeMarkdown(s.skipped)}`
  const key = s.key ? ` (cache key ${code(s.key)})` : ''
  if (s.cached) {
    const run = s.cached.url ? link(s.cached.run, s.cached.url) : escapeMarkdown(s.cached.run)
    return `passed for these bytes on ${escapeMarkdown(s.cached.python)} in run ${run}, not run again${key}`
  }
  const interpreter = s.interpreter ?? 'the target Python'
  const where = escapeMarkdown(s.python ? `${interpreter} (${s.python})` : interpreter)
  const n = s.modules.length
  const kept = s.fromCache ?? []
  if (kept.length === 0)
    return `${plural(n, 'module')} ${n === 1 ? 'imports' : 'import'} on ${where}${key}`
  const byRun = new Map<string, { run: string; url?: string; modules: string[] }>()
  for (const k of kept) {
    const run = byRun.get(k.key) ?? { run: k.run, url: k.url, modules: [] }
    run.modules.push(k.module)
    byRun.set(k.key, run)
  }
  const runs = [...byRun].map(
    ([key, r]) =>
      `run ${r.url ? link(r.run, r.url) : escapeMarkdown(r.run)}, cache key ${code(key)}: ${r.modules.map(code).join(', ')}`
  )
  const tested = s.tested ?? []
  const now =
    tested.length > 0
      ? `${tested.map(code).join(', ')} imported by this run`
      : 'none imported by this run'
  const entry = s.modulesKey ? `; per-module verdicts ${code(s.modulesKey)}` : ''
  return (
    `${plural(n, 'module')} ${n === 1 ? 'imports' : 'import'} on ${where}: ${now}; ` +
    `${kept.length} passed before on the same files of all they depend on (${runs.join('; ')})${key}${entry}`
  )
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
      : r.deliveries.some(d => d.rerun)
        ? `version ${primary.version}, published from this commit by an earlier run`
        : primary.reusedVersion !== undefined
          ? `reused version ${primary.reusedVersion} (an older version holds this very zip)`
          : `unchanged — stays at version ${primary.version}`
  lines.push(`## Lambda layer ${code(inputs.publishedName)}: ${outcome}`, '')
  const bump =
    release.bump === 'none' ? 'no bump' : `${release.bump} bump from ${release.previousVersion}`
  lines.push(
    `Release **${escapeMarkdown(release.tag)}** (${escapeMarkdown(release.previousVersion ? bump : 'first release')})` +
      (r.tag
        ? ` · tag ${r.tag.status === 'skipped' ? `not pushed: ${escapeMarkdown(r.tag.reason ?? '')}` : r.tag.status === 'created' ? 'pushed' : 'already on origin'}`
        : ''),
    ''
  )
  lines.push(...rerunLines(r))

  const rows: [string, string][] = []
  if (primary) {
    rows.push(['Layer version ARN', code(primary.layerVersionArn)])
    if (primary.s3) rows.push(['S3 object', code(`s3://${primary.s3.bucket}/${primary.s3.key}`)])
    const written = r.deliveries.filter(d => d.parameters?.length)
    if (written.length > 0)
      rows.push([
        'SSM parameters',
        `${(written[0].parameters ?? []).map(p => code(p)).join(', ')} in ${escapeMarkdown(written.map(d => d.region).join(', '))}`
      ])
  }
  if (r.release?.outcome)
    rows.push([
      'GitHub Release',
      `${link(r.release.tag, r.release.outcome.url)} (${escapeMarkdown(r.release.outcome.status)})`
    ])
  else if (r.release?.skipped)
    rows.push(['GitHub Release', `not written: ${escapeMarkdown(r.release.skipped)}`])
  rows.push(
    ['Built for', escapeMarkdown(plan.runtimeLabel)],
    ['Compatible runtimes', escapeMarkdown(inputs.compatibleRuntimes.join(', '))],
    ['Zip', `${formatBytes(zip.zipSize)} (${plural(zip.entries, 'entry', 'entries')})`],
    [
      'Unzipped',
      `${formatBytes(zip.unzippedSize)} — ${percent(zip.unzippedSize, LAMBDA_UNZIPPED_LIMIT)} of Lambda's 250 MB for a function and all its layers`
    ],
    ['CodeSha256', code(zip.sha256)],
    ['Wheels', `${layer.wheels.length}, cache: ${escapeMarkdown(layer.cache)}`]
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
          escapeMarkdown(d.region),
          code(d.layerVersionArn),
          d.published ? 'yes' : `no (${escapeMarkdown(d.skippedReason ?? 'unchanged')})`,
          d.deleted.join(', ') || '—',
          escapeMarkdown(d.shared.join(', ')) || '—',
          escapeMarkdown(d.functions.map(f => `${f.name}: ${f.status}`).join(', ')) || '—'
        ])
      )
    )
  }

  lines.push(...builtSection(r.built ?? []))
  lines.push(...contentsSummary(r.contents?.view, r.contents?.sbom?.path))

  const changelog = formatChangelog(release.changes)
  if (changelog) lines.push(changelog, '')

  const top = layer.size.packages.slice(0, 10)
  if (top.length > 0) {
    lines.push(
      ...section(
        'What is in the layer',
        ['Package', 'Size:', 'Files:', 'Share:'],
        top.map(p => [
          escapeMarkdown(p.name),
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
      lines.push(`  "${mermaidLabel(p.name)}" : ${mb(p.bytes)}`)
    if (rest > 0) lines.push(`  "everything else" : ${mb(rest)}`)
    lines.push('```', '')
  }

  if (layer.slim.byRule.length > 0) {
    lines.push(
      ...section(
        `Left out: ${formatBytes(layer.slim.removedBytes)} in ${plural(layer.slim.removedFiles, 'file')}`,
        ['What', 'Files:', 'Size:', 'Why it is safe'],
        layer.slim.byRule.map(rule => [
          escapeMarkdown(rule.rule),
          String(rule.files),
          formatBytes(rule.bytes),
          escapeMarkdown(rule.reason)
        ])
      )
    )
  }
  return lines.join('\n')
}

/** On a rerun of the same commit: what it completed, or that nothing was left to do. */
export function rerunLines(r: Pick<RunResult, 'deliveries' | 'changes'>): string[] {
  if (!r.deliveries.some(d => d.rerun)) return []
  const changes = r.changes ?? []
  if (changes.length === 0)
    return ['Nothing left to do: an earlier run of this commit had finished every step.', '']
  return [
    'This rerun completed what an earlier run of this commit left undone:',
    '',
    ...changes.map(c => `- ${escapeMarkdown(c)}`),
    ''
  ]
}

/** What was built from source on the runner: every one a pure-Python wheel, or the run failed. */
export function builtSection(built: readonly BuiltSource[]): string[] {
  if (built.length === 0) return []
  return section(
    'Built from source',
    ['Package', 'Version', 'From', 'Wheel'],
    built.map(b => [
      escapeMarkdown(b.name),
      escapeMarkdown(b.version),
      `${b.origin === 'local' ? 'local' : 'sdist'} ${code(b.from)}`,
      code(b.wheel)
    ])
  )
}
