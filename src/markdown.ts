/**
 * Text for the job summary and release notes (GitHub-flavoured markdown, where HTML is allowed): one
 * way to put package names, messages, paths and commit subjects into it so that none of them turns
 * into markup, breaks a table or hides the rest of the page.
 */

/**
 * Plain text → markdown that shows exactly that text: `&`, `<`, `>` as entities (no HTML), and
 * backslash before what would start code, emphasis, a link, a table cell or a strikethrough. An `_`
 * between two letters or digits is left alone (it never emphasises: `typing_extensions`). Line
 * breaks are kept: in a table cell, `row()` joins the lines.
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\`*[\]|~]|_(?![A-Za-z0-9])|(?<![A-Za-z0-9])_/g, '\\$&')
}

/** Text shown as code (a name, an ARN, a path), escaped like any other. */
export function code(text: string): string {
  return `<code>${escapeMarkdown(text)}</code>`
}

/** A link: the text escaped, the address in `<…>` (CommonMark's form that takes any character but `<`, `>` and line breaks). */
export function link(text: string, url: string): string {
  return `[${escapeMarkdown(text)}](<${url.replace(/[<>\s]/g, c => encodeURIComponent(c))}>)`
}

/** A fenced block showing `text` as it is (an error message over several lines). */
export function fenced(text: string, language = 'text'): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map(run => run.length))
  const fence = '`'.repeat(Math.max(3, longest + 1))
  return `${fence}${language}\n${text}\n${fence}`
}

/** One table row of markdown cells (already escaped); a line break inside a cell becomes `<br>`. */
export function row(cells: readonly string[]): string {
  return `| ${cells.map(c => c.replace(/\r?\n/g, '<br>')).join(' | ')} |`
}

/** A `###` section holding one table; a column named with a trailing `:` is right-aligned. */
export function section(
  title: string,
  columns: readonly string[],
  rows: readonly (readonly string[])[]
): string[] {
  return [
    `### ${title}`,
    '',
    row(columns.map(c => c.replace(/:$/, ''))),
    `|${columns.map(c => (c.endsWith(':') ? '---:' : '---')).join('|')}|`,
    ...rows.map(row),
    ''
  ]
}

/** A label inside a mermaid block, which has no escapes: only what cannot end the string or the block. */
export function mermaidLabel(text: string): string {
  return text.replace(/[^A-Za-z0-9._ +-]/g, '')
}
