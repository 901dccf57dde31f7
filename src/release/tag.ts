import { setTimeout as delay } from 'node:timers/promises'
import * as core from '@actions/core'
import { LayerActionError, messageOf } from '../errors'
import { GitError } from './git'
import type { GitRunner } from './history'

export const BOT_NAME = 'github-actions[bot]'
export const BOT_EMAIL = '41898282+github-actions[bot]@users.noreply.github.com'

export interface PushTagOptions {
  /** `v1.4.0` */
  tag: string
  /** the commit to tag (HEAD's sha) */
  sha: string
  /** the annotated tag's message (formatTagMessage) */
  message: string
  /** default `origin` */
  remote?: string
  /** push attempts when the remote was busy updating the same ref; default 3 */
  attempts?: number
  /** injectable for tests; default setTimeout */
  sleep?: (ms: number) => Promise<void>
}

export type PushTagResult = 'created' | 'exists'

const PERMISSION_HINT =
  'Pushing a tag needs write access to the repository: give the job `permissions: contents: write` ' +
  'and keep actions/checkout’s default `persist-credentials: true` (or set `tag: false`).'

/**
 * Creates the annotated tag at `sha` and pushes it to origin, idempotently: a tag of that name
 * already at that commit (an earlier run, or another job of the same matrix that won the race) is
 * success; at another commit it is an error. Never force-pushes.
 */
export async function pushTag(git: GitRunner, options: PushTagOptions): Promise<PushTagResult> {
  const { tag, sha } = options
  const remote = options.remote ?? 'origin'
  const attempts = Math.max(1, options.attempts ?? 3)
  const sleep = options.sleep ?? delay
  const ref = `refs/tags/${tag}`

  const before = await remoteTagCommit(git, remote, tag)
  if (before !== undefined) return settle(tag, sha, before, remote)

  const local = await localTagCommit(git, tag)
  if (local === undefined) await createTag(git, options)
  else if (local !== sha) throw conflict(tag, sha, local, 'in this clone')

  for (let attempt = 1; ; attempt++) {
    const push = await git.exec(['push', '--no-verify', remote, `${ref}:${ref}`], {
      allowFailure: true
    })
    if (push.exitCode === 0) {
      core.info(`Pushed tag ${tag} (${sha.slice(0, 7)}) to ${remote}`)
      return 'created'
    }
    // Rejected: most often another job pushed the same tag first. Ask the remote what it holds now.
    const now = await remoteTagCommit(git, remote, tag, true)
    if (now !== undefined) return settle(tag, sha, now, remote)
    const detail = new GitError(['push', remote, ref], push).message
    const busy = /\block\b|\.lock\b|already exists/i.test(push.stderr)
    if (!busy || attempt >= attempts) {
      throw new LayerActionError(
        `Could not push tag ${tag} to ${remote}: ${detail}\n${PERMISSION_HINT}`
      )
    }
    core.info(
      `Pushing tag ${tag} was refused while ${remote} was busy; retrying (${attempt}/${attempts})`
    )
    await sleep(1000 * attempt)
  }
}

function settle(tag: string, sha: string, remoteSha: string, remote: string): PushTagResult {
  if (remoteSha !== sha) throw conflict(tag, sha, remoteSha, `on ${remote}`)
  core.info(
    `Tag ${tag} already exists on ${remote} at this commit (${sha.slice(0, 7)}): an earlier run or ` +
      'another job of the matrix created it'
  )
  return 'exists'
}

function conflict(tag: string, sha: string, other: string, where: string): LayerActionError {
  return new LayerActionError(
    `Tag ${tag} already exists ${where} at commit ${other.slice(0, 12)}, not at this commit ` +
      `${sha.slice(0, 12)}: that version was released from another commit. Re-run this job (it ` +
      `will then see ${tag} and choose the next version), or if that tag is wrong, delete it ` +
      `(git push origin :refs/tags/${tag}) and re-run.`
  )
}

/** The commit the remote's tag points at (peeled), or undefined when the remote has no such tag. */
async function remoteTagCommit(
  git: GitRunner,
  remote: string,
  tag: string,
  quiet = false
): Promise<string | undefined> {
  const ref = `refs/tags/${tag}`
  const result = await git.exec(['ls-remote', remote, ref, `${ref}^{}`], { allowFailure: true })
  if (result.exitCode !== 0) {
    if (quiet) return undefined
    throw new LayerActionError(
      `Could not read the tags of ${remote}: ${new GitError(['ls-remote', remote, ref], result).message}\n` +
        PERMISSION_HINT
    )
  }
  const refs = new Map<string, string>()
  for (const line of result.stdout.split('\n')) {
    const [object, name] = line.trim().split('\t')
    if (object && name) refs.set(name, object)
  }
  // `ref^{}` is listed for annotated tags only: the commit; a lightweight tag is the commit itself
  return refs.get(`${ref}^{}`) ?? refs.get(ref)
}

async function localTagCommit(git: GitRunner, tag: string): Promise<string | undefined> {
  const result = await git.exec(['rev-parse', '--verify', '--quiet', `refs/tags/${tag}^{commit}`], {
    allowFailure: true
  })
  return result.exitCode === 0 ? result.stdout.trim() : undefined
}

async function identityArgs(git: GitRunner): Promise<string[]> {
  const name = await git.exec(['config', 'user.name'], { allowFailure: true })
  const email = await git.exec(['config', 'user.email'], { allowFailure: true })
  if (name.stdout.trim() && email.stdout.trim()) return []
  // GitHub renders this identity as the Actions bot on the tag
  return ['-c', `user.name=${BOT_NAME}`, '-c', `user.email=${BOT_EMAIL}`]
}

async function createTag(git: GitRunner, options: PushTagOptions): Promise<void> {
  const { tag, sha, message } = options
  try {
    await git.exec(
      [
        ...(await identityArgs(git)),
        'tag',
        '--annotate',
        // keep lines starting with `#`; the default cleanup would drop them as comments
        '--cleanup=whitespace',
        '--file=-',
        tag,
        sha
      ],
      { input: message }
    )
  } catch (error) {
    const local = await localTagCommit(git, tag)
    if (local === sha) return
    if (local !== undefined) throw conflict(tag, sha, local, 'in this clone')
    throw new LayerActionError(
      `Could not create tag ${tag} at ${sha.slice(0, 12)}: ${messageOf(error)}`,
      {
        cause: error
      }
    )
  }
}
