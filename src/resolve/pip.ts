/**
 * pip resolves requirements for the Lambda runtime, not for the runner: `pip install --dry-run
 * --report` with the runtime's platform flags and marker environment (pip-target.ts) reads only
 * metadata where the index serves it (PEP 658) and reports every file's URL and hash. A pip too old
 * for `--report` (before 22.2) downloads instead (`pip download`). A failure is explained by its
 * real cause: a missing wheel (with the chain that pulled it in), an index that answered an HTTP
 * error, or a server that stalled.
 */
import * as core from '@actions/core'
import { promises as fs } from 'node:fs'
import * as path from 'node:path'
import { LayerActionError } from '../errors'
import { platformTags, type Architecture, type Runtime } from '../runtimes'
import { pipRedactor, redactUrl, type Redactor } from '../credentials'
import { PipError, pipFailureLines, runPip } from '../python/pip'
import type { ProcessResult } from '../python/process'
import { configuredIndexUrls, readProjectPage, type ProjectListing } from '../python/index-page'
import { compareVersions, specifierMatches } from '../python/pep440'
import { parseRequirement } from '../python/requirements'
import { accepts, describeTarget, parseDistributionFile } from '../python/wheel-tags'
import { explainNoWheel } from './no-wheel'
import { pipForTarget } from './pip-target'
import { chainTo, readPipFailure, type FailedRequirement, type PipFailure } from './pip-failure'
import { readPipReport, type ReportItem } from './pip-report'

export { PipError }

/** The flags that make pip choose wheels for the Lambda runtime instead of the runner. */
export function pipTargetArgs(runtime: Runtime, architecture: Architecture): string[] {
  return [
    // Lambda cannot build anything: every distribution must be a prebuilt wheel
    '--only-binary=:all:',
    '--implementation',
    'cp',
    // the full version, so Requires-Python is judged as python_full_version markers are
    '--python-version',
    runtime.fullVersion,
    '--abi',
    runtime.abi,
    '--abi',
    'abi3',
    '--abi',
    'none',
    // pip does not expand manylinux_2_x levels from one --platform: list every one
    ...platformTags(runtime, architecture).flatMap(tag => ['--platform', tag])
  ]
}

/** Seconds pip waits for a server before it gives up on a read: a stalled index fails inside two minutes. */
export const PIP_TIMEOUT_SECONDS = 30

export interface PipOptions {
  /** the requirements file (absolute, or relative to cwd) */
  requirements: string
  /** where `pip download` (the fallback) puts the files; scratch for the report */
  wheelhouse: string
  runtime: Runtime
  architecture: Architecture
  /** the interpreter that runs pip, e.g. `python3` */
  python: string
  /** `--index-url`; credentials in it are masked */
  indexUrl?: string
  /** extra arguments from the user, passed to pip */
  pipArgs: readonly string[]
  /** passed through, so the user's pip configuration and PIP_* variables keep working */
  env?: NodeJS.ProcessEnv
  /** where pip runs: relative paths inside the requirements file resolve from here */
  cwd?: string
  /** `--find-links` folders of wheels built on the runner (sdists, local packages) */
  findLinks?: readonly string[]
  /** the requirements file as the user named it, for messages (default: requirements) */
  display?: string
}

/** No wheel of a requirement fits the runtime; the message lists what exists and what to change. */
export class NoCompatibleWheelError extends LayerActionError {
  constructor(
    message: string,
    readonly project: string,
    readonly requirement: string,
    readonly runtime: Runtime,
    readonly architecture: Architecture,
    /** what the indexes list for the project (read for the message; sdists are built from it) */
    readonly listings: readonly ProjectListing[] = [],
    /** from a requirement the user wrote down to the project, e.g. ['matplotlib 3.9.2', 'contourpy 1.3.1'] */
    readonly chain: readonly string[] = []
  ) {
    super(message)
  }
}

/** An index (or a file on it) answered an HTTP error: the index is the problem, not the package. */
export class IndexAnswerError extends LayerActionError {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly url: string
  ) {
    super(message)
  }
}

/** A server stopped sending: pip gave up after its timeout. */
export class IndexStallError extends LayerActionError {}

/** Progress worth seeing in the log; the rest (pip's resolver chatter) goes to debug. */
const PROGRESS =
  /^(Collecting|Processing|\s*Downloading|\s*File was already downloaded|Saved|Successfully|Would install|WARNING|ERROR)/

function userSetTimeout(pipArgs: readonly string[]): boolean {
  return pipArgs.some(a => a === '--timeout' || a.startsWith('--timeout='))
}

function commonArgs(o: PipOptions): string[] {
  return [
    ...pipTargetArgs(o.runtime, o.architecture),
    ...(o.indexUrl ? ['--index-url', o.indexUrl] : []),
    ...(o.findLinks ?? []).flatMap(dir => ['--find-links', dir]),
    '--no-input',
    '--disable-pip-version-check',
    ...(userSetTimeout(o.pipArgs) ? [] : ['--timeout', String(PIP_TIMEOUT_SECONDS)]),
    ...o.pipArgs
  ]
}

