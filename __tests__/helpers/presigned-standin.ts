/**
 * A loopback stand-in for the pre-signed S3 URL that Lambda's GetLayerVersion gives as
 * `Content.Location` ("a link to the layer archive in Amazon S3 that is valid for 10 minutes",
 * Lambda API reference, LayerVersionContentOutput, read 2026-11); moto 5.2 answers `s3://` instead.
 * It behaves as S3 does for a GET of a pre-signed object URL (S3 API reference, GetObject, "Range"):
 * one range per request (`bytes=a-b`, `bytes=a-`, `bytes=-n`) → 206 with `Content-Range`; a suffix
 * longer than the object → the whole object as 206; no Range → 200; a range that starts past the end
 * → 416; a missing or wrong `X-Amz-Signature` → 403 SignatureDoesNotMatch; an expired URL → 403
 * AccessDenied "Request has expired". `mode` plays servers that behave worse. Over HTTPS with a
 * self-signed certificate (`selfSignedCertificate`) when `tls` is given.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import net from 'node:net'
import path from 'node:path'
import type { Rule } from './fault-proxy'

export type PresignedMode =
  /** as S3 */
  | 'ranges'
  /** a server that ignores Range: 200 and the whole object */
  | 'ignore-range'
  /** the URL's time is up */
  | 'expired'
  /** 206 with fewer bytes than asked for */
  | 'short'

export interface ServedRange {
  path: string
  range?: string
  status: number
  bytes: number
}

export interface PresignedStandIn {
  /** `http(s)://127.0.0.1:<port>/snapshots/<name>?…&X-Amz-Signature=…` */
  urlFor(name: string): string
  put(name: string, data: Buffer): void
  mode: PresignedMode
  served: ServedRange[]
  /** the signature every URL carries: it must never reach a log line */
  signature: string
  close(): Promise<void>
}

const SIGNATURE = 'f00dfeedstandinsignature0123456789abcdef0123456789abcdef01234567'
const TOKEN = 'IQoJb3JpZ2luX2VjEStandInSessionToken'

function s3Error(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>STANDIN</RequestId></Error>`
}

export async function startPresignedStandIn(
  o: { tls?: { key: string; cert: string } } = {}
): Promise<PresignedStandIn> {
  const objects = new Map<string, Buffer>()
  const served: ServedRange[] = []
  const state = { mode: 'ranges' as PresignedMode }
  const handler: http.RequestListener = (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    const name = decodeURIComponent(url.pathname.replace(/^\/snapshots\//, ''))
    const range = req.headers.range
    const answer = (
      status: number,
      body: Buffer | string,
      headers: Record<string, string> = {}
    ) => {
      const data = typeof body === 'string' ? Buffer.from(body) : body
      served.push({ path: url.pathname, range, status, bytes: data.length })
      res.writeHead(status, { 'content-length': String(data.length), ...headers })
      res.end(data)
    }
    if (url.searchParams.get('X-Amz-Signature') !== SIGNATURE)
      return answer(
        403,
        s3Error(
          'SignatureDoesNotMatch',
          'The request signature we calculated does not match the signature you provided.'
        ),
        { 'content-type': 'application/xml' }
      )
    if (state.mode === 'expired')
      return answer(403, s3Error('AccessDenied', 'Request has expired'), {
        'content-type': 'application/xml'
      })
    const object = objects.get(name)
    if (!object) return answer(404, s3Error('NoSuchKey', 'The specified key does not exist.'))
    const headers = { 'content-type': 'application/zip', 'accept-ranges': 'bytes' }
    const m = /^bytes=(\d*)-(\d*)$/.exec(range ?? '')
    if (!m || state.mode === 'ignore-range' || (m[1] === '' && m[2] === ''))
      return answer(200, object, headers)
    let start = m[1] === '' ? Math.max(0, object.length - Number(m[2])) : Number(m[1])
    let end =
      m[1] === '' || m[2] === '' ? object.length - 1 : Math.min(Number(m[2]), object.length - 1)
    if (start >= object.length)
      return answer(416, s3Error('InvalidRange', 'The requested range is not satisfiable'), {
        'content-range': `bytes */${object.length}`
      })
    if (state.mode === 'short') end = Math.max(start, start + Math.floor((end - start) / 2))
    start = Math.min(start, end)
    return answer(206, object.subarray(start, end + 1), {
      ...headers,
      'content-range': `bytes ${start}-${end}/${object.length}`
    })
  }
  const server = o.tls ? https.createServer(o.tls, handler) : http.createServer(handler)
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  const origin = `${o.tls ? 'https' : 'http'}://127.0.0.1:${port}`
  return {
    urlFor: name =>
      `${origin}/snapshots/${encodeURIComponent(name)}?versionId=standin&X-Amz-Security-Token=${TOKEN}` +
      `&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20261202T000000Z&X-Amz-SignedHeaders=host` +
      `&X-Amz-Expires=600&X-Amz-Credential=ASIASTANDIN%2F20261202%2Feu-west-1%2Fs3%2Faws4_request` +
      `&X-Amz-Signature=${SIGNATURE}`,
    put: (name, data) => void objects.set(name, data),
    get mode() {
      return state.mode
    },
    set mode(m: PresignedMode) {
      state.mode = m
    },
    served,
    signature: SIGNATURE,
    close: () =>
      new Promise<void>(resolve => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}

/** A key and a certificate for 127.0.0.1, or for a host name (openssl), for a process started with NODE_EXTRA_CA_CERTS. */
export function selfSignedCertificate(
  dir: string,
  host = '127.0.0.1'
): {
  key: string
  cert: string
  certFile: string
} {
  const key = path.join(dir, 'standin-key.pem')
  const certFile = path.join(dir, 'standin-cert.pem')
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      `/CN=${host}`,
      '-addext',
      `subjectAltName=${net.isIP(host) ? 'IP' : 'DNS'}:${host}`,
      '-keyout',
      key,
      '-out',
      certFile
    ],
    { stdio: 'ignore' }
  )
  return { key: readFileSync(key, 'utf8'), cert: readFileSync(certFile, 'utf8'), certFile }
}

/**
 * A fault-proxy rule in front of moto: GetLayerVersion (`GET /2018-10-31/layers/<name>/versions/<n>`)
 * answered with `url` as `Content.Location`, where moto 5.2 answers `s3://`.
 */
export function locationRule(url: string): Rule {
  return req =>
    req.method === 'GET' && /^\/2018-10-31\/layers\/.+\/versions\/\d+/.test(req.path)
      ? { rewrite: body => body.replace('"s3://"', JSON.stringify(url)) }
      : undefined
}
