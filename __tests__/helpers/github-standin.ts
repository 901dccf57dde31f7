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
 *   GET   /repos/{owner}/{repo}/releases/{release_id} 200 release (with `upload_url`, a URI template)
 * "REST API endpoints for release assets" (same version and date):
 *   GET    /repos/{owner}/{repo}/releases/{release_id}/assets   200 [asset] (each with its `digest`)
 *   DELETE /repos/{owner}/{repo}/releases/assets/{asset_id}     204
 *   POST   {upload_url}?name=…  (GitHub Enterprise Server: https://HOST/api/uploads/repos/…)
 *                              201 asset | 422 Validation Failed (errors: [{resource: ReleaseAsset,
 *                              code: already_exists, field: name}]) when the release has that name
 * "REST API endpoints for issue comments" (same version and date):
 *   GET    /repos/{owner}/{repo}/issues/{issue_number}/comments  200 [comment], `per_page` (30 by
 *                              default, at most 100) and `page`, a `Link: <…>; rel="next"` header
 *   POST   /repos/{owner}/{repo}/issues/{issue_number}/comments  201 comment
 *   PATCH  /repos/{owner}/{repo}/issues/comments/{comment_id}    200 comment
 *   DELETE /repos/{owner}/{repo}/issues/comments/{comment_id}    204
 * Anything without `Authorization: token|Bearer <token>` gets 401 Bad credentials. A release's
 * `upload_url` is the URI template GitHub gives (`…/releases/{id}/assets{?name,label}`), on this host.
 * `setFault` answers chosen requests itself, e.g. 403 "Resource not accessible by integration",
 * what GitHub answers a GITHUB_TOKEN without `contents: write`. `readOnlyToken` plays the token of a
 * pull request from a fork: it reads, and every write gets that same 403.
 */
import { createHash } from 'node:crypto'
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

export interface StandInAsset {
  id: number
  release_id: number
  name: string
  content_type: string
  size: number
  /** `sha256:<hex>`, computed at upload as GitHub does since 2025-06 ("Releases now expose digests for release assets") */
  digest: string
  browser_download_url: string
  /** the bytes uploaded */
  data: Buffer
}

export interface StandInComment {
  id: number
  issue_number: number
  body: string
  html_url: string
  user: { login: string; type: string }
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
  /** release assets by id */
  assets: Map<number, StandInAsset>
  /** issue and pull-request comments by id */
  comments: Map<number, StandInComment>
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
  readOnlyToken?: string
}): Promise<GitHubStandIn> {
  const releases = new Map<string, StandInRelease>()
  const assets = new Map<number, StandInAsset>()
  const comments = new Map<number, StandInComment>()
  const requests: StandInRequest[] = []
  let gate: ((req: StandInRequest) => Promise<void>) | undefined
  let fault: ((req: StandInRequest) => StandInFault | undefined) | undefined
  let nextId = 1
  let apiUrl = ''
  const prefix = `/api/v3/repos/${o.repo}/releases`

  const uploads = `/api/uploads/repos/${o.repo}/releases`
  const issues = `/api/v3/repos/${o.repo}/issues`
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
      const raw = Buffer.concat(chunks)
      requests.push(seen)
      const send = (status: number, data: unknown, headers: Record<string, string> = {}) => {
        if (status === 204) {
          res.writeHead(204)
          res.end()
          return
        }
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
        const given = (seen.authorization ?? '').replace(/^(token|Bearer) /, '')
        if (given !== o.token && (!o.readOnlyToken || given !== o.readOnlyToken))
          return send(401, { message: 'Bad credentials', documentation_url: DOCS, status: '401' })
        if (given === o.readOnlyToken && seen.method !== 'GET')
          return send(403, {
            message: 'Resource not accessible by integration',
            documentation_url: DOCS,
            status: '403'
          })
        const notFound = () =>
          send(404, { message: 'Not Found', documentation_url: DOCS, status: '404' })
        const path = seen.path.split('?')[0]
        const query = new URLSearchParams(seen.path.split('?')[1] ?? '')
        if (path.startsWith(uploads) || path.startsWith(issues) || path.startsWith(`${prefix}/`)) {
          if (assetsAndComments(seen.method, path, query, raw, send)) return
        }
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
  type Send = (status: number, data: unknown, headers?: Record<string, string>) => void
  /** The asset and comment endpoints; false for a request they do not serve. */
  const assetsAndComments = (
    method: string,
    path: string,
    query: URLSearchParams,
    raw: Buffer,
    send: Send
  ): boolean => {
    const answer = (...args: Parameters<Send>) => {
      send(...args)
      return true
    }
    const noContent = () => answer(204, '')
    const releaseById = /^\/(\d+)$/.exec(path.slice(prefix.length))
    if (method === 'GET' && path.startsWith(prefix) && releaseById) {
      const release = [...releases.values()].find(r => r.id === Number(releaseById[1]))
      return release ? answer(200, release) : false
    }
    const listAssets = /^\/(\d+)\/assets$/.exec(path.slice(prefix.length))
    if (method === 'GET' && path.startsWith(prefix) && listAssets)
      return answer(
        200,
        [...assets.values()]
          .filter(a => a.release_id === Number(listAssets[1]))
          .map(({ data: _data, ...a }) => a)
      )
    const assetById = /^\/assets\/(\d+)$/.exec(path.slice(prefix.length))
    if (method === 'DELETE' && path.startsWith(prefix) && assetById)
      return assets.delete(Number(assetById[1])) ? noContent() : false
    const upload = /^\/(\d+)\/assets$/.exec(path.slice(uploads.length))
    if (method === 'POST' && path.startsWith(uploads) && upload) {
      const releaseId = Number(upload[1])
      const name = query.get('name') ?? ''
      if (![...releases.values()].some(r => r.id === releaseId)) return false
      if (!name || [...assets.values()].some(a => a.release_id === releaseId && a.name === name))
        return answer(422, {
          message: 'Validation Failed',
          errors: [
            { resource: 'ReleaseAsset', code: name ? 'already_exists' : 'missing', field: 'name' }
          ],
          documentation_url: DOCS,
          status: '422'
        })
      const asset: StandInAsset = {
        id: nextId++,
        release_id: releaseId,
        name,
        content_type: 'application/octet-stream',
        size: raw.length,
        digest: `sha256:${createHash('sha256').update(raw).digest('hex')}`,
        browser_download_url: `https://github.example/${o.repo}/releases/download/${releaseId}/${name}`,
        data: raw
      }
      assets.set(asset.id, asset)
      const { data: _data, ...shown } = asset
      return answer(201, shown)
    }
    const onIssue = /^\/(\d+)\/comments$/.exec(path.slice(issues.length))
    if (path.startsWith(issues) && onIssue && method === 'GET') {
      const all = [...comments.values()]
        .filter(c => c.issue_number === Number(onIssue[1]))
        .sort((a, b) => a.id - b.id)
      const perPage = Math.min(100, Number(query.get('per_page') ?? 30))
      const page = Number(query.get('page') ?? 1)
      const next: Record<string, string> =
        page * perPage < all.length
          ? {
              link: `<${origin}${issues}/${onIssue[1]}/comments?per_page=${perPage}&page=${page + 1}>; rel="next"`
            }
          : {}
      return answer(200, all.slice((page - 1) * perPage, page * perPage), next)
    }
    if (path.startsWith(issues) && onIssue && method === 'POST') {
      const id = nextId++
      const comment: StandInComment = {
        id,
        issue_number: Number(onIssue[1]),
        body: (JSON.parse(raw.toString('utf8')) as { body: string }).body,
        html_url: `https://github.example/${o.repo}/pull/${onIssue[1]}#issuecomment-${id}`,
        user: { login: 'github-actions[bot]', type: 'Bot' }
      }
      comments.set(id, comment)
      return answer(201, comment)
    }
    const commentById = /^\/comments\/(\d+)$/.exec(path.slice(issues.length))
    if (path.startsWith(issues) && commentById) {
      const comment = comments.get(Number(commentById[1]))
      if (!comment) return false
      if (method === 'PATCH') {
        comment.body = (JSON.parse(raw.toString('utf8')) as { body: string }).body
        return answer(200, comment)
      }
      if (method === 'DELETE') {
        comments.delete(comment.id)
        return noContent()
      }
    }
    return false
  }

  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  const origin = `http://127.0.0.1:${port}`
  apiUrl = `${origin}/api/v3`
  return {
    apiUrl,
    requests,
    releases,
    assets,
    comments,
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
