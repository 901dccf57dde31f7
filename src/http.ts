/**
 * The one HTTP client for what the action downloads itself: index pages, PEP 658 metadata, wheels,
 * byte ranges. It is undici 7 (Node 20 and the runner's Node 24 alike): its Agent and ProxyAgent
 * (the proxy pip would take, ./proxies.ts), its redirect interceptor (credentials dropped when the
 * host changes), its RetryHandler (connection errors, 429, 5xx and stalls retried with backoff; a
 * download cut off midway resumes with a Range request) and its header and body timeouts, which are
 * the stall timeout. `file:` URLs are read from disk with the same answers, so callers need no
 * second path. Every error names the URL (credentials removed) and the cause.
 */
import { createReadStream, createWriteStream, promises as fs } from 'node:fs'
import { pipeline } from 'node:stream/promises'
import type { IncomingHttpHeaders } from 'node:http'
import { fileURLToPath } from 'node:url'
import { Agent, ProxyAgent, RetryHandler, interceptors, type Dispatcher } from 'undici'
import { LayerActionError, messageOf } from './errors'
import { redactUrl, takeBasicAuth, withoutUserInfo } from './credentials'
import { proxyFor, type Environment } from './proxies'

export interface HttpTimeouts {
  /** no byte for this long (answer, body) fails the attempt, which is retried */
  readonly stallMs: number
  readonly connectMs: number
  /** no retry starts that could end after this long since the first attempt: a stalled run fails in about two minutes */
  readonly deadlineMs: number
  /** the first pause between attempts; it doubles each time (capped at 8 of them) */
  readonly backoffMs: number
  readonly attempts: number
}

export const DEFAULT_TIMEOUTS: HttpTimeouts = {
  stallMs: 30_000,
  connectMs: 10_000,
  deadlineMs: 120_000,
  backoffMs: 1_000,
  attempts: 5
}

/** What went wrong, for callers that act on it (a 404 page, an unreachable host to route around). */
export type HttpFailure = 'status' | 'unreachable' | 'stalled' | 'interrupted' | 'proxy' | 'other'

export class HttpError extends LayerActionError {
  constructor(
    message: string,
    /** the URL without credentials */
    readonly url: string,
    readonly failure: HttpFailure,
    readonly status?: number
  ) {
    super(message)
  }
}

export interface HttpClientOptions {
  /** where the proxy variables are read (default process.env) */
  readonly env?: Environment
  readonly timeouts?: Partial<HttpTimeouts>
  readonly sleep?: (ms: number) => Promise<void>
  /** URLs carrying user-info (the index, CodeArtifact): each one's credentials go to its own scheme, host and port only */
  readonly credentials?: readonly string[]
  /** connections per host */
  readonly connections?: number
}

export interface GetOptions {
  readonly accept?: string
  /** `Range: bytes=start-end` (end inclusive); the answer's status says whether the server honoured it (206) */
  readonly range?: { readonly start: number; readonly end?: number }
  readonly signal?: AbortSignal
}

export interface HttpResponse<T> {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly body: T
}

/** The host could not be reached at all: a place to route around (a mirror, the lock's index). */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETDOWN',
  'ENETUNREACH',
  'EHOSTDOWN',
  'EHOSTUNREACH',
  'UND_ERR_CONNECT_TIMEOUT'
])
const RETRIED_CODES = new Set([
  ...UNREACHABLE,
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT'
])
const RETRIED_STATUS = [408, 429, ...Array.from({ length: 100 }, (_, i) => 500 + i)]

interface ErrorFields {
  code?: string
  statusCode?: number
  headers?: IncomingHttpHeaders
  cause?: unknown
}

function fields(error: unknown): ErrorFields {
  const e = (error ?? {}) as ErrorFields
  const cause = (e.cause ?? {}) as ErrorFields
  return { ...e, code: e.code ?? cause.code }
}

