/**
 * Package indexes with the shapes of real networks, each a real server on 127.0.0.1 serving a folder
 * laid out as makeIndex writes it (`simple/<project>/index.html`, `files/`; the machine's mirror
 * /opt/pypi has the same layout). HTTP is written by hand on a plain socket so that each shape is
 * exactly what it says:
 * - closing: HTTP/1.0 answers without Content-Length, the connection closed after each (some
 *   mirrors and proxies);
 * - stalling: the answer's headers and half its body, then silence with the connection open;
 * - failing: HTTP 500 for the paths it is told;
 * - PyPI-shaped: latency before each answer, a bandwidth cap per connection, PEP 658 metadata files
 *   (`data-core-metadata` on wheel links, `<wheel>.metadata` served) and PEP 691 JSON pages when the
 *   client asks for them, Range requests answered as files.pythonhosted.org answers them.
 * An index can also accept connections only from one source address (the recording proxy's).
 */
import { createHash } from 'node:crypto'
import { promises as fs, openSync, closeSync } from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { readCentralDirectory, readEntry } from '../../src/zip/reader'

export interface IndexShape {
  /** HTTP/1.0, no Content-Length, the connection closed after every answer */
  readonly closeEveryConnection?: boolean
  /** milliseconds before each answer */
  readonly latencyMs?: number
  /** bytes per second per connection */
  readonly bytesPerSecond?: number
  /** paths that send their headers and half their body, then nothing */
  readonly stallMidBody?: RegExp
  /** paths answered with an error status (`failStatus`, 500 by default) */
  readonly fail?: RegExp
  readonly failStatus?: number
  /** only the first N requests for those paths fail (default: all) */
  readonly failTimes?: number
  /** headers added to every error answer (`Retry-After`) */
  readonly failHeaders?: Readonly<Record<string, string>>
  /** PEP 658/714 metadata and PEP 691 JSON pages */
  readonly pep658?: boolean
  readonly auth?: { readonly username: string; readonly password: string }
  /** paths answered with 302 to the same path on this origin (another server, say a CDN) */
  readonly redirect?: { readonly paths: RegExp; readonly to: string }
  /** refuse (close at once) connections from any other source address */
  readonly onlyFrom?: string
}

export interface SeenRequest {
  readonly method: string
  readonly path: string
  readonly from: string
  readonly headers: Readonly<Record<string, string>>
}

export interface ShapedIndex {
  /** `http://127.0.0.1:<port>/simple/`, with `user:password@` when auth is required */
  readonly url: string
  readonly plainUrl: string
  /** `http://127.0.0.1:<port>` */
  readonly origin: string
  readonly requests: SeenRequest[]
  /** connections accepted (refused ones are not counted) */
  connections: number
  /** connections refused for their source address */
  refused: number
  close(): Promise<void>
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms))

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  206: 'Partial Content',
  302: 'Found',
  401: 'Unauthorized',
  404: 'Not Found',
  416: 'Range Not Satisfiable',
  429: 'Too Many Requests',
  500: 'Internal Server Error'
}

interface Answer {
  status: number
  type?: string
  body: Buffer
  headers?: Record<string, string>
}

/** The METADATA of a wheel, read from its central directory (cached per file). */
const metadataCache = new Map<string, Promise<Buffer | undefined>>()
function wheelMetadata(file: string): Promise<Buffer | undefined> {
  let cached = metadataCache.get(file)
  if (!cached) {
    cached = (async () => {
      const fd = openSync(file, 'r')
      try {
        const entry = readCentralDirectory(fd, file).find(e =>
          /^[^/]+\.dist-info\/METADATA$/.test(e.name)
        )
        return entry ? await readEntry(fd, entry, file) : undefined
      } finally {
        closeSync(fd)
      }
    })()
    metadataCache.set(file, cached)
  }
  return cached
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex')

/** A PEP 503 page with PEP 658/714 attributes on every wheel link whose METADATA could be read. */
async function withMetadata(html: string, pageDir: string): Promise<string> {
  let out = html
  for (const m of html.matchAll(/<a href="([^"#]+\.whl)(#[^"]*)?"/g)) {
    const file = path.resolve(pageDir, decodeURIComponent(m[1]))
    const metadata = await wheelMetadata(file).catch(() => undefined)
    if (!metadata) continue
    const hash = `sha256=${sha256(metadata)}`
    out = out.replace(
      m[0],
      `${m[0]} data-dist-info-metadata="${hash}" data-core-metadata="${hash}"`
    )
  }
  return out
}

/** The same page as PEP 691 JSON. */
function asJson(html: string, project: string): string {
  const files = [...html.matchAll(/<a href="([^"]+)"([^>]*)>([^<]*)<\/a>/g)].map(m => {
    const [href, fragment = ''] = m[1].split('#')
    const digest = /sha256=([0-9a-f]{64})/.exec(fragment)?.[1]
    const core = /data-core-metadata="sha256=([0-9a-f]{64})"/.exec(m[2])?.[1]
    return {
      filename: m[3],
      url: href,
      hashes: digest ? { sha256: digest } : {},
      ...(core ? { 'core-metadata': { sha256: core }, 'dist-info-metadata': { sha256: core } } : {})
    }
  })
  return JSON.stringify({ meta: { 'api-version': '1.1' }, name: project, files })
}

