/**
 * The one HTTP client for what the action downloads itself: index pages, PEP 658 metadata, wheels,
 * byte ranges. It is undici 7 (Node 20 and the runner's Node 24 alike): its Agent and ProxyAgent
 * (the proxy pip would take, from pip's --proxy or the environment, ./proxies.ts; the CA bundle and
 * client certificate pip would present, likewise), its redirect interceptor (credentials dropped when the
 * host changes), its RetryHandler (connection errors, 429, 5xx and stalls retried with backoff; a
 * download cut off midway resumes with a Range request) and its header and body timeouts, which are
 * the stall timeout. `file:` URLs are read from disk with the same answers, so callers need no
 * second path (./http-answers.ts). Every error names the URL (credentials removed) and the cause
 * (./http-failures.ts).
 */
import { createWriteStream, readFileSync } from 'node:fs'
import type { IncomingHttpHeaders } from 'node:http'
import type { Agent, Dispatcher, RetryHandler } from 'undici'
import { messageOf } from './errors'
import { takeBasicAuth, withoutUserInfo } from './credentials'
import { caFileFor, pipNetworkOfRun, proxyFor, type Environment, type PipNetwork } from './proxies'
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
  /** pip's --proxy, --cert, --client-cert (default: this run's, from pip-args, PIP_* and pip's config files; ./proxies.ts pipNetworkOfRun) */
  readonly pip?: PipNetwork
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
 * What the TLS handshakes present: the CA bundle pip would verify with (./proxies.ts caFileFor:
 * REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, pip's --cert, SSL_CERT_FILE), so a TLS-intercepting corporate
 * proxy's CA reaches both pip and this client, and pip's --client-cert (one PEM file holding the key
 * and the certificate, as pip takes it). A `ca` given to Node replaces its defaults,
 * NODE_EXTRA_CA_CERTS included, so that file is added back by hand.
 */
function tlsOf(env: Environment, pip: PipNetwork): { ca?: string[]; cert?: string; key?: string } {
  const file = caFileFor(env, pip)
  const bundles = [file, file && env.NODE_EXTRA_CA_CERTS].filter((f): f is string => !!f)
  const ca = bundles.map(f =>
    readPem(
      f,
      "certificate bundle (pip's cert, REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, SSL_CERT_FILE or NODE_EXTRA_CA_CERTS)"
    )
  )
  const pem = pip.clientCert && readPem(pip.clientCert, "client certificate (pip's client-cert)")
  return { ...(ca.length > 0 ? { ca } : {}), ...(pem ? { cert: pem, key: pem } : {}) }
}

/** A PEM file's text; an unreadable one is an error naming the file and what it is for. */
export function readPem(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (error) {
    throw new HttpError(`Could not read ${file}, the ${what}: ${messageOf(error)}`, file, 'other')
  }
}

/**
 * undici itself, loaded on the first request (a chunk of its own): a run that downloads nothing,
 * such as a rebuild on an exact cache hit, does not parse it at start-up.
 */
type Undici = typeof import('undici')

/** The agents' settings once pip's options are known, and undici to dispatch with. */
interface Road {
  readonly undici: Undici
  /** every request goes through here: redirects followed, then the agent `origin` takes */
  readonly dispatch: Dispatcher['dispatch']
  readonly pip: PipNetwork
  readonly tls: { ca?: string[]; cert?: string; key?: string }
  readonly agentOptions: Agent.Options
}

export class HttpClient {
  private readonly timeouts: HttpTimeouts
  private readonly env: Environment
  private readonly sleep: (ms: number) => Promise<void>
  private readonly credentials: URL[]
  private readonly pip?: PipNetwork
  private readonly connections: number
  private road?: Promise<Road>
  private ready?: Road
  private readonly agents = new Map<string, Dispatcher>()

  constructor(o: HttpClientOptions = {}) {
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...o.timeouts }
    this.env = o.env ?? process.env
    this.sleep = o.sleep ?? (ms => new Promise(resolve => setTimeout(resolve, ms)))
    this.credentials = (o.credentials ?? [])
      .filter(u => /^https?:\/\/[^/@]*@/i.test(u))
      .map(u => new URL(u))
    this.pip = o.pip
    this.connections = o.connections ?? 16
  }

  /**
   * pip's options and undici (read and loaded once, on the first request: a run that downloads
   * nothing starts no pip and parses no undici) and the TLS they make.
   */
  private roadAhead(): Promise<Road> {
    this.road ??= Promise.all([
      this.pip ? Promise.resolve(this.pip) : pipNetworkOfRun(this.env),
      import('undici')
    ]).then(([pip, undici]) => {
      const tls = tlsOf(this.env, pip)
      // reached only once `ready` is set: request() waits for the road before dispatching
      const route: Dispatcher['dispatch'] = (opts, handler) =>
        this.agentFor(String(opts.origin), this.ready as Road).dispatch(opts, handler)
      this.ready = {
        undici,
        dispatch: undici.interceptors.redirect({ maxRedirections: 10 })(route),
        pip,
        tls,
        agentOptions: {
          headersTimeout: this.timeouts.stallMs,
          bodyTimeout: this.timeouts.stallMs,
          connect: { timeout: Math.min(this.timeouts.connectMs, this.timeouts.stallMs), ...tls },
          connections: this.connections
        }
      }
      return this.ready
    })
    return this.road
  }

  /** A direct Agent, or a ProxyAgent per proxy, as pip would route `origin`. */
  private agentFor(origin: string, road: Road): Dispatcher {
    const proxy = proxyFor(origin, this.env, road.pip) ?? ''
    let agent = this.agents.get(proxy)
    if (!agent) {
      // the client certificate goes to the index, not to the proxy (urllib3 gives it to the tunnelled connection)
      const { cert: _cert, key: _key, ...proxyTls } = road.tls
      agent = proxy
        ? new road.undici.ProxyAgent({
            ...road.agentOptions,
            uri: proxy,
            requestTls: road.tls,
            proxyTls
          })
        : new road.undici.Agent(road.agentOptions)
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
    const road = await this.roadAhead()
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
    const handler = new road.undici.RetryHandler(
      {
        ...opts,
        retryOptions: { retry, statusCodes: RETRIED_STATUS, methods: ['GET'], throwOnError: true }
      },
      { dispatch: road.dispatch, handler: sink }
    )
    road.dispatch(opts, handler)
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
        proxy: proxyFor(shown, this.env, road.pip)
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
