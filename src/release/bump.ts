import { CommitParser } from 'conventional-commits-parser'
import * as semver from 'semver'
import { InputError, LayerActionError } from '../errors'
import type { History } from './history'

export type Bump = 'major' | 'minor' | 'patch' | 'none'
export const BUMPS: readonly Bump[] = ['major', 'minor', 'patch', 'none']

export function isBump(value: string): value is Bump {
  return (BUMPS as readonly string[]).includes(value)
}

/** What `initial-version` accepts, for InputError messages. */
export const PLAIN_VERSION_HELP =
  'a plain semantic version major.minor.patch such as 1.0.0 or 0.1.0 (no prefix, no pre-release)'

/** `1.0.0` yes; `v1.0.0`, `1.0`, `1.0.0-rc.1`, `01.0.0` no. */
export function isPlainVersion(value: string): boolean {
  const parsed = semver.parse(value)
  return (
    parsed !== null &&
    parsed.prerelease.length === 0 &&
    parsed.build.length === 0 &&
    parsed.version === value
  )
}

export interface Change {
  sha: string
  /** lower case; '' when the header is not `type: subject` */
  type: string
  scope?: string
  /** the header's description, or the whole header of an untyped commit */
  subject: string
  /** text of a BREAKING CHANGE footer (or the subject, for `!`), on breaking changes only */
  breaking?: string
}

export interface Changes {
  breaking: Change[]
  features: Change[]
  fixes: Change[]
  other: Change[]
}

export interface CommitClass {
  type: string
  scope?: string
  subject: string
  breaking: boolean
  /** the BREAKING CHANGE footer's text (the subject for a `!` header) */
  breakingNote?: string
  /** what this commit alone asks for; undefined when it is neither breaking, feat nor fix */
  bump?: Exclude<Bump, 'none'>
}

// Conventional Commits 1.0.0: `type(scope)!: subject`; the type is case-insensitive (lower-cased
// below); `: ` is required, so `feat add x` or `feat:x` is not a typed commit.
const TYPED_HEADER = /^(\w+)(?:\(([^()\r\n]*)\))?: +(.*?)\s*$/
const BREAKING_HEADER = /^(\w+)(?:\(([^()\r\n]*)\))?!: +(.*?)\s*$/

const parser = new CommitParser({
  headerPattern: TYPED_HEADER,
  breakingHeaderPattern: BREAKING_HEADER,
  headerCorrespondence: ['type', 'scope', 'subject'],
  noteKeywords: ['BREAKING CHANGE', 'BREAKING-CHANGE'],
  // A footer token at the start of a line, upper case (the spec demands it): prose that mentions
  // a "breaking change", or a `* BREAKING CHANGE` bullet, is not a footer.
  notesPattern: keywords => new RegExp(`^(${keywords}):[ \\t]*(.*)$`),
  // The default `-field-` pattern would swallow every line after a markdown `---` rule, footers too.
  fieldPattern: undefined,
  mergePattern: undefined
})

const BREAKING_NOTE = /^BREAKING[ -]CHANGE$/

/**
 * Classifies one commit message by Conventional Commits 1.0.0. Only the header types a commit:
 * the `* feat: …` lines of a squash-merge body are the squashed commits' headers, not this one's.
 */
export function classifyCommit(message: string): CommitClass {
  const text = message.replace(/\r\n?/g, '\n').replace(/^\s+/, '')
  if (!text) return { type: '', subject: '', breaking: false }
  const commit = parser.parse(text)
  const header = (commit.header ?? '').trim()
  const type = (commit.type ?? '').toLowerCase()
  const note = commit.notes.find(n => BREAKING_NOTE.test(n.title))
  const breaking = note !== undefined
  const result: CommitClass = {
    type,
    subject: type ? (commit.subject ?? '').trim() : header,
    breaking
  }
  if (type && commit.scope) result.scope = commit.scope.trim()
  if (note) result.breakingNote = note.text.trim() || result.subject
  if (breaking) result.bump = 'major'
  else if (type === 'feat') result.bump = 'minor'
  else if (type === 'fix') result.bump = 'patch'
  return result
}

export interface DecideVersionOptions {
  history: History
  /** text, not a pattern */
  tagPrefix: string
  /** plain x.y.z: the version when no release tag is reachable */
  initialVersion: string
  /** applied when no commit since the previous release is breaking, a feat or a fix */
  defaultBump: Bump
}

