/**
 * The one HTTP client for what the action downloads itself: index pages, PEP 658 metadata, wheels,
 * byte ranges. It is undici 7 (Node 20 and the runner's Node 24 alike): its Agent and ProxyAgent
 * (the proxy pip would take, ./proxies.ts), its redirect interceptor (credentials dropped when the
 * host changes), its RetryHandler (connection errors, 429, 5xx and stalls retried with backoff; a
 * download cut off midway resumes with a Range request) and its header and body timeouts, which are
 * the stall timeout. `file:` URLs are read from disk with the same answers, so callers need no
 * second path (./http-answers.ts). Every error names the URL (credentials removed) and the cause
 * (./http-failures.ts).
 */
import { createWriteStream, readFileSync } from 'node:fs'
import type { IncomingHttpHeaders } from 'node:http'
import { Agent, ProxyAgent, RetryHandler, interceptors, type Dispatcher } from 'undici'
import { messageOf } from './errors'
import { takeBasicAuth, withoutUserInfo } from './credentials'
import { proxyFor, type Environment } from './proxies'
import {
  DEFAULT_TIMEOUTS,
  HttpError,
  RETRIED_STATUS,
  explain,
  retryDelay,
  type HttpTimeouts
} from './http-failures'
import { Sink, copyLocal, readLocal, type Answer } from './http-answers'

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

/** `start`–`end` (inclusive; to the end when absent), or the last `suffix` bytes */
export type ByteRange =
  { readonly start: number; readonly end?: number } | { readonly suffix: number }

/** The Range header's value. */
export function rangeHeader(range: ByteRange): string {
  return 'suffix' in range ? `bytes=-${range.suffix}` : `bytes=${range.start}-${range.end ?? ''}`
}

export interface GetOptions {
  readonly accept?: string
  /** `Range: bytes=start-end` (end inclusive); the answer's status says whether the server honoured it (206) */
  readonly range?: ByteRange
  readonly signal?: AbortSignal
}

/** An answer: its status, headers and body (bytes, or the byte count of a download). */
export type HttpResponse<T> = Answer<T>

/**
 * The certificates pip would trust instead of the default ones: `PIP_CERT` (pip's --cert), else
 * `REQUESTS_CA_BUNDLE` or `CURL_CA_BUNDLE` (requests), else `SSL_CERT_FILE` (OpenSSL): a
 * TLS-intercepting corporate proxy's CA reaches both pip and this client. A `ca` given to Node
 * replaces its defaults, NODE_EXTRA_CA_CERTS included, so that file is added back by hand.
 */
function caBundle(env: Environment): string[] | undefined {
  const file = env.PIP_CERT || env.REQUESTS_CA_BUNDLE || env.CURL_CA_BUNDLE || env.SSL_CERT_FILE
  if (!file) return undefined
  return [file, env.NODE_EXTRA_CA_CERTS].filter((f): f is string => !!f).map(readBundle)
}

function readBundle(file: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (error) {
    throw new HttpError(
      `Could not read the certificate bundle ${file} (from PIP_CERT, REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, SSL_CERT_FILE or NODE_EXTRA_CA_CERTS): ${messageOf(error)}`,
      file,
      'other'
    )
  }
}

export class HttpClient {
  private readonly timeouts: HttpTimeouts
  private readonly env: Environment
  private readonly sleep: (ms: number) => Promise<void>
  private readonly credentials: URL[]
  private readonly agentOptions: Agent.Options
  private readonly tls: { ca?: string[] }
  private readonly agents = new Map<string, Dispatcher>()
  private readonly dispatch: Dispatcher['dispatch']

  constructor(o: HttpClientOptions = {}) {
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...o.timeouts }
    this.env = o.env ?? process.env
    this.sleep = o.sleep ?? (ms => new Promise(resolve => setTimeout(resolve, ms)))
    this.credentials = (o.credentials ?? [])
      .filter(u => /^https?:\/\/[^/@]*@/i.test(u))
      .map(u => new URL(u))
    const ca = caBundle(this.env)
    this.tls = ca ? { ca } : {}
    this.agentOptions = {
      headersTimeout: this.timeouts.stallMs,
      bodyTimeout: this.timeouts.stallMs,
      connect: { timeout: Math.min(this.timeouts.connectMs, this.timeouts.stallMs), ...this.tls },
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
        ? new ProxyAgent({
            ...this.agentOptions,
            uri: proxy,
            requestTls: this.tls,
            proxyTls: this.tls
          })
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
    // named in errors without user-info and without its query (a pre-signed URL's signature)
    const shown = withoutUserInfo(rawUrl).replace(/\?[^#]*/, '?…')
    const headers: Record<string, string> = {
      accept: o.accept ?? '*/*',
      'user-agent': 'layer-action',
      ...this.authFor(url)
    }
    if (o.range) headers.range = rangeHeader(o.range)
    const t = this.timeouts
    const started = Date.now()
    const causes: unknown[] = []
    const retry: RetryHandler.RetryCallback = (error, _context, done) => {
      causes.push(error)
      const delay = retryDelay(error, causes.length, Date.now() - started, t)
      if (delay === undefined || o.signal?.aborted) return done(error)
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
      throw explain({
        error,
        causes,
        url: shown,
        ms: Date.now() - started,
        timeouts: t,
        proxy: proxyFor(shown, this.env)
      })
    }
  }

  /** Basic auth from the URL itself, or from the credential URL of the same scheme, host and port. */
  private authFor(url: URL): Record<string, string> {
    if (url.username || url.password) return takeBasicAuth(url)
    const owner = this.credentials.find(c => c.origin === url.origin)
    return owner ? takeBasicAuth(new URL(owner.href)) : {}
  }
}