/** Runs pip through the bootstrap that evaluates markers for the target (pip-target.ts). */
function runPipForTarget(
  o: PipOptions,
  args: string[],
  redactor: Redactor
): Promise<ProcessResult> {
  const target = pipForTarget(o.runtime, o.architecture, args)
  return runPip({
    python: o.python,
    argv: target.argv,
    shown: `-c <layer-action pip bootstrap> ${args.map(a => (/[\s'"]/.test(a) ? JSON.stringify(a) : a)).join(' ')}`,
    env: { ...(o.env ?? process.env), ...target.env },
    cwd: o.cwd,
    redactor,
    // pip's "Looking in indexes" repeats the index the action has logged once already
    levelOf: (line, stream) => (stream === 'stderr' || PROGRESS.test(line) ? 'info' : 'debug')
  })
}

/** pip before 22.2 has no `--dry-run --report`: optparse says so and exits 2. */
export function lacksReport(result: ProcessResult): boolean {
  return result.code !== 0 && /no such option: --(report|dry-run)/.test(result.stderr)
}

/**
 * `pip install --dry-run --ignore-installed --report` for the target: what pip would install, nothing
 * installed. pip before 23.3 refuses the platform flags without `--target` (a scratch folder: nothing
 * is written there under --dry-run). 'no-report' for a pip too old to report.
 */
export async function resolveReport(o: PipOptions): Promise<ReportItem[] | 'no-report'> {
  const redactor = pipRedactor(o)
  await fs.mkdir(o.wheelhouse, { recursive: true })
  const scratch = await fs.mkdtemp(path.join(o.wheelhouse, '.report-'))
  try {
    const report = path.join(scratch, 'report.json')
    const args = [
      'install',
      '--dry-run',
      '--ignore-installed',
      '--report',
      report,
      '--target',
      path.join(scratch, 'target'),
      '-r',
      o.requirements,
      ...commonArgs(o)
    ]
    const result = await runPipForTarget(o, args, redactor)
    if (lacksReport(result)) return 'no-report'
    if (result.code !== 0) throw await explainPipFailure(o, result, redactor)
    return readPipReport(await fs.readFile(report, 'utf8'))
  } finally {
    await fs.rm(scratch, { recursive: true, force: true })
  }
}

/**
 * The fallback for pip before 22.2: downloads every wheel the requirements resolve to into the
 * wheelhouse (files already there are reused). Returns the wheel file names pip resolved to.
 */
export async function downloadWheels(o: PipOptions): Promise<string[]> {
  const redactor = pipRedactor(o)
  await fs.mkdir(o.wheelhouse, { recursive: true })
  const args = ['download', '-r', o.requirements, '-d', o.wheelhouse, ...commonArgs(o)]
  const result = await runPipForTarget(o, args, redactor)
  if (result.code !== 0) throw await explainPipFailure(o, result, redactor)
  const names = new Set<string>()
  for (const m of result.stdout.matchAll(
    /^\s*(?:Saved|File was already downloaded) (.+\.whl)\s*$/gm
  )) {
    names.add(path.basename(m[1]))
  }
  if (names.size === 0) {
    // a pip whose wording differs: fall back to what the wheelhouse holds
    for (const f of await fs.readdir(o.wheelhouse)) if (f.endsWith('.whl')) names.add(f)
  }
  return [...names].sort()
}

const FAILED_STATUS = /^HTTP (\d{3})$/

/** A listing that failed for the index's sake (refused, broken, unreachable), not the project's. */
function indexTrouble(listing: ProjectListing): boolean {
  if (listing.files !== undefined || listing.notFound) return false
  const status = Number(FAILED_STATUS.exec(listing.problem ?? '')?.[1] ?? 0)
  return status === 0 || status === 401 || status === 403 || status >= 500
}

