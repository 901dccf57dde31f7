// Real git repositories for tests: a bare `origin`, clones of it, commits with fixed dates, tags.
// isolateGit() makes git ignore the machine's and the user's configuration (identity included).
import { execFileSync } from 'node:child_process'
import { mkdtemp, rm, writeFile, chmod } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

const IDENTITY = {
  GIT_AUTHOR_NAME: 'Test Author',
  GIT_AUTHOR_EMAIL: 'author@example.com',
  GIT_COMMITTER_NAME: 'Test Author',
  GIT_COMMITTER_EMAIL: 'author@example.com'
}

/**
 * Points HOME and the global git config at an empty temp dir and turns off the system config, for
 * this test process. Returns the temp dir (remove it in `after`).
 */
export async function isolateGit(): Promise<string> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'layer-git-home-'))
  for (const name of Object.keys(process.env)) {
    if (
      /^GIT_(DIR|WORK_TREE|INDEX_FILE|AUTHOR_|COMMITTER_|CONFIG|OBJECT_DIRECTORY|NAMESPACE)/.test(
        name
      )
    ) {
      delete process.env[name]
    }
  }
  process.env.HOME = home
  process.env.XDG_CONFIG_HOME = path.join(home, '.config')
  process.env.GIT_CONFIG_NOSYSTEM = '1'
  process.env.GIT_CONFIG_GLOBAL = path.join(home, '.gitconfig')
  process.env.GIT_TERMINAL_PROMPT = '0'
  return home
}

/** Runs git synchronously; returns trimmed stdout. `env` adds to process.env. */
export function git(
  cwd: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; input?: string } = {}
): string {
  return execFileSync('git', args, {
    cwd,
    env: { ...process.env, ...options.env },
    input: options.input,
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe']
  }).trim()
}

let clock = Date.UTC(2026, 0, 1) / 1000

/** An empty commit with `message` kept verbatim and a fixed, increasing date; returns its sha. */
export function commit(cwd: string, message: string): string {
  clock += 60
  const date = `@${clock} +0000`
  git(cwd, ['commit', '--allow-empty', '--cleanup=verbatim', '--file=-'], {
    input: message,
    env: { ...IDENTITY, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date }
  })
  return git(cwd, ['rev-parse', 'HEAD'])
}

/** An annotated tag (lightweight with `lightweight: true`) at `ref` (HEAD by default). */
export function tag(
  cwd: string,
  name: string,
  options: { ref?: string; lightweight?: boolean } = {}
): void {
  const args = options.lightweight ? ['tag', name] : ['tag', '-a', '-m', `release ${name}`, name]
  git(cwd, [...args, options.ref ?? 'HEAD'], { env: IDENTITY })
}

export interface Sandbox {
  root: string
  /** the bare repository */
  origin: string
  /** `file://` URL of origin */
  url: string
  /** a full clone of origin, branch main, to build history in */
  work: string
  /** pushes every branch and tag of `work` to origin */
  publish(): void
  /** a new clone of origin; `depth` makes it shallow like actions/checkout's default */
  clone(name: string, options?: { depth?: number }): string
  remove(): Promise<void>
}

export async function createSandbox(): Promise<Sandbox> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'layer-git-'))
  const origin = path.join(root, 'origin.git')
  const url = `file://${origin}`
  git(root, ['init', '--quiet', '--bare', '--initial-branch=main', origin])
  const work = path.join(root, 'work')
  git(root, ['clone', '--quiet', url, work])
  git(work, ['checkout', '--quiet', '-B', 'main'])
  return {
    root,
    origin,
    url,
    work,
    publish() {
      git(work, ['push', '--quiet', 'origin', '--all'])
      git(work, ['push', '--quiet', 'origin', '--tags'])
    },
    clone(name, options = {}) {
      const dest = path.join(root, name)
      const depth = options.depth ? ['--depth', String(options.depth)] : []
      git(root, ['clone', '--quiet', ...depth, url, dest])
      return dest
    },
    remove: () => rm(root, { recursive: true, force: true })
  }
}

/** Like actions/checkout with fetch-depth 1: init, fetch one commit without tags, check it out. */
export function checkoutLikeActions(sandbox: Sandbox, name: string, branch = 'main'): string {
  const dest = path.join(sandbox.root, name)
  git(sandbox.root, ['init', '--quiet', dest])
  git(dest, ['remote', 'add', 'origin', sandbox.url])
  git(dest, [
    '-c',
    'protocol.version=2',
    'fetch',
    '--quiet',
    '--no-tags',
    '--prune',
    '--no-recurse-submodules',
    '--depth=1',
    'origin',
    `+refs/heads/${branch}:refs/remotes/origin/${branch}`
  ])
  git(dest, ['checkout', '--quiet', '--force', '-B', branch, `refs/remotes/origin/${branch}`])
  return dest
}

/** Installs an executable hook script (`#!/bin/sh` added) in a bare repository. */
export async function installHook(bare: string, name: string, script: string): Promise<void> {
  const file = path.join(bare, 'hooks', name)
  await writeFile(file, `#!/bin/sh\n${script}\n`)
  await chmod(file, 0o755)
}
