/**
 * The commit every published version was built from, recorded at the end of its description:
 * layer versions carry no tags, and the description is the one field the action sets that
 * ListLayerVersions returns and that lives exactly as long as the version. A user's `description`
 * is cut to leave room for the record, so the record is always there, and always last.
 */
import { DESCRIPTION_MAX } from './names'

/** A full git object name: SHA-1 (40 hex digits) or SHA-256 (64). */
const COMMIT = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/
const RECORD = /(?:^| )\[commit ([0-9a-f]{40}|[0-9a-f]{64})\]$/

/** The text appended to the description: `[commit <sha>]`; '' when `commit` is no full sha. */
export function commitRecord(commit: string): string {
  return COMMIT.test(commit) ? `[commit ${commit}]` : ''
}

/**
 * The description a version is published with: the user's (or the default) text, cut with an
 * ellipsis to fit Lambda's 256 characters, then the commit record.
 */
export function describeVersion(description: string, commit: string): string {
  const record = commitRecord(commit)
  const room = DESCRIPTION_MAX - (record ? record.length + 1 : 0)
  const chars = [...description.trim()]
  const text = chars.length <= room ? chars.join('') : chars.slice(0, room - 1).join('') + '…'
  return [text, record].filter(part => part !== '').join(' ')
}

/** The commit a version records in its description; undefined when it records none. */
export function commitOf(description: string | undefined): string | undefined {
  return RECORD.exec(description ?? '')?.[1]
}
