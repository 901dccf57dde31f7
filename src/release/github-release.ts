/**
 * The GitHub Release of a tag: its changelog and one table environment → region → layer version
 * ARN that every job of a matrix fills in with its own rows.
 *
 * Jobs write the same release body at the same moment, and GitHub's release API has no conditional
 * write (no If-Match): a PATCH replaces the body. So each job owns rows marked with its layer name
 * (`<!-- layer-action:row common-dev us-east-1 -->`), merges them into the body it read, writes, then
 * reads again after a short random wait: when a job that read before our write has written after
 * it, our rows are gone, and we merge and write again (up to `attempts` times). Rows of other jobs
 * are never dropped, only our own replaced; text outside the marked table (edited by hand, or
 * written by another tool) is kept.
 */
import { setTimeout as delay } from 'node:timers/promises'
import type { GitHub } from '@actions/github/lib/utils'
import * as core from '@actions/core'
import { LayerActionError, messageOf } from '../errors'
import { escapeMarkdown } from './changelog'

export type Octokit = InstanceType<typeof GitHub>

export interface ReleaseRow {
  environment: string
  region: string
  layerVersionArn: string
}

export interface UpsertReleaseRequest {
  owner: string
  repo: string
  /** `v1.4.0`: also the release's title */
  tag: string
  /** markdown, written when the body has none yet */
  changelog: string
  /** the published layer name: the key of this job's rows */
  layer: string
  rows: readonly ReleaseRow[]
}

export interface UpsertReleaseOptions {
  /** writes (and re-reads) before giving up; default 5 */
  attempts?: number
  /** wait before reading our write back, plus up to as much again at random; default 1500 ms */
  verifyMs?: number
  sleep?: (ms: number) => Promise<void>
  random?: () => number
  log?: (line: string) => void
}

export interface ReleaseOutcome {
  url: string
  id: number
  /** where release assets go (`…/releases/<id>/assets{?name,label}`, a URI template) */
  uploadUrl: string
  status: 'created' | 'updated' | 'unchanged'
  /** writes it took (more than 1: a concurrent job overwrote ours, or created it first) */
  writes: number
}

const BEGIN = '<!-- layer-action:layers:begin -->'
const END = '<!-- layer-action:layers:end -->'
const ROW = /<!-- layer-action:row (\S+) (\S+) -->/
const HEADER = [
  '### Lambda layer versions',
  '',
  '| Environment | Region | Layer version ARN |',
  '|---|---|---|'
]

interface ParsedRow {
  layer: string
  region: string
  line: string
}

function rowLine(layer: string, r: ReleaseRow): string {
  return `| ${r.environment || '—'} | ${r.region} | \`${r.layerVersionArn}\` <!-- layer-action:row ${layer} ${r.region} --> |`
}

function rowsOf(body: string): ParsedRow[] {
  const rows: ParsedRow[] = []
  for (const line of body.split('\n')) {
    const m = ROW.exec(line)
    if (m) rows.push({ layer: m[1], region: m[2], line: line.trim() })
  }
  return rows
}

/** The body with this job's rows in the marked table (added, or replacing its own); the rest kept. */
export function mergeReleaseBody(
  body: string | null | undefined,
  changelog: string,
  layer: string,
  rows: readonly ReleaseRow[]
): string {
  const text = (body ?? '').replace(/\r\n/g, '\n')
  const begin = text.indexOf(BEGIN)
  const end = text.indexOf(END, begin)
  const hasTable = begin >= 0 && end > begin
  const others = hasTable
    ? rowsOf(text.slice(begin, end)).filter(r => r.layer !== layer)
    : rowsOf(text).filter(r => r.layer !== layer)
  const mine = rows.map(r => ({ layer, region: r.region, line: rowLine(layer, r) }))
  const all = [...others, ...mine].sort(
    (a, b) => a.line.localeCompare(b.line) || a.region.localeCompare(b.region)
  )
  const table = [BEGIN, ...HEADER, ...all.map(r => r.line), END].join('\n')
  if (hasTable) return text.slice(0, begin) + table + text.slice(end + END.length)
  const before = text.trim() || changelog.trim()
  return before ? `${before}\n\n${table}\n` : `${table}\n`
}

/** True when every row of ours is in the body exactly as we wrote it. */
function holdsRows(body: string | null | undefined, layer: string, rows: readonly ReleaseRow[]) {
  const present = new Set(rowsOf(body ?? '').map(r => r.line))
  return rows.every(r => present.has(rowLine(layer, r)))
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown }).status
  return typeof status === 'number' ? status : undefined
}

function isAlreadyExists(error: unknown): boolean {
  const errors = (error as { response?: { data?: { errors?: { code?: string }[] } } }).response
    ?.data?.errors
  return statusOf(error) === 422 && (errors ?? []).some(e => e.code === 'already_exists')
}

