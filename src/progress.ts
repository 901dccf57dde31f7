/**
 * Where a run is and what it has done, so that a run that fails still says what failed, in which
 * step, and what it did and did not do outside the runner (uploaded? published? tagged?). run()
 * names each step and keeps what each returned; reportFailure() writes it as the job summary. What
 * is not known (a step that failed partway without saying how far it got) is said to be not known.
 */
import * as core from '@actions/core'
import type { ActionInputs } from './inputs'
import type { ZipResult } from './assemble/zip'
import { formatBytes } from './assemble/size'
import { DeliveryError, RegionsFailedError, type DeliveryResult } from './deliver/deliver'
import { HealthCheckError } from './deliver/health'
import type { TagOutcome } from './release/release'
import type { GitHubReleaseResult } from './release/github'
import { messageOf } from './errors'
import { code, escapeMarkdown, fenced, row } from './markdown'

/** The steps of a run, in order. */
export const STEPS = [
  'inputs',
  'plan',
  'resolve',
  'assemble',
  'zip',
  'smoke',
  'publish',
  'tag',
  'github-release',
  'summary'
] as const
export type Step = (typeof STEPS)[number]

/** What the summary of a failed run reads from the steps that finished. */
interface Kept {
  inputs: ActionInputs
  zip: ZipResult
  publish: readonly DeliveryResult[]
  tag: TagOutcome
  'github-release': GitHubReleaseResult
}
type ValueOf<S extends Step> = S extends keyof Kept ? Kept[S] : unknown

export class RunProgress {
  private current: Step = 'inputs'
  private failedIn?: Step
  private readonly started = new Set<Step>()
  private readonly finished = new Set<Step>()
  private readonly kept: Partial<Kept> = {}

  /** Runs one step: a failure is recorded as that step's, the first one only (steps may run side by side). */
  async step<S extends Step, T extends ValueOf<S>>(name: S, fn: () => Promise<T> | T): Promise<T> {
    this.current = name
    this.started.add(name)
    try {
      const value = await fn()
      this.finished.add(name)
      ;(this.kept as Record<string, unknown>)[name] = value
      return value
    } catch (error) {
      this.failedIn ??= name
      throw error
    }
  }

  /** A step in a log group of its own. */
  group<S extends Step, T extends ValueOf<S>>(
    name: S,
    title: string,
    fn: () => Promise<T>
  ): Promise<T> {
    return core.group(title, () => this.step(name, fn))
  }

  get inputs(): ActionInputs | undefined {
    return this.kept.inputs
  }
  get zip(): ZipResult | undefined {
    return this.kept.zip
  }
  /** set once the publish step returned */
  get deliveries(): readonly DeliveryResult[] | undefined {
    return this.kept.publish
  }
  get tag(): TagOutcome | undefined {
    return this.kept.tag
  }
  get release(): GitHubReleaseResult | undefined {
    return this.kept['github-release']
  }

  /** The step whose failure ends the run. */
  get failedStep(): Step {
    return this.failedIn ?? this.current
  }

  /** `stopped`: it was running beside the step that failed, and did not finish. */
  statusOf(step: Step): 'done' | 'failed' | 'stopped' | 'not run' {
    if (this.failedStep === step) return 'failed'
    if (this.finished.has(step)) return 'done'
    return this.started.has(step) ? 'stopped' : 'not run'
  }
}

/** What the publish step did as far as it is known: its results, or what its error carries. */
function deliveriesSoFar(
  p: RunProgress,
  error: unknown
): { known: readonly DeliveryResult[]; unknownRegions: string[] } {
  if (p.deliveries) return { known: p.deliveries, unknownRegions: [] }
  if (p.statusOf('publish') !== 'failed') return { known: [], unknownRegions: [] }
  if (error instanceof HealthCheckError) return { known: error.deliveries, unknownRegions: [] }
  if (error instanceof RegionsFailedError) {
    const partial = error.failures.flatMap(f => (f.partial ? [f.partial] : []))
    const unknownRegions = error.failures.filter(f => !f.partial).map(f => f.region)
    return { known: [...error.results, ...partial], unknownRegions }
  }
  if (error instanceof DeliveryError)
    return error.result
      ? { known: [error.result], unknownRegions: [] }
      : { known: [], unknownRegions: [error.region] }
  return { known: [], unknownRegions: p.inputs?.regions ? [...p.inputs.regions] : [] }
}

