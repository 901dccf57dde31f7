/**
 * A loopback stand-in for AWS CodeArtifact (moto has none): the two REST operations the action
 * calls, answered as AWS documents them in the CodeArtifact API reference —
 *   GetAuthorizationToken: POST /v1/authorization-token?domain=&domain-owner=&duration=
 *     → 200 {"authorizationToken": "…", "expiration": <epoch seconds>}
 *   GetRepositoryEndpoint: GET /v1/repository/endpoint?domain=&domain-owner=&format=&repository=
 *     → 200 {"repositoryEndpoint": "https://<domain>-<owner>.d.codeartifact.<region>.amazonaws.com/pypi/<repo>/"}
 * errors as REST-JSON: the status, an `x-amzn-ErrorType` header and {"message": "…"} — plus the
 * repository's PyPI endpoint itself (/pypi/<repo>/simple/…, basic auth `aws:<token>`), served from
 * a makeIndex() root.
 */
import { promises as fs } from 'node:fs'
import * as http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'

export interface StandIn {
  /** `http://127.0.0.1:<port>`: AWS_ENDPOINT_URL_CODEARTIFACT */
  endpoint: string
  token: string
  /** every API call: method, path and query */
  calls: { method: string; path: string; query: Record<string, string>; signed: boolean }[]
  close(): Promise<void>
}

export async function startCodeArtifactStandIn(o: {
  domain: string
  domainOwner: string
  repository: string
  token: string
  /** a makeIndex() root served as the repository's PyPI endpoint */
  indexRoot: string
  /** domains whose calls are denied (AccessDeniedException) */
  deniedDomains?: string[]
}): Promise<StandIn> {
  const calls: StandIn['calls'] = []
  const json = (res: http.ServerResponse, status: number, body: unknown, errorType?: string) => {
    const data = Buffer.from(JSON.stringify(body))
    res.writeHead(status, {
      'Content-Type': 'application/json',
      'Content-Length': data.length,
      ...(errorType ? { 'x-amzn-ErrorType': errorType } : {})
    })
    res.end(data)
  }
  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x')
      const query = Object.fromEntries(url.searchParams)
      if (url.pathname.startsWith('/v1/')) {
        calls.push({
          method: req.method ?? '',
          path: url.pathname,
          query,
          signed: /^AWS4-HMAC-SHA256 /.test(req.headers.authorization ?? '')
        })
        if (o.deniedDomains?.includes(query.domain ?? ''))
          return json(
            res,
            403,
            {
              message: `User: arn:aws:sts::${o.domainOwner}:assumed-role/ci/run is not authorized to perform: codeartifact:GetAuthorizationToken on resource: arn:aws:codeartifact:eu-west-1:${o.domainOwner}:domain/${query.domain}`
            },
            'AccessDeniedException'
          )
        if (query.domain !== o.domain || (query['domain-owner'] ?? o.domainOwner) !== o.domainOwner)
          return json(
            res,
            404,
            { message: `Domain ${query.domain} not found`, resourceType: 'domain' },
            'ResourceNotFoundException'
          )
        if (req.method === 'POST' && url.pathname === '/v1/authorization-token')
          return json(res, 200, {
            authorizationToken: o.token,
            expiration: Math.floor(Date.now() / 1000) + Number(query.duration ?? 43200)
          })
        if (req.method === 'GET' && url.pathname === '/v1/repository/endpoint') {
          if (query.repository !== o.repository)
            return json(
              res,
              404,
              { message: `Repository ${query.repository} not found`, resourceType: 'repository' },
              'ResourceNotFoundException'
            )
          const { port } = server.address() as AddressInfo
          return json(res, 200, {
            repositoryEndpoint: `http://127.0.0.1:${port}/pypi/${o.repository}/`
          })
        }
        return json(res, 404, { message: 'no such operation' }, 'UnknownOperationException')
      }
      const prefix = `/pypi/${o.repository}/`
      const expected = 'Basic ' + Buffer.from(`aws:${o.token}`).toString('base64')
      if (!url.pathname.startsWith(prefix) || req.headers.authorization !== expected) {
        res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="codeartifact"' }).end()
        return
      }
      let file = path.join(o.indexRoot, path.normalize(url.pathname.slice(prefix.length)))
      try {
        if ((await fs.stat(file)).isDirectory()) file = path.join(file, 'index.html')
        const body = await fs.readFile(file)
        res.writeHead(200, {
          'Content-Type': file.endsWith('.html') ? 'text/html' : 'application/octet-stream'
        })
        res.end(body)
      } catch {
        res.writeHead(404).end()
      }
    })()
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    endpoint: `http://127.0.0.1:${port}`,
    token: o.token,
    calls,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close(error => (error ? reject(error) : resolve()))
      })
  }
}
