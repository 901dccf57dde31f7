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
import type { DeliveryResult } from './deliver/deliver'
import { DeliveryError } from './deliver/outcome'
import { RegionsFailedError } from './deliver/regions'
import type { TagOutcome } from './release/release'
import type { GitHubReleaseResult } from './release/github'
import { LayerActionError, messageOf } from './errors'
import { code, escapeMarkdown, fenced, row } from './markdown'
import { HAND_OFF_STEPS, HandOffError, TAG } from './handoff-steps'

type HandOffStep = (typeof HAND_OFF_STEPS)[number]

/** The steps of a run, in order. */
export const STEPS = [
  'inputs',
  'plan',
  'resolve',
  'fetch',
  'assemble',
  'zip',
  'smoke',
  'contents',
  // publish or reuse → functions → health check → SSM and retention → tag → GitHub Release
  'hand-off',
  'summary'
] as const
export type Step = (typeof STEPS)[number]

/** What the summary of a failed run reads from the steps that finished. */
interface Kept {
  inputs: ActionInputs
  zip: ZipResult
  'hand-off': {
    deliveries: readonly DeliveryResult[]
    tag: TagOutcome
    release?: GitHubReleaseResult
  }
}

/**
 * An error thrown once layer versions exist carries them as `deliveries` (HealthCheckError, and
 * handoff.ts's HandOffError, which also names the hand-off `step` that failed and those `notDone`).
 */
interface AfterPublish {
  deliveries: readonly DeliveryResult[]
  step?: string
  notDone?: readonly string[]
}

function afterPublish(error: unknown): AfterPublish | undefined {
  if (!(error instanceof LayerActionError)) return undefined
  const e = error as Partial<AfterPublish>
  return Array.isArray(e.deliveries) ? (e as AfterPublish) : undefined
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
  /** set once the hand-off returned */
  get deliveries(): readonly DeliveryResult[] | undefined {
    return this.kept['hand-off']?.deliveries
  }
  get tag(): TagOutcome | undefined {
    return this.kept['hand-off']?.tag
  }
  get release(): GitHubReleaseResult | undefined {
    return this.kept['hand-off']?.release
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

/** Where the hand-off stopped, and what it then did not do, as far as the error says. */
function handOffFailure(
  p: RunProgress,
  error: unknown
): { at?: string; notDone: readonly string[] } {
  if (p.statusOf('hand-off') !== 'failed') return { notDone: [] }
  const after = afterPublish(error)
  if (after?.step) return { at: after.step, notDone: after.notDone ?? [] }
  if (after) return { at: 'Health check', notDone: [] }
  if (error instanceof DeliveryError || error instanceof RegionsFailedError)
    return { at: 'Publish', notDone: [] }
  return { notDone: [] }
}

const isDelivery = (x: unknown): x is DeliveryResult =>
  typeof (x as DeliveryResult | undefined)?.layerVersionArn === 'string'

/** What the hand-off published or reused as far as it is known: its results, or what its error carries. */
function deliveriesSoFar(
  p: RunProgress,
  error: unknown
): { known: readonly DeliveryResult[]; unknownRegions: string[] } {
  if (p.deliveries) return { known: p.deliveries, unknownRegions: [] }
  if (p.statusOf('hand-off') !== 'failed') return { known: [], unknownRegions: [] }
  const after = afterPublish(error)
  if (after) return { known: after.deliveries, unknownRegions: [] }
  if (error instanceof RegionsFailedError) {
    const partial = error.failures.flatMap(f => (isDelivery(f.partial) ? [f.partial] : []))
    const unknownRegions = error.failures.filter(f => !isDelivery(f.partial)).map(f => f.region)
    return { known: [...error.results.filter(isDelivery), ...partial], unknownRegions }
  }
  if (error instanceof DeliveryError)
    return error.result
      ? { known: [error.result], unknownRegions: [] }
      : { known: [], unknownRegions: [error.region] }
  return { known: [], unknownRegions: [...(p.inputs?.regions ?? [])] }
}

/** The answers to "uploaded? published? tagged? released?", in markdown. */
function outcomes(p: RunProgress, error: unknown): [string, string][] {
  const release: [string, string] = ['GitHub Release', releaseOutcome(p, error)]
  if (p.inputs && !p.inputs.publish) {
    const off = 'no (publish: false)'
    return [['Uploaded to S3', off], ['Layer version published', off], ['Tag pushed', off], release]
  }
  const { known, unknownRegions } = deliveriesSoFar(p, error)
  const notKnown = unknownRegions.length
    ? `; not known in ${escapeMarkdown(unknownRegions.join(', '))}: publishing failed there before a layer version existed (its log above says whether the zip was uploaded)`
    : ''
  const uploaded = known.filter(d => d.s3)
  const published = known.filter(d => d.published)
  const earlier = known.filter(d => !d.published && d.rerun)
  const held = known.filter(d => !d.published && !d.rerun)
  const never =
    p.statusOf('hand-off') === 'not run' ? 'no (the run stopped before publishing)' : 'no'
  const arns = (ds: readonly DeliveryResult[]) => ds.map(d => code(d.layerVersionArn)).join(', ')
  const notPublished = [
    ...(earlier.length
      ? [`${arns(earlier)} was published from this commit by an earlier run`]
      : []),
    ...(held.length ? [`${arns(held)} already held this zip`] : [])
  ]
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
        ? `yes: ${arns(published)}`
        : notPublished.length
          ? `no: ${notPublished.join('; ')}`
          : never) + notKnown
    ],
    ['Tag pushed', tagOutcome(p, error)],
    release
  ]
}

