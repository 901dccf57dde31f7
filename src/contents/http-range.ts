/**
 * Byte ranges of a file behind a URL (a layer version's pre-signed `Content.Location`), through the
 * action's one HTTP client (src/http.ts: proxies, retries, stall timeout). The URL's query holds a
 * signature: it never reaches a message.
 */
import { LayerActionError } from '../errors'
import { HttpClient } from '../http'
import { HttpError } from '../http-failures'

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
export async function fetchRange(
  url: string,
  range: RangeRequest,
  http: HttpClient = new HttpClient()
): Promise<RangeBytes> {
  const where = displayUrl(url)
  try {
    const answer = await http.get(url, { range })
    const data = answer.body
    if (answer.status === 200) return { start: 0, total: data.length, data }
    const header = answer.headers['content-range']
    const at = parseContentRange(Array.isArray(header) ? header[0] : header)
    if (at) return { start: at.start, total: at.total, data }
    throw new LayerActionError(
      `Could not read ${where}: HTTP ${answer.status} without a usable Content-Range`
    )
  } catch (error: unknown) {
    if (!(error instanceof HttpError)) throw error
    const expired = error.status === 403 ? ' (a pre-signed location is valid for 10 minutes)' : ''
    throw new LayerActionError(`Could not read ${where}: ${error.message}${expired}`, {
      cause: error
    })
  }
}