/** The answers to "uploaded? published? tagged? released?", in markdown. */
function outcomes(p: RunProgress, error: unknown): [string, string][] {
  if (p.inputs && !p.inputs.publish) {
    const off = 'no (publish: false)'
    return [
      ['Uploaded to S3', off],
      ['Layer version published', off],
      ['Tag pushed', off]
    ]
  }
  const { known, unknownRegions } = deliveriesSoFar(p, error)
  const notKnown = unknownRegions.length
    ? `; not known in ${unknownRegions.map(escapeMarkdown).join(', ')}: the publish step failed there before a layer version existed (its log above says whether the zip was uploaded)`
    : ''
  const uploaded = known.filter(d => d.s3)
  const published = known.filter(d => d.published)
  const reused = known.filter(d => !d.published)
  const never =
    p.statusOf('publish') === 'not run' ? 'no (the run stopped before publishing)' : 'no'
  return [
    [
      'Uploaded to S3',
      (uploaded.length
        ? `yes: ${uploaded.map(d => code(`s3://${d.s3?.bucket}/${d.s3?.key}`)).join(', ')}`
        : never) + notKnown
    ],
    [
      'Layer version published',
      (published.length
        ? `yes: ${published.map(d => code(d.layerVersionArn)).join(', ')}`
        : reused.length
          ? `no: ${reused.map(d => code(d.layerVersionArn)).join(', ')} already held this zip`
          : never) + notKnown
    ],
    ['Tag pushed', tagOutcome(p)],
    ['GitHub Release', releaseOutcome(p)]
  ]
}

function tagOutcome(p: RunProgress): string {
  const t = p.tag
  if (!t) return p.statusOf('tag') === 'failed' ? 'no (the tag step failed)' : 'no'
  if (t.status === 'created') return `yes: ${code(t.tag)}`
  if (t.status === 'exists') return `${code(t.tag)} was already on origin`
  return `no: ${escapeMarkdown(t.reason ?? 'skipped')}`
}

function releaseOutcome(p: RunProgress): string {
  const r = p.release
  if (r?.outcome) return `yes: ${code(r.tag)} (${escapeMarkdown(r.outcome.status)})`
  if (r?.skipped) return `no: ${escapeMarkdown(r.skipped)}`
  return p.statusOf('github-release') === 'failed' ? 'no (the GitHub Release step failed)' : 'no'
}

/** The job summary of a failed run, as markdown: the error, each step's fate, what was done outside. */
export function failureSummary(error: unknown, p: RunProgress): string {
  const failed = p.failedStep
  const layer = p.inputs ? `Lambda layer ${code(p.inputs.publishedName)}` : 'layer-action'
  const steps = STEPS.filter(s => s !== 'summary')
  const i = p.inputs
  const off: Partial<Record<Step, string | false>> = {
    smoke: i?.smokeTest === false && 'smoke-test: false',
    publish: i?.publish === false && 'publish: false',
    'github-release': i?.githubRelease === false && 'github-release: false'
  }
  const fate = (s: Step): string => {
    const status = p.statusOf(s)
    if (status === 'failed') return '**failed**'
    if (status === 'stopped') return `stopped unfinished when the ${failed} step failed`
    if (status === 'not run' && off[s]) return `off (${off[s]})`
    if (s === 'zip' && p.zip && status === 'done')
      return `done: ${formatBytes(p.zip.zipSize)} zipped, ${formatBytes(p.zip.unzippedSize)} unzipped`
    return status
  }
  return [
    `## ${layer}: failed in the ${failed} step`,
    '',
    fenced(messageOf(error)),
    '',
    row(['Step', 'Result']),
    '|---|---|',
    ...steps.map(s => row([s, fate(s)])),
    '',
    row(['Outside the runner', '']),
    '|---|---|',
    ...outcomes(p, error).map(row),
    ''
  ].join('\n')
}
