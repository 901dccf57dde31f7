/**
 * How the one HTTP client (./http.ts) takes an answer: into memory or a file, without ever pausing
 * undici's parser; and `file:` URLs, answered as a server would (200 with the bytes, 404 when
 * nothing is there), so that callers need no second path.
 */
import type { ByteRange } from './http'
import { createReadStream, createWriteStream, promises as fs } from 'node:fs'
import type { IncomingHttpHeaders } from 'node:http'
import { pipeline } from 'node:stream/promises'
import { fileURLToPath } from 'node:url'
import type { Dispatcher } from 'undici'
import { messageOf } from './errors'
import { HttpError } from './http-failures'

export interface Answer<T> {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly body: T
}

/**
 * Collects one answer. It never pauses undici's parser: undici 7 crashes with `assert(!this.paused)`
 * when a server closes the connection while the parser is paused for backpressure
 * (nodejs/undici#5360, fixed only in undici ≥ 8.4.1, which needs Node ≥ 22.19), so bytes go
 * straight to memory or to a file stream's buffer instead.
 */
export class Sink implements Dispatcher.DispatchHandler {
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
export async function copyLocal(
  url: string,
  file: string,
  onData?: (chunk: Buffer) => void
): Promise<Answer<number>> {
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
export async function readLocal(url: string, o: { range?: ByteRange }): Promise<Answer<Buffer>> {
  const file = fileURLToPath(url)
  try {
    const data = await fs.readFile(file)
    if (!o.range) return { status: 200, headers: {}, body: data }
    const start = 'suffix' in o.range ? Math.max(0, data.length - o.range.suffix) : o.range.start
    const end = 'suffix' in o.range ? data.length - 1 : (o.range.end ?? data.length - 1)
    const body = data.subarray(start, end + 1)
    const range = `bytes ${start}-${start + body.length - 1}/${data.length}`
    return { status: 206, headers: { 'content-range': range }, body }
  } catch (error) {
    throw localError(url, error)
  }
}
