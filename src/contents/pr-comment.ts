/**
 * `pr-comment: true`: one comment per layer on the pull request, found again by a hidden marker
 * that names the layer and edited by every later run, so a matrix keeps one comment per environment
 * and a push never adds a second one. A comment is a report: nothing here fails the run.
 */
import { readFileSync } from 'node:fs'
import * as core from '@actions/core'
import { ACTION_VERSION } from '../constants'
import { messageOf } from '../errors'
import type { ActionInputs } from '../inputs'
import type { Plan } from '../plan'
import type { ContentsResult } from './contents'
import type { Octokit } from '../release/github-release'
import { contentsMarkdown, type ContentsView } from './markdown'

export interface PullRequest {
  readonly owner: string
  readonly repo: string
  readonly number: number
}

export interface CommentOutcome {
  readonly status: 'created' | 'updated' | 'unchanged' | 'skipped'
  readonly url?: string
  /** why there is no comment */
  readonly reason?: string
}

/** The pull request of a `pull_request` or `pull_request_target` event; undefined for any other. */
export function pullRequestOf(env: NodeJS.ProcessEnv = process.env): PullRequest | undefined {
  if (env.GITHUB_EVENT_NAME !== 'pull_request' && env.GITHUB_EVENT_NAME !== 'pull_request_target')
    return undefined
  const [owner, repo] = (env.GITHUB_REPOSITORY ?? '').split('/')
  let number: unknown
  try {
    const event = JSON.parse(readFileSync(env.GITHUB_EVENT_PATH ?? '', 'utf8')) as {
      pull_request?: { number?: unknown }
      number?: unknown
    }
    number = event.pull_request?.number ?? event.number
  } catch {
    return undefined
  }
  return owner && repo && typeof number === 'number' ? { owner, repo, number } : undefined
}

export function commentMarker(layerName: string): string {
  return `<!-- layer-action:pr-comment ${layerName} -->`
}

export function commentBody(o: {
  layerName: string
  /** `python3.12 (Amazon Linux 2023, glibc 2.34, x86_64)` */
  target: string
  sha: string
  toolVersion: string
  view: ContentsView
}): string {
  return [
    commentMarker(o.layerName),
    `### Lambda layer \`${o.layerName}\` · ${o.target}`,
    '',
    ...contentsMarkdown(o.view),
    `<sub>layer-action ${o.toolVersion}${o.sha ? ` · commit ${o.sha.slice(0, 7)}` : ''} · this comment is updated by every run</sub>`,
    ''
  ].join('\n')
}

type Comment = { id: number; body?: string | null; html_url: string }

/** Creates the layer's comment, or edits the one a run made before (the oldest, when a race made two). */
export async function upsertComment(
  octokit: Octokit,
  pr: PullRequest,
  marker: string,
  body: string
): Promise<CommentOutcome> {
  const where = { owner: pr.owner, repo: pr.repo }
  const ours = async (): Promise<Comment[]> =>
    (
      await octokit.paginate(octokit.rest.issues.listComments, {
        ...where,
        issue_number: pr.number,
        per_page: 100
      })
    )
      .filter(c => c.body?.includes(marker))
      .sort((a, b) => a.id - b.id)
  const [existing] = await ours()
  if (existing?.body === body) return { status: 'unchanged', url: existing.html_url }
  if (existing) {
    const { data } = await octokit.rest.issues.updateComment({
      ...where,
      comment_id: existing.id,
      body
    })
    return { status: 'updated', url: data.html_url }
  }
  const { data: created } = await octokit.rest.issues.createComment({
    ...where,
    issue_number: pr.number,
    body
  })
  // another run of this layer created one at the same moment: the oldest stays, with our text
  const [oldest] = await ours()
  if (oldest && oldest.id !== created.id) {
    await octokit.rest.issues.deleteComment({ ...where, comment_id: created.id })
    const { data } = await octokit.rest.issues.updateComment({
      ...where,
      comment_id: oldest.id,
      body
    })
    return { status: 'updated', url: data.html_url }
  }
  return { status: 'created', url: created.html_url }
}

/** The stage's call: never throws; a refusal (a fork's read-only token) is a warning saying why. */
export async function commentOnPullRequest(o: {
  token: string
  layerName: string
  body: string
  env?: NodeJS.ProcessEnv
  octokit?: Octokit
}): Promise<CommentOutcome> {
  const env = o.env ?? process.env
  const pr = pullRequestOf(env)
  if (!pr) {
    const reason = `the event is ${env.GITHUB_EVENT_NAME || 'unknown'}, not pull_request or pull_request_target`
    core.info(`No pull-request comment: ${reason}`)
    return { status: 'skipped', reason }
  }
  const skip = (reason: string): CommentOutcome => {
    core.warning(`No pull-request comment for ${o.layerName} on #${pr.number}: ${reason}`)
    return { status: 'skipped', reason }
  }
  if (!o.token && !o.octokit) return skip("'github-token' is empty")
  try {
    // Octokit loads only to write a comment (a chunk of its own)
    const octokit =
      o.octokit ??
      (await import('@actions/github')).getOctokit(o.token, {
        baseUrl: env.GITHUB_API_URL || 'https://api.github.com'
      })
    const outcome = await upsertComment(octokit, pr, commentMarker(o.layerName), o.body)
    core.info(`Pull-request comment ${outcome.status}: ${outcome.url ?? ''}`)
    return outcome
  } catch (error: unknown) {
    const status = (error as { status?: unknown }).status
    if (status === 403 || status === 404)
      return skip(
        `GitHub answered ${status} (${messageOf(error)}). A pull request from a fork runs with a ` +
          'read-only token, which cannot comment: the changes are in the job summary. For pull ' +
          "requests from this repository, give the job 'permissions: pull-requests: write'."
      )
    return skip(
      `GitHub answered ${typeof status === 'number' ? status : 'no HTTP status'}: ${messageOf(error)}`
    )
  }
}

/** The stage run() calls with pr-comment: true. */
export function commentContents(
  inputs: ActionInputs,
  plan: Plan,
  contents: ContentsResult
): Promise<CommentOutcome> {
  return commentOnPullRequest({
    token: inputs.githubToken,
    layerName: inputs.publishedName,
    body: commentBody({
      layerName: inputs.publishedName,
      target: plan.runtimeLabel,
      sha: plan.sha,
      toolVersion: ACTION_VERSION,
      view: contents.view
    })
  })
}
