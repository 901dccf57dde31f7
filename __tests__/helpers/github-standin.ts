/**
 * A loopback stand-in for the GitHub REST API's release endpoints (no GitHub is reachable offline),
 * served under `/api/v3` as GitHub Enterprise Server serves it, so a client that honours
 * GITHUB_API_URL is proven to. Shapes and status codes from GitHub's REST reference, "REST API
 * endpoints for releases" (API version 2022-11-28), read 2026-11:
 *   GET   /repos/{owner}/{repo}/releases/tags/{tag}   200 release | 404 Not Found
 *   POST  /repos/{owner}/{repo}/releases              201 release (+ Location) | 422 Validation Failed
 *                                                     (errors: [{resource: Release, code: already_exists,
 *                                                     field: tag_name}] when the tag has a release)
 *   PATCH /repos/{owner}/{repo}/releases/{release_id} 200 release | 404 Not Found
 * Anything without `Authorization: token|Bearer <token>` gets 401 Bad credentials. A release's
 * `upload_url` is the URI template GitHub gives (`…/releases/{id}/assets{?name,label}`), on this host.
 * `setFault` answers chosen requests itself, e.g. 403 "Resource not accessible by integration",
 * what GitHub answers a GITHUB_TOKEN without `contents: write`.
 */
import http from 'node:http'

export interface StandInRelease {
  id: number
  tag_name: string
  name: string | null
  body: string | null
  draft: boolean
  prerelease: boolean
  html_url: string
  url: string
  upload_url: string
  created_at: string
  published_at: string
}

export interface StandInRequest {
  method: string
  path: string
  authorization?: string
  body: string
}

export interface GitHubStandIn {
  /** what GITHUB_API_URL holds: `http://127.0.0.1:<port>/api/v3` */
  apiUrl: string
  requests: StandInRequest[]
  /** releases by tag */
  releases: Map<string, StandInRelease>
  /** awaited before a request is handled: lets a test hold requests to force a race */
  setGate(gate: ((req: StandInRequest) => Promise<void>) | undefined): void
  /** answers a request itself when it returns a status and body (before any other handling) */
  setFault(fault: ((req: StandInRequest) => StandInFault | undefined) | undefined): void
  close(): Promise<void>
}

export interface StandInFault {
  status: number
  body: unknown
}

const DOCS = 'https://docs.github.com/rest/releases/releases'

/** GitHub's answer to a GITHUB_TOKEN that lacks the permission an endpoint needs. */
export const NOT_ACCESSIBLE: StandInFault = {
  status: 403,
  body: {
    message: 'Resource not accessible by integration',
    documentation_url: `${DOCS}#create-a-release`,
    status: '403'
  }
}

export async function startGitHubStandIn(o: {
  token: string
  repo: string
}): Promise<GitHubStandIn> {
  const releases = new Map<string, StandInRelease>()
  const requests: StandInRequest[] = []
  let gate: ((req: StandInRequest) => Promise<void>) | undefined
  let fault: ((req: StandInRequest) => StandInFault | undefined) | undefined
  let nextId = 1
  let apiUrl = ''
  const prefix = `/api/v3/repos/${o.repo}/releases`

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const seen: StandInRequest = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        authorization: req.headers.authorization,
        body: Buffer.concat(chunks).toString('utf8')
      }
      requests.push(seen)
      const send = (status: number, data: unknown, headers: Record<string, string> = {}) => {
        const payload = Buffer.from(JSON.stringify(data))
        res.writeHead(status, {
          'content-type': 'application/json; charset=utf-8',
          'content-length': String(payload.length),
          ...headers
        })
        res.end(payload)
      }
      void (gate ? gate(seen) : Promise.resolve()).then(() => {
        const faulted = fault?.(seen)
        if (faulted) return send(faulted.status, faulted.body)
        if (seen.authorization !== `token ${o.token}` && seen.authorization !== `Bearer ${o.token}`)
          return send(401, { message: 'Bad credentials', documentation_url: DOCS, status: '401' })
        const notFound = () =>
          send(404, { message: 'Not Found', documentation_url: DOCS, status: '404' })
        const path = seen.path.split('?')[0]
        const byTag = path.startsWith(`${prefix}/tags/`)
          ? decodeURIComponent(path.slice(`${prefix}/tags/`.length))
          : undefined
        if (seen.method === 'GET' && byTag !== undefined) {
          const release = releases.get(byTag)
          return release ? send(200, release) : notFound()
        }
        if (seen.method === 'POST' && path === prefix) {
          const given = JSON.parse(seen.body) as Partial<StandInRelease>
          const tag = given.tag_name ?? ''
          if (releases.has(tag))
            return send(422, {
              message: 'Validation Failed',
              errors: [{ resource: 'Release', code: 'already_exists', field: 'tag_name' }],
              documentation_url: `${DOCS}#create-a-release`,
              status: '422'
            })
          const id = nextId++
          const now = new Date().toISOString()
          const release: StandInRelease = {
            id,
            tag_name: tag,
            name: given.name ?? null,
            body: given.body ?? null,
            draft: given.draft ?? false,
            prerelease: given.prerelease ?? false,
            html_url: `https://github.example/${o.repo}/releases/tag/${tag}`,
            url: `${apiUrl}/repos/${o.repo}/releases/${id}`,
            upload_url: `${apiUrl.replace('/api/v3', '/api/uploads')}/repos/${o.repo}/releases/${id}/assets{?name,label}`,
            created_at: now,
            published_at: now
          }
          releases.set(tag, release)
          return send(201, release, { location: release.url })
        }
        const byId = /^\/(\d+)$/.exec(path.slice(prefix.length))
        if (seen.method === 'PATCH' && byId) {
          const release = [...releases.values()].find(r => r.id === Number(byId[1]))
          if (!release) return notFound()
          Object.assign(release, JSON.parse(seen.body) as Partial<StandInRelease>)
          return send(200, release)
        }
        return notFound()
      })
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  apiUrl = `http://127.0.0.1:${port}/api/v3`
  return {
    apiUrl,
    requests,
    releases,
    setGate(g) {
      gate = g
    },
    setFault(f) {
      fault = f
    },
    close: () =>
      new Promise<void>(resolve => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}

/** A gate that holds the first `n` requests matching `match` until all `n` have arrived. */
export function barrier(
  n: number,
  match: (req: StandInRequest) => boolean
): (req: StandInRequest) => Promise<void> {
  let waiting: (() => void)[] = []
  let passed = 0
  return req => {
    if (!match(req) || passed >= n) return Promise.resolve()
    return new Promise<void>(resolve => {
      waiting.push(resolve)
      if (waiting.length + passed >= n) {
        passed += waiting.length
        for (const release of waiting) release()
        waiting = []
      }
    })
  }
}