async function answer(root: string, urlPath: string, accept: string, shape: IndexShape) {
  const decoded = decodeURIComponent(urlPath.split('?')[0])
  const file = path.join(root, path.normalize(decoded))
  if (!file.startsWith(path.resolve(root))) return { status: 404, body: Buffer.from('no') }
  if (shape.pep658 && decoded.endsWith('.whl.metadata')) {
    const metadata = await wheelMetadata(file.slice(0, -'.metadata'.length)).catch(() => undefined)
    return metadata
      ? { status: 200, type: 'application/octet-stream', body: metadata }
      : { status: 404, body: Buffer.from('not found') }
  }
  try {
    const stat = await fs.stat(file)
    const target = stat.isDirectory() ? path.join(file, 'index.html') : file
    let body = await fs.readFile(target)
    if (!target.endsWith('.html')) return { status: 200, type: 'application/octet-stream', body }
    if (shape.pep658) {
      const html = await withMetadata(body.toString('utf8'), path.dirname(target))
      if (/application\/vnd\.pypi\.simple\.v1\+json/.test(accept)) {
        const project = path.basename(path.dirname(target))
        const json = asJson(html, project)
        return { status: 200, type: 'application/vnd.pypi.simple.v1+json', body: Buffer.from(json) }
      }
      body = Buffer.from(html)
    }
    return { status: 200, type: 'text/html', body }
  } catch {
    return { status: 404, body: Buffer.from('not found') }
  }
}

/** `Range: bytes=a-b` applied to a 200 answer (206 with Content-Range), as static file servers do. */
function ranged(a: Answer, range: string | undefined): Answer {
  const m = range && /^bytes=(\d+)-(\d*)$/.exec(range)
  if (!m || a.status !== 200) return a
  const size = a.body.length
  const start = Number(m[1])
  const end = m[2] ? Math.min(Number(m[2]), size - 1) : size - 1
  if (start >= size || start > end)
    return { status: 416, body: Buffer.alloc(0), headers: { 'Content-Range': `bytes */${size}` } }
  return {
    ...a,
    status: 206,
    body: a.body.subarray(start, end + 1),
    headers: { 'Content-Range': `bytes ${start}-${end}/${size}` }
  }
}

async function writeBody(socket: net.Socket, body: Buffer, shape: IndexShape): Promise<void> {
  const rate = shape.bytesPerSecond
  const started = performance.now()
  const step = rate ? Math.max(16 * 1024, Math.floor(rate / 200)) : body.length || 1
  for (let sent = 0; sent < body.length; sent += step) {
    if (socket.destroyed) return
    const chunk = body.subarray(sent, sent + step)
    if (!socket.write(chunk)) await new Promise(resolve => socket.once('drain', resolve))
    if (rate) {
      const due = ((sent + chunk.length) / rate) * 1000 - (performance.now() - started)
      if (due > 1) await sleep(due)
    }
  }
}

