/**
 * The one reader of package indexes: a project's page on a simple index, as HTML (PEP 503, with
 * PEP 592 yanks, PEP 658/714 metadata attributes) or JSON (PEP 691, asked for first, as pip asks),
 * read through the one HTTP client. A `file:` index may be a tree of pages, a tree of plain folders
 * (`<index>/<project>/` holding the files), or one flat folder of distribution files, as pip's
 * `--find-links` takes it. Every file name is a checked base name (../filenames.ts).
 */
import { createHash } from 'node:crypto'
import { promises as fs } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { HttpClient } from '../http'
import { HttpError } from '../http-failures'
import { redactUrl, withoutUserInfo } from '../credentials'
import { LayerActionError, messageOf } from '../errors'
import { baseNameOf, UnsafeFileNameError } from './filenames'
import { parseDistributionFile } from './wheel-tags'
import { normalizeProject } from './names'

export const PYPI_SIMPLE = 'https://pypi.org/simple/'

/** pip's Accept header: PEP 691 JSON first, HTML as the fallback. */
const ACCEPT =
  'application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01'

/** One file a project page lists. */
export interface IndexFile {
  /** a checked base name */
  readonly filename: string
  /** absolute, without credentials, without the hash fragment */
  readonly url: string
  /** algorithm → hex digest, as the page gives them (`#sha256=` or PEP 691 `hashes`) */
  readonly hashes: Readonly<Record<string, string>>
  readonly requiresPython?: string
  /** PEP 592: true, or the reason */
  readonly yanked?: boolean | string
  /** PEP 658/714: the index serves `<url>.metadata`; its hashes when the page gives them */
  readonly metadata?: Readonly<Record<string, string>>
}

export interface ProjectPage {
  /** the page's URL, credentials removed */
  readonly url: string
  readonly files: readonly IndexFile[]
  /** the index has no such project (HTTP 404, no folder) */
  readonly notFound?: boolean
}

/** A page that names a file by something other than a plain base name. */
export class IndexPageError extends LayerActionError {}

/** What the old helpers returned for messages (resolve/no-wheel.ts reads it). */
export interface ProjectListing {
  /** the project page, credentials redacted */
  url: string
  /** the file names on the page; undefined when the page could not be read */
  files?: string[]
  /** HTTP status or error when the page could not be read */
  problem?: string
  notFound?: boolean
}

const HTML_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  '#39': "'"
}

/** The five named entities and numeric ones (`&#62;`, `&#x3e;`), as Python's html.unescape reads them. */
function unescapeHtml(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|apos|#39|#\d+|#x[0-9a-f]+);/gi, (m, e: string) => {
    const named = HTML_ENTITIES[e.toLowerCase()]
    if (named) return named
    const code = /^#x/i.test(e) ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10)
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : m
  })
}

/** `sha256=abc` → { sha256: 'abc' }; `true` → {} */
function hashAttribute(value: string): Record<string, string> {
  const m = /^([a-z0-9]+)=([0-9a-f]+)$/i.exec(value.trim())
  return m ? { [m[1].toLowerCase()]: m[2].toLowerCase() } : {}
}

/** The checked file name of a link, the page and the entry named when it is not a base name. */
function fileOf(href: string, page: string): { filename: string; url: string; fragment: string } {
  const url = new URL(href, page)
  const fragment = url.hash.slice(1)
  url.hash = ''
  const raw = url.pathname.split('/').pop() ?? ''
  try {
    return { filename: baseNameOf(raw), url: url.href, fragment }
  } catch (error) {
    if (!(error instanceof UnsafeFileNameError)) throw error
    throw new IndexPageError(
      `The index page ${redactUrl(page)} lists ${JSON.stringify(href)}, whose file name ${error.message}: nothing from this page is written to disk. The index is broken or hostile; ask its owner.`
    )
  }
}

