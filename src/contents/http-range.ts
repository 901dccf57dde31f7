/**
 * Byte ranges of a file behind a URL (a layer version's pre-signed `Content.Location`). The only
 * network call of contents/ outside the AWS SDK and Octokit: `fetchRange` is the one function to
 * point at the shared HTTP client (src/http.ts: proxies, retries, stall timeout) when it lands.
 */
import { LayerActionError, messageOf } from '../errors'

/** `suffix`: the last bytes of the file; `start`/`end`: inclusive offsets. */
export type RangeRequest =
  { readonly suffix: number } | { readonly start: number; readonly end: number }

export interface RangeBytes {
  /** where `data` starts in the file */
  readonly start: number
  /** the file's size */
  readonly total: number
  readonly data: Buffer
}

/** Reads one range of one file: over HTTP, or from S3 (own-upload.ts). */
export type RangeSource = (range: RangeRequest) => Promise<RangeBytes>

const TIMEOUT_MS = 120_000

/** `bytes=-N` or `bytes=a-b` */
export function rangeHeader(range: RangeRequest): string {
  return 'suffix' in range ? `bytes=-${range.suffix}` : `bytes=${range.start}-${range.end}`
}

/** `bytes 0-99/1234` → start and total; undefined for anything else (an unsatisfied range included). */
export function parseContentRange(
  header: string | undefined | null
): { start: number; total: number } | undefined {
  const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(header?.trim() ?? '')
  return m ? { start: Number(m[1]), total: Number(m[3]) } : undefined
}

/** A URL as it may be logged: a pre-signed query carries a credential and a signature. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url)
    return `${u.origin}${u.pathname}`
  } catch {
    return '(a URL that does not parse)'
  }
}

/** A server that ignores `Range` answers 200 with the whole file, which is used as it is. */
export async function fetchRange(url: string, range: RangeRequest): Promise<RangeBytes> {
  const where = displayUrl(url)
  let response: Response
  try {
    response = await fetch(url, {
      headers: { range: rangeHeader(range) },
      signal: AbortSignal.timeout(TIMEOUT_MS)
    })
  } catch (error: unknown) {
    throw new LayerActionError(`Could not read ${where}: ${redactedMessage(error, url)}`)
  }
  const data = Buffer.from(await response.arrayBuffer())
  if (response.status === 200) return { start: 0, total: data.length, data }
  if (response.status === 206) {
    const at = parseContentRange(response.headers.get('content-range'))
    if (at) return { start: at.start, total: at.total, data }
  }
  throw new LayerActionError(
    `Could not read ${where}: HTTP ${response.status} ${response.statusText}` +
      (response.status === 403 ? ' (a pre-signed location is valid for 10 minutes)' : '') +
      (response.status === 206 ? ' without a usable Content-Range' : '')
  )
}

/** Connection errors may quote the URL: never its query. */
function redactedMessage(error: unknown, url: string): string {
  const cause = error instanceof Error && error.cause ? `: ${messageOf(error.cause)}` : ''
  const message = `${messageOf(error)}${cause}`
  const query = url.indexOf('?')
  return query < 0
    ? message
    : message.split(url).join(displayUrl(url)).split(url.slice(query)).join('')
}