export interface VersionDecision {
  /** `1.4.0` */
  version: string
  /** `1.3.2`; '' when there was no release before */
  previousVersion: string
  /**
   * What was applied to previousVersion. `none` when HEAD is already released, when default-bump
   * `none` applied, and for the first release (initial-version is not a bump of anything).
   */
  bump: Bump
  /** `<tagPrefix><version>` */
  tag: string
  /** true when `tag` names a new release of HEAD: create it after a publish (pushTag) */
  newTag: boolean
  /** true when HEAD carries `tag` already in this clone: a rerun only makes sure origin has it */
  atHead?: boolean
  /** set when `tag` already exists at another commit (not reachable from HEAD): see assertTagAvailable */
  conflictSha?: string
  changes: Changes
}

const ORDER: Record<Bump, number> = { none: 0, patch: 1, minor: 2, major: 3 }

/**
 * The version of HEAD. HEAD already released → that version, bump `none`, no new tag, so every job
 * of a matrix agrees; no release before → initialVersion; otherwise previous + the highest bump
 * the commits ask for (no special case below 1.0.0: 0.3.1 + feat = 0.4.0, + breaking = 1.0.0).
 */
export function decideVersion(options: DecideVersionOptions): VersionDecision {
  const { history, tagPrefix, initialVersion, defaultBump } = options
  if (!isPlainVersion(initialVersion)) {
    throw new InputError('initial-version', initialVersion, PLAIN_VERSION_HELP)
  }
  if (!isBump(defaultBump)) {
    throw new InputError('default-bump', defaultBump, `one of ${BUMPS.join(', ')}`)
  }
  const classified = history.commits.map(c => ({ sha: c.sha, ...classifyCommit(c.message) }))
  const changes = groupChanges(classified)
  const previousVersion = history.previous?.version ?? ''

  let version: string
  let bump: Bump
  if (history.headVersion) {
    version = history.headVersion
    bump = 'none'
  } else if (!history.previous) {
    version = initialVersion
    bump = 'none'
  } else {
    bump = classified.reduce<Bump>(
      (highest, c) => (c.bump && ORDER[c.bump] > ORDER[highest] ? c.bump : highest),
      'none'
    )
    if (bump === 'none') bump = defaultBump
    const next = bump === 'none' ? previousVersion : semver.inc(previousVersion, bump)
    if (!next) throw new LayerActionError(`Cannot bump version ${previousVersion} (${bump})`)
    version = next
  }

  const tag = `${tagPrefix}${version}`
  // a release of HEAD already exists, or default-bump none kept the previous release's version
  const newTag = !history.headVersion && !(history.previous && bump === 'none')
  const decision: VersionDecision = { version, previousVersion, bump, tag, newTag, changes }
  if (history.headVersion) decision.atHead = true
  const existing = history.tags?.[tag]
  if (newTag && existing !== undefined && existing !== history.head) decision.conflictSha = existing
  return decision
}

/**
 * Throws when the decided tag already exists on a commit outside HEAD's history (an unmerged
 * branch was released as this version): the tag push after publishing would fail, so fail before.
 */
export function assertTagAvailable(decision: VersionDecision): void {
  if (!decision.conflictSha) return
  throw new LayerActionError(
    `The next version is ${decision.version}, but tag ${decision.tag} already exists at commit ` +
      `${decision.conflictSha.slice(0, 12)}, which is not in the history of this commit ` +
      '(it was released from another branch). Merge that branch, delete or move the tag, or ' +
      "set 'tag-prefix' / 'tag: false' for this workflow."
  )
}

function groupChanges(commits: readonly (CommitClass & { sha: string })[]): Changes {
  const changes: Changes = { breaking: [], features: [], fixes: [], other: [] }
  for (const c of commits) {
    const change: Change = { sha: c.sha, type: c.type, subject: c.subject }
    if (c.scope) change.scope = c.scope
    if (c.breaking) {
      change.breaking = c.breakingNote ?? c.subject
      changes.breaking.push(change)
    } else if (c.type === 'feat') changes.features.push(change)
    else if (c.type === 'fix') changes.fixes.push(change)
    else changes.other.push(change)
  }
  return changes
}
