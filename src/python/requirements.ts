/**
 * Requirement text, as pip reads it: the lines of a requirements file (continuations joined,
 * comments dropped, `${VAR}` expanded, `-r` includes followed) and PEP 508 requirement strings
 * (`name[extras] (>=1) ; marker`, `name @ url ; marker`), as pip and wheel metadata write them.
 */
import { promises as fs } from 'node:fs'
import path from 'node:path'
import { normalizeProject } from './names'

export interface LogicalLine {
  /** first and last physical line (1-based) */
  readonly start: number
  readonly end: number
  /** continuation lines joined, comment removed */
  readonly text: string
}

/** pip's preprocessing: `\` continuations joined, `#` comments dropped (at line start or after space). */
export function logicalLines(content: string): { physical: string[]; lines: LogicalLine[] } {
  const physical = content.split(/\r?\n/)
  const lines: LogicalLine[] = []
  let start = 0
  let buffer = ''
  physical.forEach((raw, i) => {
    if (buffer === '') start = i + 1
    if (/\\$/.test(raw)) {
      buffer += raw.slice(0, -1)
      return
    }
    buffer += raw
    const text = buffer.replace(/(^|\s+)#.*$/, '').trim()
    if (text) lines.push({ start, end: i + 1, text })
    buffer = ''
  })
  if (buffer.trim()) lines.push({ start, end: physical.length, text: buffer.trim() })
  return { physical, lines }
}

/** pip expands `${VAR}` (that form only) in requirements files. */
export function expandEnv(text: string, env: NodeJS.ProcessEnv): string {
  return text.replace(/\$\{([A-Z0-9_]+)\}/g, (all, name: string) => env[name] ?? all)
}

/**
 * Reads `top` and, depth first, each file `visit` includes (relative to the including file, as pip
 * reads -r and -c): each file once; a missing one is skipped, for pip to report.
 */
export async function walkRequirementFiles(
  top: string,
  visit: (file: string, content: string, include: (ref: string) => Promise<void>) => Promise<void>
): Promise<void> {
  const seen = new Set<string>()
  const read = async (file: string): Promise<void> => {
    if (seen.has(file)) return
    seen.add(file)
    let content: string
    try {
      content = await fs.readFile(file, 'utf8')
    } catch {
      return
    }
    await visit(file, content, ref => read(path.resolve(path.dirname(file), ref)))
  }
  await read(path.resolve(top))
}

/**
 * A requirements file as pip reads it: its requirement lines and its option lines (`--index-url …`,
 * `-c constraints.txt`), with those of every file it includes by `-r`, `${VAR}` expanded.
 */
export async function readRequirementLines(
  top: string,
  env: NodeJS.ProcessEnv
): Promise<{ requirements: string[]; options: string[] }> {
  const requirements: string[] = []
  const options: string[] = []
  await walkRequirementFiles(top, async (_file, content, include) => {
    for (const line of logicalLines(content).lines) {
      const text = expandEnv(line.text, env)
      const ref = /^(?:-r|--requirement)(?:\s*=\s*|\s+)(\S+)/.exec(text)?.[1]
      if (ref) await include(ref)
      else if (text.startsWith('-')) options.push(text)
      else requirements.push(text)
    }
  })
  return { requirements, options }
}

/** A PEP 508 requirement string, split. */
export interface Requirement {
  /** as written */
  readonly name: string
  /** PEP 503 normalised */
  readonly project: string
  /** normalised extras */
  readonly extras: readonly string[]
  /** `>=1.0,<2` (parentheses of the old metadata form removed), '' for none */
  readonly specifier: string
  /** the URL of `name @ url`, when given */
  readonly url?: string
  /** the marker, without its `;`, or '' */
  readonly marker: string
}

const NAME = /^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*/

/** Splits a PEP 508 string; undefined when it does not start with a project name. */
export function parseRequirement(text: string): Requirement | undefined {
  const name = NAME.exec(text)
  if (!name) return undefined
  let rest = text.slice(name[0].length)
  let extras: string[] = []
  const ex = /^\[([^\]]*)\]\s*/.exec(rest)
  if (ex) {
    extras = ex[1]
      .split(',')
      .map(e => e.trim())
      .filter(Boolean)
      .map(normalizeProject)
    rest = rest.slice(ex[0].length)
  }
  let url: string | undefined
  let specifier = ''
  if (rest.startsWith('@')) {
    // the URL ends at whitespace; a marker after it needs a space before `;` (PEP 508)
    const m = /^@\s*(\S+)\s*/.exec(rest)
    if (!m) return undefined
    url = m[1]
    rest = rest.slice(m[0].length)
  } else {
    const semi = rest.indexOf(';')
    specifier = (semi >= 0 ? rest.slice(0, semi) : rest).trim()
    rest = semi >= 0 ? rest.slice(semi) : ''
    specifier = specifier.replace(/^\((.*)\)$/s, '$1').trim()
    if (specifier && !/^(===|==|!=|<=|>=|~=|<|>)/.test(specifier)) return undefined
  }
  rest = rest.trim()
  if (rest && !rest.startsWith(';')) return undefined
  return {
    name: name[1],
    project: normalizeProject(name[1]),
    extras,
    specifier,
    url,
    marker: rest.replace(/^;/, '').trim()
  }
}