/** The pause before the next attempt: Retry-After when the server sent one, else doubling backoff. */
function delayOf(error: unknown, failures: number, t: HttpTimeouts): number {
  const retryAfter = fields(error).headers?.['retry-after']
  if (typeof retryAfter === 'string') {
    const seconds = Number(retryAfter)
    const ms = Number.isNaN(seconds) ? new Date(retryAfter).getTime() - Date.now() : seconds * 1000
    if (ms > 0) return Math.min(ms, t.stallMs)
  }
  return t.backoffMs * 2 ** Math.min(failures - 1, 3)
}

export class HttpClient {
  private readonly timeouts: HttpTimeouts
  private readonly env: Environment
  private readonly sleep: (ms: number) => Promise<void>
  private readonly credentials: URL[]
  private readonly agentOptions: Agent.Options
  private readonly agents = new Map<string, Dispatcher>()
  private readonly dispatch: Dispatcher['dispatch']

  constructor(o: HttpClientOptions = {}) {
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...o.timeouts }
    this.env = o.env ?? process.env
    this.sleep = o.sleep ?? (ms => new Promise(resolve => setTimeout(resolve, ms)))
    this.credentials = (o.credentials ?? [])
      .filter(u => /^https?:\/\/[^/@]*@/i.test(u))
      .map(u => new URL(u))
    this.agentOptions = {
      headersTimeout: this.timeouts.stallMs,
      bodyTimeout: this.timeouts.stallMs,
      connect: { timeout: Math.min(this.timeouts.connectMs, this.timeouts.stallMs) },
      connections: o.connections ?? 16
    }
    const route: Dispatcher['dispatch'] = (opts, handler) =>
      this.agentFor(String(opts.origin)).dispatch(opts, handler)
    this.dispatch = interceptors.redirect({ maxRedirections: 10 })(route)
  }

  /** A direct Agent, or a ProxyAgent per proxy, as pip would route `origin`. */
  private agentFor(origin: string): Dispatcher {
    const proxy = proxyFor(origin, this.env) ?? ''
    let agent = this.agents.get(proxy)
    if (!agent) {
      agent = proxy
        ? new ProxyAgent({ ...this.agentOptions, uri: proxy })
        : new Agent(this.agentOptions)
      this.agents.set(proxy, agent)
    }
    return agent
  }

  /** The whole body in memory (pages, metadata, ranges). */
  async get(url: string, o: GetOptions = {}): Promise<HttpResponse<Buffer>> {
    if (url.startsWith('file:')) return readLocal(url, o)
    const chunks: Buffer[] = []
    const answer = await this.request(url, o, chunk => chunks.push(chunk))
    return { ...answer, body: Buffer.concat(chunks) }
  }

  /** Streams the body into `file`; `onData` sees every byte as it arrives (a hash, a size check). */
  async download(
    url: string,
    file: string,
    o: GetOptions & { onData?: (chunk: Buffer) => void } = {}
  ): Promise<HttpResponse<number>> {
    if (url.startsWith('file:')) return copyLocal(url, file, o.onData)
    const out = createWriteStream(file)
    const closed = new Promise<void>((resolve, reject) => {
      out.on('close', resolve)
      out.on('error', reject)
    })
    let bytes = 0
    try {
      const answer = await this.request(url, o, chunk => {
        bytes += chunk.length
        o.onData?.(chunk)
        // never waits for the disk: see Sink
        out.write(chunk)
      })
      out.end()
      await closed
      return { ...answer, body: bytes }
    } catch (error) {
      out.destroy()
      await closed.catch(() => undefined)
      throw error
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.agents.values()].map(a => a.close()))
    this.agents.clear()
  }

  private async request(
    rawUrl: string,
    o: GetOptions,
    onData: (chunk: Buffer) => void
  ): Promise<{ status: number; headers: IncomingHttpHeaders }> {
    const url = new URL(rawUrl)
    const shown = withoutUserInfo(rawUrl)
    const headers: Record<string, string> = {
      accept: o.accept ?? '*/*',
      'user-agent': 'layer-action',
      ...this.authFor(url)
    }
    if (o.range) headers.range = `bytes=${o.range.start}-${o.range.end ?? ''}`
    const t = this.timeouts
    const started = Date.now()
    const causes: unknown[] = []
    const retry: RetryHandler.RetryCallback = (error, _context, done) => {
      causes.push(error)
      const f = fields(error)
      const retried =
        (f.statusCode !== undefined && RETRIED_STATUS.includes(f.statusCode)) ||
        (f.statusCode === undefined && f.code !== undefined && RETRIED_CODES.has(f.code))
      const delay = delayOf(error, causes.length, t)
      const late = Date.now() - started + delay + t.stallMs > t.deadlineMs
      if (!retried || late || causes.length >= t.attempts || o.signal?.aborted) return done(error)
      this.sleep(delay).then(
        () => done(null),
        (e: unknown) => done(e instanceof Error ? e : new Error(messageOf(e)))
      )
    }
    const sink = new Sink(onData, o.signal)
    const opts: Dispatcher.DispatchOptions = {
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
      method: 'GET',
      headers
    }
    const handler = new RetryHandler(
      {
        ...opts,
        retryOptions: { retry, statusCodes: RETRIED_STATUS, methods: ['GET'], throwOnError: true }
      },
      { dispatch: this.dispatch, handler: sink }
    )
    this.dispatch(opts, handler)
    try {
      const answer = await sink.done
      if (answer.status >= 300)
        throw new HttpError(
          `${shown} answered HTTP ${answer.status}${answer.statusText ? ` ${answer.statusText}` : ''}`,
          shown,
          'status',
          answer.status
        )
      return answer
    } catch (error) {
      if (error instanceof HttpError) throw error
      throw this.explain(error, causes, shown, Date.now() - started)
    }
  }

  /** Basic auth from the URL itself, or from the credential URL of the same scheme, host and port. */
  private authFor(url: URL): Record<string, string> {
    if (url.username || url.password) return takeBasicAuth(url)
    const owner = this.credentials.find(c => c.origin === url.origin)
    return owner ? takeBasicAuth(new URL(owner.href)) : {}
  }

  /** The last failure, said so that the reader knows what to fix, with what happened before it. */
  private explain(error: unknown, causes: unknown[], url: string, ms: number): HttpError {
    const all = [...causes.filter(c => c !== error), error]
    const described = all.map(c => describe(c, this.timeouts))
    const last = fields(error)
    const failure: HttpFailure =
      last.statusCode !== undefined && last.statusCode >= 300
        ? 'status'
        : all.some(c =>
              ['UND_ERR_BODY_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT'].includes(fields(c).code ?? '')
            )
          ? 'stalled'
          : UNREACHABLE.has(last.code ?? '')
            ? 'unreachable'
            : /proxy/i.test(messageOf(error))
              ? 'proxy'
              : RETRIED_CODES.has(last.code ?? '')
                ? 'interrupted'
                : 'other'
    const tries =
      all.length > 1 ? ` after ${all.length} attempts in ${Math.round(ms / 1000)} s` : ''
    const history = [...new Set(described.slice(0, -1))]
    const earlier = history.length > 0 ? ` (before that: ${history.join('; ')})` : ''
    const proxy = proxyFor(url, this.env)
    const via = proxy ? ` through the proxy ${redactUrl(proxy)}` : ''
    return new HttpError(
      `Could not download ${url}${via}${tries}: ${described.at(-1)}${earlier}`,
      url,
      failure,
      last.statusCode
    )
  }
}

