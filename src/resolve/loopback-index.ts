/**
 * The loopback index pip resolves against while the look-ahead (./lookahead.ts) walks the real
 * ones: `http://127.0.0.1:<port>/<random token>/i/<n>/` stands for the n-th index pip would read.
 * A project page is the real page re-rendered (PEP 503 HTML, with every attribute pip reads: the
 * hash, Requires-Python, yanked, PEP 658/714 metadata), its links pointing back here; metadata and
 * wheels are served from what the look-ahead fetched. Whatever is not at hand soon enough, or
 * failed, is answered with a redirect to the real URL, so pip meets the index's own answer —
 * its 500, its stall, its 404 — exactly as without this index. Only 127.0.0.1 is listened on, every
 * path carries the token, and nothing is cached by pip (no-store).
 */
import { randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { messageOf } from '../errors'
import { pageUrlOf, type IndexFile } from '../python/index-page'
import { NotListed, type Lookahead } from './lookahead'
import * as core from '@actions/core'

export interface LoopbackIndex {
  /** what pip is given, one per real index, in the same order */
  readonly urls: readonly string[]
  /** `localhost:<port>`, for pip's NO_PROXY */
  readonly host: string
  /** the real URL behind a loopback one (unchanged when it is not the loopback's) */
  realUrl(url: string): string
  /** every loopback URL in pip's output replaced by the real one */
  realText(text: string): string
  /** requests answered by a redirect to the real index */
  readonly redirected: number
  close(): Promise<void>
}

export interface LoopbackOptions {
  /** the real indexes (http/https, no credentials), in pip's order */
  readonly indexes: readonly string[]
  /** how long a page or metadata file may be awaited before pip is sent to the real one */
  readonly waitMs: number
  /** the same for a wheel */
  readonly wheelWaitMs: number
}

const escapeHtml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

const hashText = (hashes: Readonly<Record<string, string>>): string | undefined => {
  const [a, d] =
    hashes.sha256 !== undefined ? ['sha256', hashes.sha256] : (Object.entries(hashes)[0] ?? [])
  return a && d ? `${a}=${d}` : undefined
}

/** A PEP 503 page for pip: the real page's files, each attribute pip reads, links to `link(file)`. */
export function renderPage(
  project: string,
  files: readonly IndexFile[],
  link: (f: IndexFile) => string
): string {
  const anchors = files.map(f => {
    const hash = hashText(f.hashes)
    const attributes = [`href="${escapeHtml(link(f) + (hash ? `#${hash}` : ''))}"`]
    if (f.requiresPython !== undefined)
      attributes.push(`data-requires-python="${escapeHtml(f.requiresPython)}"`)
    if (f.yanked !== undefined && f.yanked !== false)
      attributes.push(`data-yanked="${f.yanked === true ? '' : escapeHtml(f.yanked)}"`)
    if (f.metadata) {
      const value = escapeHtml(hashText(f.metadata) ?? 'true')
      // pip before 23.3 reads the PEP 658 name, later ones PEP 714's first
      attributes.push(`data-dist-info-metadata="${value}"`, `data-core-metadata="${value}"`)
    }
    return `<a ${attributes.join(' ')}>${escapeHtml(f.filename)}</a><br>`
  })
  return `<!DOCTYPE html>\n<html><head><meta name="pypi:repository-version" content="1.1"><title>Links for ${escapeHtml(project)}</title></head><body>\n${anchors.join('\n')}\n</body></html>\n`
}

class Timeout extends Error {}

function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Timeout(`not at hand after ${ms} ms`)), ms)
  })
  return Promise.race([p, late]).finally(() => clearTimeout(timer))
}