function tagOutcome(p: RunProgress, error: unknown): string {
  const t = p.tag ?? (error instanceof HandOffError ? error.tag : undefined)
  if (t?.status === 'created') return `yes: ${code(t.tag)}`
  if (t?.status === 'exists') return `${code(t.tag)} was already on origin`
  if (t) return `no: ${escapeMarkdown(t.reason ?? 'skipped')}`
  const { at } = handOffFailure(p, error)
  if (at === undefined) return 'no'
  // a failure after the Tag step that carries no outcome of it (a health check's, say)
  return HAND_OFF_STEPS.indexOf(at as HandOffStep) > HAND_OFF_STEPS.indexOf(TAG)
    ? `not known from here: the hand-off failed at ${escapeMarkdown(at)}, after its Tag step (see that group in the log)`
    : `no (the hand-off stopped at ${escapeMarkdown(at)})`
}

function releaseOutcome(p: RunProgress, error: unknown): string {
  const r = p.release
  if (r?.outcome) return `yes: ${code(r.tag)} (${escapeMarkdown(r.outcome.status)})`
  if (r?.skipped) return `no: ${escapeMarkdown(r.skipped)}`
  const { at } = handOffFailure(p, error)
  return at ? `no (the hand-off stopped at ${escapeMarkdown(at)})` : 'no'
}

/** The job summary of a failed run, as markdown: the error, each step's fate, what was done outside. */
export function failureSummary(error: unknown, p: RunProgress): string {
  const failed = p.failedStep
  const layer = p.inputs ? `Lambda layer ${code(p.inputs.publishedName)}` : 'layer-action'
  const steps = STEPS.filter(s => s !== 'summary')
  const stopped = handOffFailure(p, error)
  const fate = (s: Step): string => {
    const status = p.statusOf(s)
    if (status === 'failed' && s === 'hand-off' && stopped.at)
      return (
        `**failed** at ${escapeMarkdown(stopped.at)}` +
        (stopped.notDone.length ? `; not done: ${escapeMarkdown(stopped.notDone.join(', '))}` : '')
      )
    if (status === 'failed') return '**failed**'
    if (status === 'stopped') return `stopped unfinished when the ${failed} step failed`
    if (status === 'not run' && s === 'smoke' && p.inputs?.smokeTest === false)
      return 'off (smoke-test: false)'
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