/** One cause in words. */
function describe(error: unknown, t: HttpTimeouts): string {
  const f = fields(error)
  const seconds = (ms: number): string => `${Math.round(ms / 100) / 10} s`
  if (f.statusCode !== undefined && f.statusCode >= 300) {
    if (f.statusCode === 200 || f.statusCode === 206)
      return 'the server broke off the answer and cannot resume it (no Range support)'
    return `HTTP ${f.statusCode}`
  }
  switch (f.code) {
    case 'UND_ERR_BODY_TIMEOUT':
      return `the server stopped sending (no byte for ${seconds(t.stallMs)})`
    case 'UND_ERR_HEADERS_TIMEOUT':
      return `no answer for ${seconds(t.stallMs)}`
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'could not connect (timed out)'
    case 'ECONNREFUSED':
      return 'connection refused'
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found (DNS)'
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return `the connection closed before the answer was complete (${messageOf(error)})`
    default:
      return redactUrl(messageOf(error))
  }
}

/**
 * Collects one answer. It never pauses undici's parser: undici 7 crashes with `assert(!this.paused)`
 * when a server closes the connection while the parser is paused for backpressure
 * (nodejs/undici#5360, fixed only in undici ≥ 8.4.1, which needs Node ≥ 22.19), so bytes go
 * straight to memory or to a file stream's buffer instead.
 */