const PERMISSION =
  "The job needs 'permissions: contents: write' (and 'github-token' a token allowed to write releases)."

function explain(error: unknown, what: string): LayerActionError {
  const status = statusOf(error)
  const hint = status === 401 || status === 403 || status === 404 ? ` ${PERMISSION}` : ''
  return new LayerActionError(
    `Could not ${what}: GitHub answered ${status ?? 'no HTTP status'}: ${messageOf(error)}.${hint}`,
    { cause: error }
  )
}

type Release = { id: number; html_url: string; upload_url: string; body?: string | null }

async function readRelease(
  octokit: Octokit,
  r: UpsertReleaseRequest
): Promise<Release | undefined> {
  try {
    const { data } = await octokit.rest.repos.getReleaseByTag({
      owner: r.owner,
      repo: r.repo,
      tag: r.tag
    })
    return data
  } catch (error: unknown) {
    if (statusOf(error) === 404) return undefined
    throw error
  }
}

/**
 * Creates the release of `tag` with this job's rows, or merges them into the existing one, and
 * checks they are still there after concurrent writers (see the top of this file).
 */
export async function upsertRelease(
  octokit: Octokit,
  r: UpsertReleaseRequest,
  o: UpsertReleaseOptions = {}
): Promise<ReleaseOutcome> {
  const attempts = Math.max(1, o.attempts ?? 5)
  const verifyMs = o.verifyMs ?? 1500
  const sleep = o.sleep ?? delay
  const random = o.random ?? Math.random
  const log = o.log ?? core.info
  let status: ReleaseOutcome['status'] = 'unchanged'
  let writes = 0
  let lastError: unknown
  for (let attempt = 1; attempt <= attempts; attempt++) {
    let release: Release | undefined
    try {
      release = await readRelease(octokit, r)
      if (release && holdsRows(release.body, r.layer, r.rows)) {
        if (writes === 0) log(`Release ${r.tag} already lists these layer versions`)
        return {
          url: release.html_url,
          id: release.id,
          uploadUrl: release.upload_url,
          status,
          writes
        }
      }
      const body = mergeReleaseBody(release?.body, r.changelog, r.layer, r.rows)
      if (!release) {
        try {
          const { data } = await octokit.rest.repos.createRelease({
            owner: r.owner,
            repo: r.repo,
            tag_name: r.tag,
            name: r.tag,
            body
          })
          release = data
          status = 'created'
        } catch (error: unknown) {
          // another job created it between our read and our write: merge into theirs
          if (isAlreadyExists(error)) {
            log(`Release ${r.tag} was just created by another job: merging into it`)
            continue
          }
          throw error
        }
      } else {
        const { data } = await octokit.rest.repos.updateRelease({
          owner: r.owner,
          repo: r.repo,
          release_id: release.id,
          body
        })
        release = data
        if (status !== 'created') status = 'updated'
      }
      writes++
    } catch (error: unknown) {
      const code = statusOf(error)
      // 5xx and (secondary) rate limits pass; anything else (permissions, validation) does not
      const limited = code === 429 || (code === 403 && /rate limit/i.test(messageOf(error)))
      if (code !== undefined && code < 500 && !limited) {
        throw explain(error, `write the GitHub Release ${r.tag} of ${r.owner}/${r.repo}`)
      }
      lastError = error
      await sleep(verifyMs * (1 + random()))
      continue
    }
    // a job that read before our write may write after it: read ours back after a while
    await sleep(verifyMs * (1 + random()))
    try {
      const check = await readRelease(octokit, r)
      if (check && holdsRows(check.body, r.layer, r.rows)) {
        log(
          `Release ${r.tag} ${status}: ${check.html_url} (${r.rows.length} row(s) for ${r.layer})`
        )
        return { url: check.html_url, id: check.id, uploadUrl: check.upload_url, status, writes }
      }
      log(`Release ${r.tag}: another job wrote over our rows; merging them in again`)
    } catch (error: unknown) {
      lastError = error
    }
  }
  throw new LayerActionError(
    `Could not keep this job's rows in the GitHub Release ${r.tag} after ${attempts} attempts` +
      (lastError ? `: ${messageOf(lastError)}` : ': other jobs kept writing over them') +
      '. Re-run the job: it merges its rows into the release again.'
  )
}

/** The annotated tag's message as markdown: `Features:` lines become headings; HTML escaped. */
export function tagMessageToMarkdown(message: string): string {
  return escapeMarkdown(message)
    .split('\n')
    .map(line => line.replace(/^([A-Z][A-Za-z ]+):$/, '### $1'))
    .join('\n')
    .trim()
}
