/** `github-release: true`: the run's tag and layer versions → the GitHub Release of the tag. */
import * as core from '@actions/core'
import { getOctokit } from '@actions/github'
import { LayerActionError } from '../errors'
import type { DeliveryResult } from '../deliver/deliver'
import type { ActionInputs } from '../inputs'
import type { Plan } from '../plan'
import type { VersionDecision } from './bump'
import { formatTagMessage } from './changelog'
import type { GitRunner } from './history'
import type { TagOutcome } from './release'
import {
  tagMessageToMarkdown,
  upsertRelease,
  type Octokit,
  type ReleaseOutcome,
  type UpsertReleaseOptions
} from './github-release'

export interface GitHubReleaseResult {
  tag: string
  /** set when the release was written or already held the rows */
  outcome?: ReleaseOutcome
  /** why no release was written */
  skipped?: string
}

export interface GitHubReleaseRequest {
  token: string
  environment: string
  layerName: string
  release: VersionDecision
  tag: TagOutcome
  deliveries: readonly DeliveryResult[]
  git?: GitRunner
  /** default: GITHUB_API_URL (GitHub Enterprise), then https://api.github.com */
  apiUrl?: string
  /** `owner/repo`; default GITHUB_REPOSITORY */
  repository?: string
  octokit?: Octokit
}

/** The message of the annotated tag in this clone, '' when the tag is not here. */
async function tagMessage(git: GitRunner | undefined, tag: string): Promise<string> {
  if (!git) return ''
  const r = await git.exec(['for-each-ref', '--format=%(contents)', `refs/tags/${tag}`], {
    allowFailure: true
  })
  return r.exitCode === 0 ? r.stdout.trim() : ''
}

/**
 * Writes this job's rows into the release of the tag once the tag is on origin (pushed now, by
 * another job of the matrix, or an earlier run); skips, saying why, when there is no tag.
 */
export async function releaseOnGitHub(
  r: GitHubReleaseRequest,
  o: UpsertReleaseOptions = {}
): Promise<GitHubReleaseResult> {
  const { tag } = r.tag
  const tagged = r.tag.status === 'created' || r.tag.status === 'exists' || !r.release.newTag
  if (!tagged || r.deliveries.length === 0) {
    const skipped = `no tag ${tag} on origin (${r.tag.reason ?? 'nothing published'})`
    core.info(`No GitHub Release: ${skipped}`)
    return { tag, skipped }
  }
  const repository = r.repository ?? process.env.GITHUB_REPOSITORY ?? ''
  const [owner, repo] = repository.split('/')
  if (!owner || !repo)
    throw new LayerActionError(
      `github-release needs the repository (owner/name) from GITHUB_REPOSITORY, which is '${repository}': run the action in a GitHub Actions job`
    )
  const octokit =
    r.octokit ??
    getOctokit(r.token, {
      // read at call time: GitHub Enterprise Server sets it to https://HOST/api/v3
      baseUrl: r.apiUrl ?? process.env.GITHUB_API_URL ?? 'https://api.github.com'
    })
  const message = (await tagMessage(r.git, tag)) || formatTagMessage(r.release)
  const outcome = await upsertRelease(
    octokit,
    {
      owner,
      repo,
      tag,
      changelog: tagMessageToMarkdown(message),
      layer: r.layerName,
      rows: r.deliveries.map(d => ({
        environment: r.environment,
        region: d.region,
        layerVersionArn: d.layerVersionArn
      }))
    },
    o
  )
  return { tag, outcome }
}

/** The stage run() calls: this run's inputs, plan, tag and layer versions → releaseOnGitHub. */
export function githubRelease(
  inputs: ActionInputs,
  plan: Plan,
  tag: TagOutcome,
  deliveries: readonly DeliveryResult[],
  o: UpsertReleaseOptions = {}
): Promise<GitHubReleaseResult> {
  return releaseOnGitHub(
    {
      token: inputs.githubToken,
      environment: inputs.environment,
      layerName: inputs.publishedName,
      release: plan.release,
      tag,
      deliveries,
      git: plan.git
    },
    o
  )
}