class Sink implements Dispatcher.DispatchHandler {
  readonly done: Promise<{ status: number; statusText: string; headers: IncomingHttpHeaders }>
  private settle!: (answer: {
    status: number
    statusText: string
    headers: IncomingHttpHeaders
  }) => void
  private fail!: (error: unknown) => void
  private answer?: { status: number; statusText: string; headers: IncomingHttpHeaders }

  constructor(
    private readonly take: (chunk: Buffer) => void,
    private readonly signal?: AbortSignal
  ) {
    this.done = new Promise((resolve, reject) => {
      this.settle = resolve
      this.fail = reject
    })
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    const signal = this.signal
    if (!signal) return
    if (signal.aborted) return controller.abort(abortReason(signal))
    const abort = () => controller.abort(abortReason(signal))
    signal.addEventListener('abort', abort, { once: true })
    void this.done.catch(() => undefined).finally(() => signal.removeEventListener('abort', abort))
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    status: number,
    headers: IncomingHttpHeaders,
    statusText?: string
  ): void {
    this.answer = { status, statusText: statusText ?? '', headers }
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    // an error page's body is not the file asked for
    if (this.answer && this.answer.status < 300) this.take(chunk)
  }

  onResponseEnd(): void {
    if (this.answer) this.settle(this.answer)
    else this.fail(new Error('the answer ended before its headers'))
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.fail(error)
  }
}

function abortReason(signal?: AbortSignal): Error {
  const reason: unknown = signal?.reason
  return reason instanceof Error ? reason : new Error('aborted')
}

function localError(url: string, error: unknown): HttpError {
  const code = (error as NodeJS.ErrnoException).code
  const status = code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR' ? 404 : undefined
  return new HttpError(
    `Could not read ${url}: ${status ? 'no such file' : messageOf(error)}`,
    url,
    status ? 'status' : 'other',
    status
  )
}

/** A file: URL copied as a download would be, every chunk seen by `onData`. */
async function copyLocal(
  url: string,
  file: string,
  onData?: (chunk: Buffer) => void
): Promise<HttpResponse<number>> {
  let bytes = 0
  const source = createReadStream(fileURLToPath(url))
  source.on('data', chunk => {
    bytes += chunk.length
    onData?.(chunk as Buffer)
  })
  try {
    await pipeline(source, createWriteStream(file))
  } catch (error) {
    throw localError(url, error)
  }
  return { status: 200, headers: {}, body: bytes }
}

/** A file: URL, answered as a server would: 200 with the bytes, 404 when nothing is there. */
async function readLocal(url: string, o: GetOptions): Promise<HttpResponse<Buffer>> {
  const file = fileURLToPath(url)
  try {
    const data = await fs.readFile(file)
    const body = o.range ? data.subarray(o.range.start, (o.range.end ?? data.length - 1) + 1) : data
    return { status: o.range ? 206 : 200, headers: {}, body }
  } catch (error) {
    throw localError(url, error)
  }
}