function indexAnswer(status: number | undefined, url: string, redactor: Redactor): string {
  const shown = redactor.redact(redactUrl(url.replace(/#.*$/, '')))
  const what =
    status === 401 || status === 403
      ? `refused the credentials (HTTP ${status}). Check the token in 'index-url' (or in pip's configuration); with 'codeartifact-domain', the job's role needs codeartifact:ReadFromRepository on the repository.`
      : status === 404
        ? `has no such file or page (HTTP 404): the index no longer serves it, or 'index-url' names the wrong index.`
        : status !== undefined
          ? `answered HTTP ${status}: the index is failing, not the package. Retry the job; if it persists, check the index (or the proxy in front of it).`
          : 'could not be reached'
  return `The index at ${shown} ${what}`
}

/** The version of a listing's files that pip would have taken for the requirement: the newest that matches. */
function candidateVersion(
  cause: FailedRequirement,
  listings: readonly ProjectListing[]
): string | undefined {
  const spec = parseRequirement(cause.requirement)?.specifier ?? ''
  const versions = [
    ...new Set(
      listings
        .flatMap(l => l.files ?? [])
        .map(f => parseDistributionFile(f)?.version)
        .filter((v): v is string => !!v)
    )
  ].sort((a, b) => compareVersions(b, a))
  return versions.find(v => {
    try {
      return specifierMatches(v, spec)
    } catch {
      return true
    }
  })
}

/** Turns a failed pip run into the error that names its real cause. */
export async function explainPipFailure(
  o: PipOptions,
  result: ProcessResult,
  redactor: Redactor
): Promise<LayerActionError> {
  const failure = readPipFailure(`${result.stdout}\n${result.stderr}`)
  const target = { runtime: o.runtime, architecture: o.architecture }
  const display = o.display ?? o.requirements
  if (result.timedOut || failure.stalled) {
    const url = failure.stalled?.url
    return new IndexStallError(
      redactor.redact(
        `pip stopped waiting for ${url ? redactUrl(url) : 'the index'} while resolving ${display} for ${describeTarget(target)}: ` +
          `the server sent nothing for ${userSetTimeout(o.pipArgs) ? "pip's --timeout" : `${PIP_TIMEOUT_SECONDS} s`} (a stalled index, mirror or proxy). Retry the job; if it persists, check the index and any proxy in between.`
      )
    )
  }
  if (failure.http)
    return new IndexAnswerError(
      indexAnswer(failure.http.status, failure.http.url, redactor),
      failure.http.status,
      redactor.redact(redactUrl(failure.http.url))
    )
  if (failure.causes.length > 0) {
    const env = o.env ?? process.env
    const indexes = await configuredIndexUrls({
      python: o.python,
      indexUrl: o.indexUrl,
      pipArgs: o.pipArgs,
      env
    })
    for (const cause of failure.causes) {
      const listings = await Promise.all(indexes.map(url => readProjectPage(url, cause.project)))
      const trouble = listings.find(indexTrouble)
      if (trouble && listings.every(l => l.files === undefined)) {
        const status = Number(FAILED_STATUS.exec(trouble.problem ?? '')?.[1]) || undefined
        return new IndexAnswerError(
          indexAnswer(status, trouble.url, redactor) +
            (status === undefined ? ` (${redactor.redact(trouble.problem ?? '')})` : ''),
          status,
          redactor.redact(trouble.url)
        )
      }
      const error = noWheelError(o, failure, cause, listings, redactor)
      if (error) return error
    }
  }
  return new PipError(
    `pip could not resolve ${display} for ${describeTarget(target)} ` +
      `(exit code ${result.code}):\n${pipFailureLines(result, redactor)}`
  )
}

/** The no-wheel error for a cause whose project has no wheel for the target; undefined for a true conflict. */
function noWheelError(
  o: PipOptions,
  failure: PipFailure,
  cause: FailedRequirement,
  listings: readonly ProjectListing[],
  redactor: Redactor
): NoCompatibleWheelError | undefined {
  const target = { runtime: o.runtime, architecture: o.architecture }
  const names = chainTo(failure, cause)
  const version = candidateVersion(cause, listings)
  const ofVersion = listings
    .flatMap(l => l.files ?? [])
    .map(f => parseDistributionFile(f))
    .filter(f => f !== undefined && f.version === version)
  // the version pip would take loads on the target: the conflict lies elsewhere
  if (version && ofVersion.some(f => f && accepts(target, f))) return undefined
  const chain = names.map((n, i) => {
    const v = i === names.length - 1 ? version : failure.versions.get(n)
    return v ? `${n} ${v}` : n
  })
  const direct = names[0]
  const origin = failure.origins.get(direct)
  const message = explainNoWheel({
    requirement: cause.requirement,
    project: cause.project,
    target,
    listings,
    chain: chain.length > 1 ? chain : undefined,
    direct:
      chain.length > 1
        ? { name: direct, where: origin ? describeOrigin(origin, o) : undefined }
        : undefined
  })
  return new NoCompatibleWheelError(
    redactor.redact(message),
    cause.project,
    cause.requirement,
    o.runtime,
    o.architecture,
    listings,
    chain
  )
}

/** `-r /tmp/x/requirements.txt (line 2)` → `requirements.txt line 2` as the user named it. */
function describeOrigin(origin: string, o: PipOptions): string {
  const m = /^-[rc]\s+(.+?)\s+\(line (\d+)\)$/.exec(origin)
  if (!m) return origin
  const file =
    path.resolve(o.cwd ?? '.', m[1]) === path.resolve(o.cwd ?? '.', o.requirements)
      ? (o.display ?? m[1])
      : m[1]
  return `${file} line ${m[2]}`
}

export function logIndex(o: { indexUrl?: string; redactor: Redactor }): void {
  core.info(
    `Index: ${o.indexUrl ? o.redactor.redact(redactUrl(o.indexUrl)) : "pip's configured index"}`
  )
}
