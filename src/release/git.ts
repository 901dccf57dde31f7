import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import * as core from '@actions/core'
import { LayerActionError } from '../errors'
import { ProcessStartError, runProcess } from '../python/process'

export interface GitResult {
  exitCode: number
  stdout: string
  stderr: string
}

export interface GitExecOptions {
  /** Return a non-zero exit instead of throwing GitError. */
  allowFailure?: boolean
  /** Written to git's stdin (e.g. a tag message for `git tag -F -`). */
  input?: string
}

/** A git command that exited non-zero; the message carries its (redacted) stderr. */
export class GitError extends LayerActionError {
  constructor(
    readonly args: readonly string[],
    readonly result: GitResult
  ) {
    const detail = lastLines(result.stderr || result.stdout, 8)
    super(
      `git ${redact(args.join(' '))} failed (exit code ${result.exitCode})${detail ? `: ${detail}` : ''}`
    )
  }
}

/** Credentials in URLs (`https://user:token@host`) never reach a log line or an error message. */
export function redact(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/\s@]+@/gi, '$1***@')
}

function lastLines(text: string, count: number): string {
  return redact(text.trim()).split(/\r?\n/).slice(-count).join('\n')
}

/**
 * Runs the real `git` in one working directory (after create-pull-request's GitCommandManager).
 * Never prompts: a missing credential is a failure, not a hung job.
 */
export class Git {
  private constructor(
    readonly cwd: string,
    private readonly env: NodeJS.ProcessEnv
  ) {}

  static create(cwd: string, env: NodeJS.ProcessEnv = process.env): Git {
    return new Git(cwd, { ...env, GIT_TERMINAL_PROMPT: '0', GCM_INTERACTIVE: 'never' })
  }

  async exec(args: readonly string[], options: GitExecOptions = {}): Promise<GitResult> {
    core.debug(`git ${redact(args.join(' '))}`)
    const run = runProcess('git', args, { cwd: this.cwd, env: this.env, input: options.input })
    const result = await run.catch((error: unknown) => {
      if (!(error instanceof ProcessStartError) || error.errno !== 'ENOENT') throw error
      throw new LayerActionError(
        'git was not found on the PATH: versioning and tagging need git on the runner.',
        { cause: error }
      )
    })
    const gitResult: GitResult = {
      exitCode: result.code,
      stdout: result.stdout,
      stderr: result.stderr
    }
    if (gitResult.exitCode !== 0 && !options.allowFailure) throw new GitError(args, gitResult)
    return gitResult
  }
}

/** What one `git rev-parse` says about a repository: its HEAD commit (none yet: undefined), and whether it is a shallow clone. */
export interface RepositoryState {
  head?: string
  shallow: boolean
}

/**
 * The repository at `cwd`, in one git process; undefined when `cwd` is in none. A repository git
 * refuses to open because another user owns it (container jobs) is an error, not "no repository":
 * treating it as none would silently version every run as the initial version.
 */
export async function inspectRepository(cwd: string): Promise<RepositoryState | undefined> {
  try {
    await fs.access(path.resolve(cwd))
  } catch {
    return undefined
  }
  const git = Git.create(cwd)
  const result = await git.exec(
    [
      'rev-parse',
      '--is-shallow-repository',
      '--absolute-git-dir',
      '--verify',
      '--quiet',
      'HEAD^{commit}'
    ],
    { allowFailure: true }
  )
  if (/dubious ownership/.test(result.stderr)) {
    throw new LayerActionError(
      `git refuses to read the repository in ${cwd} because another user owns it (a container ` +
        'job?). Add a step before this one: git config --global --add safe.directory "$GITHUB_WORKSPACE"'
    )
  }
  // exit 1 with the first two lines: a repository without a commit yet
  const [shallow, gitDir, head] = result.stdout.trim().split('\n')
  if (!gitDir || (result.exitCode !== 0 && result.exitCode !== 1)) return undefined
  return { head: result.exitCode === 0 ? head : undefined, shallow: shallow === 'true' }
}

/** True when `cwd` is inside a git work tree (or a bare repository); see inspectRepository. */
export async function isGitRepository(cwd: string): Promise<boolean> {
  return (await inspectRepository(cwd)) !== undefined
}
