/**
 * A failed pip run → the error that names its real cause: a missing wheel (with the chain that
 * pulled it in and the files that exist), an index that answered an HTTP error, a server that
 * stalled; else pip's own lines (a true conflict between requirements).
 */
import path from 'node:path'
import { LayerActionError } from '../errors'
import type { Architecture, Runtime } from '../runtimes'
import { redactUrl, type Redactor } from '../credentials'
import { PipError, pipFailureLines } from '../python/pip'
import type { ProcessResult } from '../python/process'
import { readProjectPage, type ProjectListing } from '../python/index-page'
import { configuredIndexUrls, pipOptionValues } from '../python/pip'
import { compareVersions, specifierMatches } from '../python/pep440'
import { parseRequirement } from '../python/requirements'
import { accepts, describeTarget, parseDistributionFile } from '../python/wheel-tags'
import { explainNoWheel } from './no-wheel'
import { chainTo, readPipFailure, type FailedRequirement, type PipFailure } from './pip-failure'
import type { PipOptions } from './pip'

/** Seconds pip waits for a server before it gives up on a read: a stalled index fails inside two minutes. */
export const PIP_TIMEOUT_SECONDS = 30

export function userSetTimeout(pipArgs: readonly string[]): boolean {
  return pipOptionValues(pipArgs, ['--timeout']).length > 0
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
