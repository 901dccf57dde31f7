/**
 * What the one HTTP client (./http.ts) does when a request fails: which failures are retried (a
 * connection error, 408, 429, 5xx, a stall) and after what pause, when it gives up (a few attempts,
 * and never a retry that could end past the deadline), and how the last failure is said: the URL,
 * the cause in words, and what happened before it.
 */
import type { IncomingHttpHeaders } from 'node:http'
import { LayerActionError, messageOf } from './errors'
import { redactUrl } from './credentials'

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
export const RETRIED_STATUS = [408, 429, ...Array.from({ length: 100 }, (_, i) => 500 + i)]

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

/**
 * Node's codes for a certificate chain it does not trust: the CA of a TLS-intercepting proxy or a
 * private index (or AWS endpoint) that the CA bundle in use does not hold.
 */
export const UNTRUSTED_CERTIFICATE = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE'
])

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

/** The pause before the next attempt, or undefined when this failure is not retried any more. */
export function retryDelay(
  error: unknown,
  failures: number,
  elapsedMs: number,
  t: HttpTimeouts
): number | undefined {
  const f = fields(error)
  const retried =
    (f.statusCode !== undefined && RETRIED_STATUS.includes(f.statusCode)) ||
    (f.statusCode === undefined && f.code !== undefined && RETRIED_CODES.has(f.code))
  const delay = delayOf(error, failures, t)
  const late = elapsedMs + delay + t.stallMs > t.deadlineMs
  return !retried || late || failures >= t.attempts ? undefined : delay
}

/** The last failure, said so that the reader knows what to fix, with what happened before it. */
export function explain(o: {
  error: unknown
  causes: unknown[]
  /** without credentials */
  url: string
  ms: number
  timeouts: HttpTimeouts
  /** the proxy the request went through */
  proxy?: string
}): HttpError {
  const { error, causes, url, ms } = o
  const all = [...causes.filter(c => c !== error), error]
  const described = all.map(c => describe(c, o.timeouts))
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
  const tries = all.length > 1 ? ` after ${all.length} attempts in ${Math.round(ms / 1000)} s` : ''
  const history = [...new Set(described.slice(0, -1))]
  const earlier = history.length > 0 ? ` (before that: ${history.join('; ')})` : ''
  const via = o.proxy ? ` through the proxy ${redactUrl(o.proxy)}` : ''
  return new HttpError(
    `Could not download ${url}${via}${tries}: ${described.at(-1)}${earlier}`,
    url,
    failure,
    last.statusCode
  )
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
  if (f.code !== undefined && UNTRUSTED_CERTIFICATE.has(f.code))
    return (
      `the server's certificate is not trusted (${messageOf(error)}): behind a TLS-intercepting ` +
      "proxy or with a private CA, name the CA's PEM bundle as pip reads it: REQUESTS_CA_BUNDLE, " +
      "pip's cert setting or SSL_CERT_FILE (NODE_EXTRA_CA_CERTS is added to it)"
    )
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
    default: {
      // undici's ProxyAgent: `Proxy response (407) !== 200 when HTTP Tunneling`
      const status = /Proxy response \((\d{3})\)/.exec(messageOf(error))?.[1]
      if (status === '407')
        return "the proxy asks for credentials (HTTP 407 Proxy Authentication Required): put them in the proxy URL, http://user:password@host:port, in HTTPS_PROXY / HTTP_PROXY or pip's proxy setting"
      if (status) return `the proxy refused the connection (HTTP ${status})`
      return redactUrl(messageOf(error))
    }
  }
}
