import { escapeMarkdown } from '../markdown'
import type { Change, Changes, VersionDecision } from './bump'

/** Enough for a reader; a release with more is summarised by its count. */
const MAX_PER_SECTION = 50

function header(change: Change): string {
  const scope = change.scope ? `(${change.scope})` : ''
  const bang = change.breaking !== undefined && change.type ? '!' : ''
  return change.type ? `${change.type}${scope}${bang}: ${change.subject}` : change.subject
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0].trim()
}

function list(changes: readonly Change[], line: (change: Change) => string): string[] {
  const lines = changes.slice(0, MAX_PER_SECTION).map(line)
  if (changes.length > MAX_PER_SECTION)
    lines.push(`- … and ${changes.length - MAX_PER_SECTION} more`)
  return lines
}

function markdownItem(change: Change): string {
  const scope = change.scope ? `**${escapeMarkdown(change.scope)}:** ` : ''
  const note =
    change.breaking !== undefined && firstLine(change.breaking) !== change.subject
      ? ` — ${escapeMarkdown(firstLine(change.breaking))}`
      : ''
  return `- ${scope}${escapeMarkdown(change.subject)}${note} (${change.sha.slice(0, 7)})`
}

/**
 * A short markdown changelog for the job summary: breaking changes, features, fixes (other commits
 * left out). '' when there is none of those.
 */
export function formatChangelog(changes: Changes): string {
  const sections: [string, Change[]][] = [
    ['Breaking changes', changes.breaking],
    ['Features', changes.features],
    ['Fixes', changes.fixes]
  ]
  return sections
    .filter(([, items]) => items.length > 0)
    .map(([title, items]) => [`### ${title}`, ...list(items, markdownItem)].join('\n'))
    .join('\n\n')
}

/** The annotated tag's message: the release, then every commit since the previous one by type. */
export function formatTagMessage(decision: VersionDecision): string {
  const { changes } = decision
  const since = decision.previousVersion ? ` (since ${decision.previousVersion})` : ''
  const lines = [`Release ${decision.tag}${since}`]
  const sections: [string, Change[]][] = [
    ['Breaking changes', changes.breaking],
    ['Features', changes.features],
    ['Fixes', changes.fixes],
    ['Other changes', changes.other]
  ]
  for (const [title, items] of sections) {
    if (items.length === 0) continue
    lines.push('', `${title}:`)
    lines.push(
      ...list(items, c => {
        const note =
          c.breaking !== undefined && firstLine(c.breaking) !== c.subject
            ? `\n  BREAKING CHANGE: ${firstLine(c.breaking)}`
            : ''
        return `- ${header(c)} (${c.sha.slice(0, 7)})${note}`
      })
    )
  }
  return lines.join('\n') + '\n'
}
