/**
 * The Actions cache service (the v1 REST protocol @actions/cache speaks when ACTIONS_CACHE_URL is
 * set), kept in memory on 127.0.0.1: lookup by exact key then prefix (newest first), reserve, chunked
 * upload, commit, download. Enough to run real restoreCache/saveCache round trips.
 */
import * as http from 'node:http'
import type { AddressInfo } from 'node:net'

interface Entry {
  id: number
  key: string
  version: string
  chunks: { start: number; data: Buffer }[]
  size?: number
  /** the whole archive, put together once at commit as a real service stores one blob */
  archive?: Buffer
  created: number
}

export interface CacheServer {
  /** for ACTIONS_CACHE_URL (ends with /) */
  url: string
  /** the variables that point @actions/cache at this service (its v1 protocol), as a runner sets them */
  env: {
    ACTIONS_CACHE_URL: string
    ACTIONS_RUNTIME_TOKEN: string
    ACTIONS_CACHE_SERVICE_V2: string
  }
  entries(): { key: string; size?: number }[]
  /** how many reservations (save attempts that reached the service) were made */
  reservations: number
  /** how many lookups (restore attempts that reached the service) were made */
  lookups: number
  /** deletes an entry, as `gh cache delete <key>` does */
  remove(key: string): void
  /** while true, every chunk upload answers 500 (a fault injected: the service failing mid-save) */
  failUploads: boolean
  close(): Promise<void>
}

async function body(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

export async function startCacheServer(): Promise<CacheServer> {
  const entries: Entry[] = []
  let nextId = 1
  let clock = 0
  const state = { reservations: 0, lookups: 0, failUploads: false }
  const archive = (e: Entry): Buffer => {
    const out = Buffer.alloc(e.size ?? 0)
    for (const c of e.chunks) c.data.copy(out, c.start)
    return out
  }
  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x')
      const json = (status: number, value?: unknown): void => {
        res
          .writeHead(status, { 'Content-Type': 'application/json' })
          .end(value === undefined ? '' : JSON.stringify(value))
      }
      const committed = entries.filter(e => e.size !== undefined)
      if (req.method === 'GET' && url.pathname === '/_apis/artifactcache/cache') {
        state.lookups++
        const version = url.searchParams.get('version')
        const keys = (url.searchParams.get('keys') ?? '').split(',')
        const candidates = committed
          .filter(e => e.version === version)
          .sort((a, b) => b.created - a.created)
        for (const key of keys) {
          const hit =
            candidates.find(e => e.key === key) ?? candidates.find(e => e.key.startsWith(key))
          if (hit) {
            const { port } = server.address() as AddressInfo
            return json(200, {
              cacheKey: hit.key,
              scope: 'refs/heads/main',
              archiveLocation: `http://127.0.0.1:${port}/archives/${hit.id}`
            })
          }
        }
        return json(204)
      }
      if (req.method === 'GET' && url.pathname === '/_apis/artifactcache/caches')
        return json(200, { totalCount: 0 })
      if (req.method === 'POST' && url.pathname === '/_apis/artifactcache/caches') {
        state.reservations++
        const request = JSON.parse((await body(req)).toString()) as { key: string; version: string }
        if (entries.some(e => e.key === request.key && e.version === request.version)) {
          return json(409, {
            message: `Cache already exists. Scope: refs/heads/main, Key: ${request.key}`
          })
        }
        const entry: Entry = {
          id: nextId++,
          key: request.key,
          version: request.version,
          chunks: [],
          created: ++clock
        }
        entries.push(entry)
        return json(201, { cacheId: entry.id })
      }
      const byId = /^\/_apis\/artifactcache\/caches\/(\d+)$/.exec(url.pathname)
      const entry = byId ? entries.find(e => e.id === Number(byId[1])) : undefined
      if (byId && !entry) return json(404, { message: 'no such cache' })
      if (entry && req.method === 'PATCH') {
        if (state.failUploads) {
          await body(req)
          return json(500, { message: 'injected: the upload failed' })
        }
        const start = Number(/bytes (\d+)-/.exec(req.headers['content-range'] ?? '')?.[1] ?? 0)
        entry.chunks.push({ start, data: await body(req) })
        return json(204)
      }
      if (entry && req.method === 'POST') {
        entry.size = (JSON.parse((await body(req)).toString()) as { size: number }).size
        entry.archive = archive(entry)
        entry.chunks = []
        return json(204)
      }
      const download = /^\/archives\/(\d+)$/.exec(url.pathname)
      const stored = download ? committed.find(e => e.id === Number(download[1])) : undefined
      if (stored && req.method === 'GET') {
        const data = stored.archive ?? Buffer.alloc(0)
        res
          .writeHead(200, {
            'Content-Type': 'application/octet-stream',
            'Content-Length': data.length
          })
          .end(data)
        return
      }
      json(404, { message: `${req.method} ${url.pathname} is not part of this fake` })
    })()
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/`,
    env: {
      ACTIONS_CACHE_URL: `http://127.0.0.1:${port}/`,
      ACTIONS_RUNTIME_TOKEN: 'runtime-token',
      ACTIONS_CACHE_SERVICE_V2: ''
    },
    entries: () =>
      entries.filter(e => e.size !== undefined).map(e => ({ key: e.key, size: e.size })),
    get reservations() {
      return state.reservations
    },
    get lookups() {
      return state.lookups
    },
    get failUploads() {
      return state.failUploads
    },
    set failUploads(value: boolean) {
      state.failUploads = value
    },
    remove: (key: string) => {
      for (let i = entries.length - 1; i >= 0; i--) if (entries[i].key === key) entries.splice(i, 1)
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close(error => (error ? reject(error) : resolve()))
      })
  }
}
