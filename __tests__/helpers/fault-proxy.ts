/**
 * A loopback HTTP proxy in front of moto_server for faults a real server will not produce on
 * demand (throttling, 5xx, a bucket in another region). Requests go through the SDK's real retry
 * logic; a rule decides per request whether to answer it itself, forward it, or rewrite the answer.
 */
import http, { type IncomingHttpHeaders } from 'node:http'

export interface ProxiedRequest {
  method: string
  path: string
  headers: IncomingHttpHeaders
  body: string
}

export interface Fault {
  status: number
  headers?: Record<string, string>
  body?: string
}

export interface RuleAnswer {
  /** answer with this instead of forwarding */
  respond?: Fault
  /** forward, then replace the response body */
  rewrite?: (body: string) => string
}

export type Rule = (req: ProxiedRequest) => RuleAnswer | undefined

export interface FaultProxy {
  endpoint: string
  /** every request seen, faults included */
  requests: ProxiedRequest[]
  setRule(rule: Rule | undefined): void
  close(): Promise<void>
}

export async function startFaultProxy(target: string, rule?: Rule): Promise<FaultProxy> {
  let current = rule
  const requests: ProxiedRequest[] = []
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      const seen: ProxiedRequest = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.headers,
        body: body.toString('utf8')
      }
      requests.push(seen)
      const answer = current?.(seen)
      if (answer?.respond) {
        const f = answer.respond
        const payload = Buffer.from(f.body ?? '')
        res.writeHead(f.status, { 'content-length': String(payload.length), ...f.headers })
        res.end(payload)
        return
      }
      const upstream = http.request(
        `${target}${seen.path}`,
        { method: seen.method, headers: req.headers },
        up => {
          const parts: Buffer[] = []
          up.on('data', (c: Buffer) => parts.push(c))
          up.on('end', () => {
            let out = Buffer.concat(parts)
            if (answer?.rewrite) out = Buffer.from(answer.rewrite(out.toString('utf8')))
            const headers = { ...up.headers, 'content-length': String(out.length) }
            delete headers['transfer-encoding']
            res.writeHead(up.statusCode ?? 502, headers)
            res.end(out)
          })
        }
      )
      upstream.on('error', err => {
        res.writeHead(502)
        res.end(String(err))
      })
      upstream.end(body)
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    setRule(r) {
      current = r
    },
    close: () =>
      new Promise<void>(resolve => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}

/** A Lambda (REST-JSON) error answer, as Lambda sends it. */
export function lambdaFault(status: number, type: string, message: string): Fault {
  return {
    status,
    headers: { 'content-type': 'application/json', 'x-amzn-errortype': type },
    body: JSON.stringify({ Type: status >= 500 ? 'Service' : 'User', message })
  }
}

/** An Invoke answered as Lambda answers for a function that raised: 200 with X-Amz-Function-Error. */
export function functionError(errorType: string, errorMessage: string): Fault {
  return {
    status: 200,
    headers: { 'content-type': 'application/json', 'x-amz-function-error': 'Unhandled' },
    body: JSON.stringify({ errorMessage, errorType, stackTrace: [] })
  }
}

/** An SSM (JSON 1.1) error answer, as SSM sends it. */
export function ssmFault(status: number, type: string, message: string): Fault {
  return {
    status,
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': 'FAULT' },
    body: JSON.stringify({ __type: type, message })
  }
}

/** The region a request is signed for (SigV4's credential scope), '' when unsigned. */
export function signedRegion(req: ProxiedRequest): string {
  return (
    /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(String(req.headers.authorization ?? ''))?.[1] ?? ''
  )
}

/** An S3 (REST-XML) error answer. */
export function s3Fault(
  status: number,
  code: string,
  message: string,
  extra: Record<string, string> = {},
  headers: Record<string, string> = {}
): Fault {
  const fields = Object.entries(extra)
    .map(([k, v]) => `<${k}>${v}</${k}>`)
    .join('')
  return {
    status,
    headers: { 'content-type': 'application/xml', ...headers },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message>${fields}<RequestId>FAULT</RequestId></Error>`
  }
}

/** PublishLayerVersion is `POST /2018-10-31/layers/<name>/versions`. */
export function isPublish(req: ProxiedRequest): boolean {
  return req.method === 'POST' && /^\/2018-10-31\/layers\/[^/]+\/versions\/?(\?|$)/.test(req.path)
}