/** Serves `root` on 127.0.0.1 in the given shape. */
export async function serveShapedIndex(root: string, shape: IndexShape = {}): Promise<ShapedIndex> {
  const requests: SeenRequest[] = []
  const sockets = new Set<net.Socket>()
  const expected = shape.auth
    ? 'Basic ' + Buffer.from(`${shape.auth.username}:${shape.auth.password}`).toString('base64')
    : undefined
  const state = { connections: 0, refused: 0 }
  let failures = 0

  const respond = async (socket: net.Socket, head: string): Promise<boolean> => {
    const [requestLine, ...lines] = head.split('\r\n')
    const [method, target] = requestLine.split(' ')
    const headers: Record<string, string> = {}
    for (const line of lines) {
      const i = line.indexOf(':')
      if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim()
    }
    const urlPath = target.startsWith('http') ? new URL(target).pathname : target
    requests.push({ method, path: urlPath, from: socket.remoteAddress ?? '', headers })
    if (shape.latencyMs) await sleep(shape.latencyMs)
    let a: Answer
    if (expected && headers.authorization !== expected)
      a = {
        status: 401,
        body: Buffer.from('unauthorized'),
        headers: { 'WWW-Authenticate': 'Basic realm="index"' }
      }
    else if (shape.redirect?.paths.test(urlPath))
      a = {
        status: 302,
        body: Buffer.alloc(0),
        headers: { Location: `${shape.redirect.to}${urlPath}` }
      }
    else if (shape.fail?.test(urlPath) && failures++ < (shape.failTimes ?? Infinity))
      a = {
        status: shape.failStatus ?? 500,
        body: Buffer.from(`a test server that answers ${shape.failStatus ?? 500}`),
        headers: { ...shape.failHeaders }
      }
    else a = ranged(await answer(root, urlPath, headers.accept ?? '', shape), headers.range)
    const close = shape.closeEveryConnection || headers.connection?.toLowerCase() === 'close'
    const stall = a.status < 300 && shape.stallMidBody?.test(urlPath)
    const statusLine = `${shape.closeEveryConnection ? 'HTTP/1.0' : 'HTTP/1.1'} ${a.status} ${STATUS_TEXT[a.status] ?? 'Status'}`
    const out = [
      statusLine,
      `Content-Type: ${a.type ?? 'text/plain'}`,
      ...(a.status < 300 ? ['Accept-Ranges: bytes'] : []),
      ...Object.entries(a.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
      // HTTP/1.0 style: the body ends where the connection does
      ...(shape.closeEveryConnection ? [] : [`Content-Length: ${a.body.length}`]),
      ...(close ? ['Connection: close'] : ['Connection: keep-alive']),
      '',
      ''
    ].join('\r\n')
    socket.write(out)
    if (method === 'HEAD') return !close
    if (stall) {
      socket.write(a.body.subarray(0, Math.floor(a.body.length / 2)))
      // silence, the connection left open: the client must give up by itself
      return false
    }
    await writeBody(socket, a.body, shape)
    if (close) socket.end()
    return !close
  }

  const server = net.createServer(socket => {
    if (shape.onlyFrom && socket.remoteAddress !== shape.onlyFrom) {
      state.refused++
      socket.destroy()
      return
    }
    state.connections++
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => undefined)
    let buffer = ''
    let busy = false
    const next = async (): Promise<void> => {
      if (busy) return
      const end = buffer.indexOf('\r\n\r\n')
      if (end < 0) return
      busy = true
      const head = buffer.slice(0, end)
      buffer = buffer.slice(end + 4)
      const keep = await respond(socket, head).catch(() => false)
      busy = false
      if (keep) await next()
    }
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => {
      buffer += chunk
      void next()
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  const origin = `http://127.0.0.1:${port}`
  const plainUrl = `${origin}/simple/`
  const url = shape.auth
    ? `http://${encodeURIComponent(shape.auth.username)}:${encodeURIComponent(shape.auth.password)}@127.0.0.1:${port}/simple/`
    : plainUrl
  return {
    url,
    plainUrl,
    origin,
    requests,
    get connections() {
      return state.connections
    },
    get refused() {
      return state.refused
    },
    close: () =>
      new Promise<void>(resolve => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      })
  }
}

/** HTTP/1.0, no Content-Length, every connection closed after one answer. */
export function serveClosingIndex(root: string, shape: IndexShape = {}): Promise<ShapedIndex> {
  return serveShapedIndex(root, { ...shape, closeEveryConnection: true })
}

/** Every path matching `paths` sends half its body, then nothing. */
export function serveStallingIndex(root: string, paths: RegExp): Promise<ShapedIndex> {
  return serveShapedIndex(root, { stallMidBody: paths })
}

/** Every path matching `paths` (all by default) is answered with HTTP 500. */
export function serveFailingIndex(root: string, paths = /./): Promise<ShapedIndex> {
  return serveShapedIndex(root, { fail: paths })
}

/**
 * Like pypi.org and files.pythonhosted.org: 20 ms before each answer, 50 MB/s a connection, PEP 658
 * (`pep658: false`: like an older Artifactory, Nexus or devpi, plain PEP 503 pages and no metadata files).
 */
export function servePypiShapedIndex(
  root: string,
  o: { latencyMs?: number; bytesPerSecond?: number; pep658?: boolean } = {}
): Promise<ShapedIndex> {
  return serveShapedIndex(root, {
    latencyMs: o.latencyMs ?? 20,
    bytesPerSecond: o.bytesPerSecond ?? 50e6,
    pep658: o.pep658 ?? true
  })
}
