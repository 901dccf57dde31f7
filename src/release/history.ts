import * as core from '@actions/core'
import * as semver from 'semver'
import { LayerActionError, messageOf } from '../errors'
import { redact, type Git, type RepositoryState } from './git'

/** What history.ts and tag.ts need from a git runner (Git satisfies it). */
export type GitRunner = Pick<Git, 'exec'>

export interface VersionTag {
  /** `v1.2.3` */
  tag: string
  /** `1.2.3` */
  version: string
  /** the commit the tag points at (peeled) */
  sha: string
}

export interface HistoryCommit {
  sha: string
  /** the full message: header, body, footers */
  message: string
}

export interface History {
  /** sha of HEAD */
  head: string
  /**
   * The highest release tag reachable from HEAD, tags AT HEAD excluded: the release before this
   * commit. When HEAD carries a release tag this is the one before it, so reruns report the same
   * previous version as the run that created the tag.
   */
  previous?: VersionTag
  /** the highest release version tagged AT HEAD: this commit was already released as it */
  headVersion?: string
  /** commits after `previous` up to HEAD (all of HEAD's history when there is none), newest first */
  commits: HistoryCommit[]
  /** true when the clone was shallow and this call fetched the full history and the tags */
  deepened: boolean
  /** every tag whose name starts with the prefix, reachable or not → the commit it points at */
  tags?: Record<string, string>
}

export interface ReadHistoryOptions {
  /** text, not a pattern: `v`, `ms/`, `release-v`, `` */
  tagPrefix: string
  /** HEAD and shallowness when the caller already asked git (inspectRepository): not asked again */
  known?: RepositoryState
}

/**
 * The version a tag names when it is `<prefix><major>.<minor>.<patch>` exactly: pre-releases,
 * build metadata, other prefixes and non-canonical numbers (`v01.2.3`) name none.
 */
export function versionOfTag(tag: string, prefix: string): string | undefined {
  if (!tag.startsWith(prefix)) return undefined
  const rest = tag.slice(prefix.length)
  const parsed = semver.parse(rest)
  if (!parsed || parsed.prerelease.length > 0 || parsed.build.length > 0) return undefined
  // semver.parse accepts a leading `v` or `=`: `vv1.2.3` must not pass as prefix `v` + `v1.2.3`
  return parsed.version === rest ? parsed.version : undefined
}

/** The highest release tag among `tags` (ties, several names of one version, cannot happen). */
export function highestVersionTag(
  tags: readonly { tag: string; sha: string }[],
  prefix: string
): VersionTag | undefined {
  let best: VersionTag | undefined
  for (const { tag, sha } of tags) {
    const version = versionOfTag(tag, prefix)
    if (version && (!best || semver.gt(version, best.version))) best = { tag, version, sha }
  }
  return best
}

/**
 * Reads what versioning needs from the repository at HEAD: the previous release tag, the commits
 * since, and whether HEAD is already released. A shallow clone is deepened first (full history and
 * tags from origin), because a tag that is not fetched, or a commit below the shallow boundary,
 * would silently give a wrong version.
 */
export async function readHistory(git: GitRunner, options: ReadHistoryOptions): Promise<History> {
  const headResult = options.known
    ? { exitCode: 0, stdout: options.known.head ?? '', stderr: '' }
    : await git.exec(['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'], { allowFailure: true })
  const head = headResult.stdout.trim()
  if (headResult.exitCode !== 0 || !head) {
    const said = redact(headResult.stderr.trim())
    throw new LayerActionError(
      'The workspace has no git commit checked out, so no version can be derived from the history: ' +
        "run actions/checkout (with 'fetch-depth: 0') before this step." +
        (said ? `\ngit said: ${said}` : '')
    )
  }
  const deepened = await deepenShallowClone(git, options.known?.shallow)

  // two walks of the same refs, side by side
  const [all, reachable] = await Promise.all([listTags(git, []), listTags(git, ['--merged', head])])
  const headVersion = highestVersionTag(
    reachable.filter(t => t.sha === head),
    options.tagPrefix
  )?.version
  const previous = highestVersionTag(
    reachable.filter(t => t.sha !== head),
    options.tagPrefix
  )
  const commits = await listCommits(git, previous ? `${previous.sha}..${head}` : head)

  const tags: Record<string, string> = {}
  for (const { tag, sha } of all) if (tag.startsWith(options.tagPrefix)) tags[tag] = sha

  core.info(
    previous
      ? `Previous release: ${previous.tag} at ${previous.sha.slice(0, 7)}, ${commits.length} commit(s) since`
      : `No release tag with prefix '${options.tagPrefix}' is reachable from HEAD (${commits.length} commit(s))`
  )
  if (headVersion)
    core.info(`HEAD ${head.slice(0, 7)} is already released as ${options.tagPrefix}${headVersion}`)
  return { head, previous, headVersion, commits, deepened, tags }
}

const FETCH_DEPTH_HINT =
  "Set 'fetch-depth: 0' on actions/checkout so the full history and the tags are there from the start."

/** Unshallows a shallow clone from origin, tags included; returns whether it had to. */
async function deepenShallowClone(git: GitRunner, known?: boolean): Promise<boolean> {
  const shallow =
    known ?? (await git.exec(['rev-parse', '--is-shallow-repository'])).stdout.trim() === 'true'
  if (!shallow) return false

  const origin = await git.exec(['remote', 'get-url', 'origin'], { allowFailure: true })
  if (origin.exitCode !== 0) {
    throw new LayerActionError(
      'This is a shallow clone (actions/checkout fetches one commit by default) and it has no ' +
        "remote 'origin' to fetch the rest from, so the previous release tag cannot be found. " +
        FETCH_DEPTH_HINT
    )
  }
  core.info(
    'Shallow clone (actions/checkout fetch-depth: 1): fetching the full history and the tags from ' +
      "origin to find the previous release tag. Set 'fetch-depth: 0' on actions/checkout to skip this."
  )
  try {
    // Full unshallow: a partial deepening can miss a higher tag or commits on a merged side branch.
    await git.exec(['fetch', '--unshallow', '--tags', '--no-recurse-submodules', 'origin'])
  } catch (error) {
    throw new LayerActionError(
      `This is a shallow clone and fetching its history and tags from origin failed: ${messageOf(error)}\n` +
        FETCH_DEPTH_HINT,
      { cause: error }
    )
  }
  return true
}

async function listTags(
  git: GitRunner,
  filter: readonly string[]
): Promise<{ tag: string; sha: string }[]> {
  const { stdout } = await git.exec([
    'for-each-ref',
    '--format=%(refname)%09%(objectname)%09%(*objectname)',
    ...filter,
    'refs/tags'
  ])
  return stdout
    .split('\n')
    .filter(line => line.startsWith('refs/tags/'))
    .map(line => {
      const [ref, object, peeled] = line.split('\t')
      return { tag: ref.slice('refs/tags/'.length), sha: peeled || object }
    })
}

async function listCommits(git: GitRunner, range: string): Promise<HistoryCommit[]> {
  // -z: NUL between commits, which a commit message cannot contain
  const { stdout } = await git.exec(['log', '-z', '--format=%H%n%B', range, '--'])
  return stdout
    .split('\0')
    .map(entry => entry.replace(/^\s+/, ''))
    .filter(entry => entry)
    .map(entry => {
      const newline = entry.indexOf('\n')
      const sha = (newline < 0 ? entry : entry.slice(0, newline)).trim()
      const message = newline < 0 ? '' : entry.slice(newline + 1).replace(/\s+$/, '')
      return { sha, message }
    })
}