export async function serveLoopbackIndex(
  lookahead: Lookahead,
  o: LoopbackOptions
): Promise<LoopbackIndex> {
  const token = randomBytes(16).toString('hex')
  const files: IndexFile[] = []
  const ids = new Map<string, number>()
  let redirected = 0
  let base = ''
  const idOf = (f: IndexFile): number => {
    let id = ids.get(f.url)
    if (id === undefined) {
      id = files.push(f) - 1
      ids.set(f.url, id)
    }
    return id
  }
  const linkOf = (f: IndexFile): string => `${base}f/${idOf(f)}/${encodeURIComponent(f.filename)}`

  const answer = async (pathname: string, res: http.ServerResponse): Promise<void> => {
    const redirect = (to: string, why: unknown): void => {
      redirected++
      core.debug(`loopback index: ${pathname.replace(token, '…')} → ${to} (${messageOf(why)})`)
      res.writeHead(302, { location: to, 'cache-control': 'no-store' }).end()
    }
    const page = /^i\/(\d+)\/([A-Za-z0-9._-]+)\/?$/.exec(pathname)
    if (page) {
      const i = Number(page[1])
      const index = o.indexes[i]
      if (index === undefined) return void res.writeHead(404).end()
      try {
        const listed = await within(lookahead.page(i, page[2]), o.waitMs)
        res
          .writeHead(200, {
            'content-type': 'text/html; charset=utf-8',
            'cache-control': 'no-store'
          })
          .end(renderPage(page[2], listed, linkOf))
      } catch (error) {
        if (error instanceof NotListed)
          return void res.writeHead(404, { 'cache-control': 'no-store' }).end()
        redirect(pageUrlOf(index, page[2]), error)
      }
      return
    }
    const file = /^f\/(\d+)\/([^/]+)$/.exec(pathname)
    const f = file ? files[Number(file[1])] : undefined
    if (!file || !f) return void res.writeHead(404).end()
    const name = decodeURIComponent(file[2])
    if (name === `${f.filename}.metadata`) {
      try {
        const bytes = await within(lookahead.metadata(f, true), o.waitMs)
        if (!bytes) return void res.writeHead(404).end()
        res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'no-store' }).end(bytes)
      } catch (error) {
        redirect(`${f.url}.metadata`, error)
      }
      return
    }
    if (name !== f.filename) return void res.writeHead(404).end()
    try {
      const kept = await within(lookahead.wheel(f, true), o.wheelWaitMs)
      const size = (await stat(kept)).size
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': size,
        'cache-control': 'no-store'
      })
      createReadStream(kept).pipe(res)
    } catch (error) {
      redirect(f.url, error)
    }
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const prefix = `/${token}/`
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !url.pathname.startsWith(prefix))
      return void res.writeHead(404).end()
    answer(url.pathname.slice(prefix.length), res).catch((error: unknown) => {
      core.debug(`loopback index: ${messageOf(error)}`)
      if (!res.headersSent) res.writeHead(500)
      res.end()
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  // by name, so that pip's NO_PROXY entry can name this port alone (requests matches IPs without it)
  base = `http://localhost:${(server.address() as AddressInfo).port}/${token}/`
  // a link as pip prints it: the file's path, then maybe `.metadata`, then maybe `#sha256=…`
  const fileUrl = new RegExp(`${escapeRegExp(base)}f/(\\d+)/([^\\s'"<>#]*)(#[^\\s'"<>]*)?`, 'g')
  const indexUrl = new RegExp(`${escapeRegExp(base)}i/(\\d+)/`, 'g')
  const realText = (text: string): string =>
    text
      .replace(fileUrl, (all, id: string, name: string, fragment?: string) => {
        const f = files[Number(id)]
        if (!f) return all
        const metadata = decodeURIComponent(name) === `${f.filename}.metadata` ? '.metadata' : ''
        return `${f.url}${metadata}${fragment ?? ''}`
      })
      .replace(indexUrl, (all, i: string) => o.indexes[Number(i)] ?? all)
  return {
    urls: o.indexes.map((_index, i) => `${base}i/${i}/`),
    host: new URL(base).host,
    realUrl: url => realText(url.replace(/#.*$/, '')),
    realText,
    get redirected() {
      return redirected
    },
    close: () =>
      new Promise<void>(resolve => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
