/**
 * Reading a project's page on a PEP 503 simple index, to tell a user which files exist when pip
 * found none it could use. Best effort: an unreadable page is reported, never thrown.
 */
import { getExecOutput } from '@actions/exec'
import { promises as fs } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { redactUrl, takeBasicAuth } from '../credentials'
import { normalizeProject } from './wheel-tags'
import { messageOf } from '../errors'

export const PYPI_SIMPLE = 'https://pypi.org/simple/'

export interface ProjectListing {
  /** the project page, credentials redacted */
  url: string
  /** the file names on the page; undefined when the page could not be read */
  files?: string[]
  /** HTTP status or error when the page could not be read */
  problem?: string
  notFound?: boolean
}

/** The value of `--flag value` / `--flag=value` (every occurrence) in an argument list. */
function flagValues(args: readonly string[], flags: readonly string[]): string[] {
  const values: string[] = []
  args.forEach((arg, i) => {
    for (const flag of flags) {
      if (arg === flag && i + 1 < args.length) values.push(args[i + 1])
      else if (flag.startsWith('--') && arg.startsWith(`${flag}=`))
        values.push(arg.slice(flag.length + 1))
      else if (!flag.startsWith('--') && arg.startsWith(flag) && arg.length > flag.length)
        values.push(arg.slice(flag.length))
    }
  })
  return values
}

/** `pip config list` as `section.key → value` (`:env:.index-url` for PIP_INDEX_URL). */
async function pipConfig(python: string, env: NodeJS.ProcessEnv): Promise<Map<string, string>> {
  const config = new Map<string, string>()
  try {
    const out = await getExecOutput(python, ['-m', 'pip', 'config', 'list'], {
      env: env as Record<string, string>,
      silent: true,
      ignoreReturnCode: true
    })
    for (const line of out.stdout.split('\n')) {
      const m = /^([^=\s]+)=(['"]?)(.*)\2$/.exec(line.trim())
      if (m) config.set(m[1], m[3])
    }
  } catch {
    // no pip config available: the defaults apply
  }
  return config
}

/**
 * The indexes `pip download` would read, in pip's own precedence: command line, then PIP_* variables,
 * then the `[download]` and `[global]` sections of its config files, then PyPI.
 */
export async function configuredIndexUrls(o: {
  python: string
  indexUrl?: string
  pipArgs: readonly string[]
  env: NodeJS.ProcessEnv
}): Promise<string[]> {
  const config = await pipConfig(o.python, o.env)
  const fromConfig = (key: string): string | undefined =>
    o.env[`PIP_${key.toUpperCase().replace(/-/g, '_')}`] ??
    config.get(`:env:.${key}`) ??
    config.get(`download.${key}`) ??
    config.get(`global.${key}`)
  const primary =
    flagValues(o.pipArgs, ['--index-url', '-i']).at(-1) ||
    o.indexUrl ||
    fromConfig('index-url') ||
    PYPI_SIMPLE
  const extras = [
    ...flagValues(o.pipArgs, ['--extra-index-url']),
    ...(fromConfig('extra-index-url') ?? '').split(/\s+/)
  ].filter(Boolean)
  return [...new Set([primary, ...extras])]
}

const HTML_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  '#39': "'"
}

function unescapeHtml(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|apos|#39);/g, (_m, e: string) => HTML_ENTITIES[e])
}

/** The distribution file names a PEP 503 project page links to. */
export function parseSimplePage(html: string): string[] {
  const files: string[] = []
  for (const m of html.matchAll(/<a\s[^>]*?href\s*=\s*["']([^"']*)["'][^>]*>([\s\S]*?)<\/a>/gi)) {
    const text = unescapeHtml(m[2].replace(/<[^>]*>/g, '').trim())
    const href = unescapeHtml(m[1]).replace(/[#?].*$/, '')
    let fromHref = href.split('/').pop() ?? ''
    try {
      fromHref = decodeURIComponent(fromHref)
    } catch {
      // keep it encoded
    }
    const name = /\.(whl|tar\.gz|zip|tar\.bz2|tgz)$/i.test(text) ? text : fromHref
    if (name) files.push(name)
  }
  return [...new Set(files)]
}

/** Reads `<index>/<project>/`, sending any credentials of the URL as basic auth. */
export async function readProjectPage(
  indexUrl: string,
  project: string,
  timeoutMs = 15000
): Promise<ProjectListing> {
  const pageUrl = `${indexUrl.replace(/\/*$/, '/')}${normalizeProject(project)}/`
  const shown = redactUrl(pageUrl)
  try {
    const url = new URL(pageUrl)
    if (url.protocol === 'file:') {
      const dir = fileURLToPath(url)
      try {
        return {
          url: shown,
          files: parseSimplePage(await fs.readFile(`${dir}/index.html`, 'utf8'))
        }
      } catch (error) {
        const notFound = (error as NodeJS.ErrnoException).code === 'ENOENT'
        return { url: shown, notFound, problem: notFound ? 'no such page' : messageOf(error) }
      }
    }
    const headers = { Accept: 'text/html', ...takeBasicAuth(url) }
    const response = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) })
    if (!response.ok) {
      return { url: shown, notFound: response.status === 404, problem: `HTTP ${response.status}` }
    }
    return { url: shown, files: parseSimplePage(await response.text()) }
  } catch (error) {
    return { url: shown, problem: redactUrl(messageOf(error)) }
  }
}