/** A PEP 503 page's links. `page` is the page's URL (relative links resolve against it). */
export function parseHtmlPage(html: string, page: string): IndexFile[] {
  // what a comment holds is not a link (pip's HTMLParser skips it too)
  const text = html.replace(/<!--[\s\S]*?-->/g, '')
  const base = /<base\s[^>]*href\s*=\s*["']([^"']*)["']/i.exec(text)?.[1]
  const pageUrl = base ? new URL(unescapeHtml(base), page).href : page
  const files: IndexFile[] = []
  // a quoted value may hold `>` (`data-requires-python=">=3.8"`, which some indexes do not escape)
  for (const m of text.matchAll(/<a\s((?:[^>"']|"[^"]*"|'[^']*')*)>/gi)) {
    const attributes = new Map<string, string>()
    // quoted or unquoted; a bare attribute (`<a … data-yanked>`) has no value for pip's HTMLParser
    // either, so pip reads it as absent: a bare data-yanked does not yank (checked against pip 23.2)
    for (const a of m[1].matchAll(
      /([a-z][a-z0-9-]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/gi
    )) {
      const value = a[2] ?? a[3] ?? a[4]
      if (value !== undefined) attributes.set(a[1].toLowerCase(), unescapeHtml(value))
    }
    const href = attributes.get('href')
    if (!href) continue
    const { filename, url, fragment } = fileOf(href, pageUrl)
    const metadata =
      attributes.get('data-core-metadata') ?? attributes.get('data-dist-info-metadata')
    const yanked = attributes.get('data-yanked')
    files.push({
      filename,
      url,
      hashes: hashAttribute(fragment),
      requiresPython: attributes.get('data-requires-python'),
      yanked: yanked === undefined ? undefined : yanked || true,
      metadata: metadata === undefined || metadata === 'false' ? undefined : hashAttribute(metadata)
    })
  }
  return files
}

interface JsonFile {
  filename?: unknown
  url?: unknown
  hashes?: unknown
  'requires-python'?: unknown
  yanked?: unknown
  'core-metadata'?: unknown
  'dist-info-metadata'?: unknown
}

/** A PEP 691 page's files. */
export function parseJsonPage(text: string, page: string): IndexFile[] {
  const data = JSON.parse(text) as { files?: JsonFile[] }
  if (!Array.isArray(data.files)) throw new IndexPageError(`${redactUrl(page)} is no PEP 691 page`)
  return data.files.map(f => {
    const { filename, url } = fileOf(String(f.url ?? ''), page)
    const metadata = f['core-metadata'] ?? f['dist-info-metadata']
    const hashes = (f.hashes ?? {}) as Record<string, string>
    return {
      filename,
      url,
      hashes: Object.fromEntries(
        Object.entries(hashes).map(([k, v]) => [k, String(v).toLowerCase()])
      ),
      requiresPython: typeof f['requires-python'] === 'string' ? f['requires-python'] : undefined,
      yanked:
        f.yanked === true || typeof f.yanked === 'string' ? (f.yanked as true | string) : undefined,
      metadata:
        metadata === true
          ? {}
          : metadata && typeof metadata === 'object'
            ? (metadata as Record<string, string>)
            : undefined
    }
  })
}

/** The distribution file names a PEP 503 project page links to. */
export function parseSimplePage(html: string, page = 'http://index.invalid/simple/p/'): string[] {
  return [...new Set(parseHtmlPage(html, page).map(f => f.filename))]
}

/** `<index>/<project>/`, the project name normalised as pip asks for it. */
export function pageUrlOf(index: string, project: string): string {
  return `${index.replace(/\/*$/, '/')}${normalizeProject(project)}/`
}

/**
 * A `file:` index without pages: `<index>/<project>/` as a folder of files, or `<index>` itself
 * as one flat folder of distribution files (only this project's are taken).
 */
async function listFolder(index: string, project: string, page: string): Promise<ProjectPage> {
  const shown = redactUrl(page)
  const names = async (dir: string): Promise<string[] | undefined> =>
    fs.readdir(dir).catch(() => undefined)
  const list = (dir: string, files: string[]): IndexFile[] =>
    files
      .filter(f => parseDistributionFile(f)?.project === normalizeProject(project))
      .sort()
      .map(f => ({ filename: f, url: pathToFileURL(`${dir}/${f}`).href, hashes: {} }))
  const folder = fileURLToPath(page)
  const inFolder = await names(folder)
  if (inFolder) return { url: shown, files: list(folder, inFolder) }
  const flat = fileURLToPath(index.replace(/\/*$/, '/'))
  const inFlat = await names(flat)
  const files = inFlat ? list(flat, inFlat) : []
  return { url: shown, files, notFound: files.length === 0 }
}

/** Reads project pages (each once per reader) and PEP 658 metadata through one HTTP client. */
export class IndexReader {
  private readonly pages = new Map<string, Promise<ProjectPage>>()

  constructor(private readonly client: HttpClient) {}

  /** `<index>/<project>/`; a 404 is `notFound`, any other failure is thrown (it names the URL). */
  project(index: string, project: string, signal?: AbortSignal): Promise<ProjectPage> {
    const page = pageUrlOf(index, project)
    let loading = this.pages.get(page)
    if (!loading) {
      loading = this.load(index, project, page, signal)
      this.pages.set(page, loading)
      loading.catch(() => this.pages.delete(page))
    }
    return loading
  }

  private async load(
    index: string,
    project: string,
    page: string,
    signal?: AbortSignal
  ): Promise<ProjectPage> {
    const plain = withoutUserInfo(page)
    if (page.startsWith('file:')) {
      const html = await this.client.get(`${page}index.html`).catch((e: unknown) => {
        if (e instanceof HttpError && e.status === 404) return undefined
        throw e
      })
      if (!html) return listFolder(index, project, page)
      return { url: redactUrl(page), files: parseHtmlPage(html.body.toString('utf8'), plain) }
    }
    try {
      const answer = await this.client.get(page, { accept: ACCEPT, signal })
      const type = String(answer.headers['content-type'] ?? '')
      const text = answer.body.toString('utf8')
      const files = /application\/vnd\.pypi\.simple\.v1\+json/.test(type)
        ? parseJsonPage(text, plain)
        : parseHtmlPage(text, plain)
      return { url: redactUrl(page), files }
    } catch (error) {
      if (error instanceof HttpError && error.status === 404)
        return { url: redactUrl(page), files: [], notFound: true }
      throw error
    }
  }

  /** PEP 658: the METADATA of `file` without its wheel, hash-checked when the page gave a hash. */
  async metadata(file: IndexFile, signal?: AbortSignal): Promise<string | undefined> {
    return (await this.metadataBytes(file, signal))?.toString('utf8')
  }

  /** The same, as the index sent it (pip checks these bytes against the page's hash too). */
  async metadataBytes(file: IndexFile, signal?: AbortSignal): Promise<Buffer | undefined> {
    if (!file.metadata) return undefined
    const data = (await this.client.get(`${file.url}.metadata`, { signal })).body
    for (const [algorithm, expected] of Object.entries(file.metadata)) {
      const actual = createHash(algorithm).update(data).digest('hex')
      if (actual !== expected)
        throw new IndexPageError(
          `The metadata of ${file.filename} (${file.url}.metadata) has ${algorithm} ${actual}, but the index page says ${expected}`
        )
    }
    return data
  }
}

/**
 * Best effort, for messages: the file names on `<index>/<project>/` (credentials in the URL are
 * sent to its own host), or what kept the page from being read. Never throws.
 */
export async function readProjectPage(
  indexUrl: string,
  project: string,
  timeoutMs = 15000
): Promise<ProjectListing> {
  const client = new HttpClient({
    credentials: [indexUrl],
    timeouts: { stallMs: timeoutMs, attempts: 2 }
  })
  const shown = redactUrl(pageUrlOf(indexUrl, project))
  try {
    const page = await new IndexReader(client).project(indexUrl, project)
    if (page.notFound) return { url: shown, notFound: true, problem: 'no such page' }
    return { url: shown, files: [...new Set(page.files.map(f => f.filename))] }
  } catch (error) {
    // `HTTP 500` alone when the index answered: callers tell the index's failures by it
    if (error instanceof HttpError && error.status !== undefined)
      return { url: shown, problem: `HTTP ${error.status}` }
    return { url: shown, problem: redactUrl(messageOf(error)) }
  } finally {
    await client.close()
  }
}
