/**
 * The one HTTP client (src/http.ts) against real servers on 127.0.0.1 shaped like the networks
 * runners sit on (__tests__/helpers/index-servers.ts, recording-proxy.ts): an index that closes
 * every connection, one that stalls mid-body, one that answers 500 (always, or a few times), one
 * reachable only through a forward proxy. Timeouts are injected (a fifth of a second, not 30 s).
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import { promises as fs } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { HttpClient } from '../../src/http'
import { HttpError, type HttpTimeouts } from '../../src/http-failures'
import {
  serveClosingIndex,
  serveFailingIndex,
  serveShapedIndex,
  serveStallingIndex,
  type ShapedIndex
} from '../helpers/index-servers'
import { startRecordingProxy, type RecordingProxy } from '../helpers/recording-proxy'

// undici checks its body timeout about once a second: a stall is noticed within ~1 s here
const FAST: Partial<HttpTimeouts> = {
  stallMs: 200,
  connectMs: 200,
  deadlineMs: 4_000,
  backoffMs: 10
}
let tmp: string
let root: string
const blobs = new Map<string, Buffer>()
const servers: ShapedIndex[] = []
let proxy: RecordingProxy

const serve = async (s: Promise<ShapedIndex>): Promise<ShapedIndex> => {
  const server = await s
  servers.push(server)
  return server
}

before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'layer-http-'))
  root = path.join(tmp, 'root')
  await fs.mkdir(path.join(root, 'files'), { recursive: true })
  await fs.mkdir(path.join(root, 'simple', 'pkg'), { recursive: true })
  for (const [name, size] of [
    ['small.bin', 1_000],
    ['big.bin', 3 * 1024 * 1024]
  ] as const) {
    const data = randomBytes(size)
    blobs.set(name, data)
    await fs.writeFile(path.join(root, 'files', name), data)
  }
  await fs.writeFile(
    path.join(root, 'simple', 'pkg', 'index.html'),
    '<a href="../../files/small.bin">small.bin</a>'
  )
  proxy = await startRecordingProxy()
})

after(async () => {
  await Promise.all(servers.map(s => s.close()))
  await proxy.close()
  await fs.rm(tmp, { recursive: true, force: true })
})

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex')

test('a server that closes every connection (HTTP/1.0, no Content-Length): 40 downloads, every byte, no crash', async () => {
  const index = await serve(serveClosingIndex(root))
  const client = new HttpClient({ timeouts: FAST })
  try {
    const jobs = Array.from({ length: 40 }, async (_, i) => {
      const name = i % 4 === 0 ? 'big.bin' : 'small.bin'
      const file = path.join(tmp, `closing-${i}`)
      const hash = createHash('sha256')
      const r = await client.download(`${index.origin}/files/${name}`, file, {
        onData: c => hash.update(c)
      })
      assert.equal(r.status, 200)
      assert.equal(hash.digest('hex'), sha(blobs.get(name) as Buffer))
      assert.equal(sha(await fs.readFile(file)), sha(blobs.get(name) as Buffer))
    })
    await Promise.all(jobs)
    const page = await client.get(`${index.plainUrl}pkg/`)
    assert.match(page.body.toString(), /small\.bin/)
    assert.ok(index.connections >= 41, `one connection per answer (${index.connections})`)
  } finally {
    await client.close()
  }
})

test('a server that stalls mid-body: the download fails naming the URL and the stall, after a bounded number of attempts', async () => {
  const index = await serve(serveStallingIndex(root, /big\.bin/))
  const client = new HttpClient({ timeouts: FAST, sleep: async () => {} })
  const url = `${index.origin}/files/big.bin`
  try {
    await assert.rejects(client.download(url, path.join(tmp, 'stalled')), (e: unknown) => {
      assert.ok(e instanceof HttpError, String(e))
      assert.equal(e.failure, 'stalled')
      assert.equal(e.url, url)
      assert.match(e.message, new RegExp(`Could not download ${url.replace(/[.]/g, '\\.')}`))
      assert.match(e.message, /stopped sending \(no byte for 0\.2 s\)/)
      return true
    })
    const asked = index.requests.filter(r => r.path === '/files/big.bin')
    assert.ok(asked.length >= 2 && asked.length <= 5, `retried, then gave up (${asked.length})`)
    // the retries resumed where the body broke off
    assert.ok(asked.slice(1).every(r => /^bytes=\d+-/.test(r.headers.range ?? '')))
  } finally {
    await client.close()
  }
})

test('an index that answers 500: retried with backoff, then an error that says HTTP 500 and names the URL', async () => {
  const index = await serve(serveFailingIndex(root, /\/simple\//))
  const pauses: number[] = []
  const client = new HttpClient({
    timeouts: { ...FAST, attempts: 4 },
    sleep: async ms => void pauses.push(ms)
  })
  try {
    await assert.rejects(client.get(`${index.plainUrl}pkg/`), (e: unknown) => {
      assert.ok(e instanceof HttpError)
      assert.equal(e.status, 500)
      assert.equal(e.failure, 'status')
      assert.match(e.message, /simple\/pkg\/ after 4 attempts .*: HTTP 500/)
      return true
    })
    assert.equal(index.requests.length, 4)
    assert.deepEqual(pauses, [10, 20, 40], 'doubling backoff, through the injected sleep')
  } finally {
    await client.close()
  }
})

test('500 twice then the file; 429 waits as Retry-After says; 404 is not retried', async () => {
  const flaky = await serve(serveShapedIndex(root, { fail: /small/, failTimes: 2 }))
  const busy = await serve(
    serveShapedIndex(root, {
      fail: /small/,
      failStatus: 429,
      failTimes: 1,
      failHeaders: { 'Retry-After': '0.05' }
    })
  )
  const pauses: number[] = []
  const client = new HttpClient({ timeouts: FAST, sleep: async ms => void pauses.push(ms) })
  try {
    const r = await client.get(`${flaky.origin}/files/small.bin`)
    assert.equal(sha(r.body), sha(blobs.get('small.bin') as Buffer))
    assert.equal(flaky.requests.length, 3)
    pauses.length = 0
    await client.get(`${busy.origin}/files/small.bin`)
    assert.deepEqual(pauses, [50], 'Retry-After (seconds) honoured')
    await assert.rejects(client.get(`${flaky.origin}/files/none.bin`), (e: unknown) => {
      assert.ok(e instanceof HttpError)
      assert.equal(e.status, 404)
      assert.match(e.message, /files\/none\.bin answered HTTP 404/)
      return true
    })
    assert.equal(flaky.requests.filter(q => q.path === '/files/none.bin').length, 1)
  } finally {
    await client.close()
  }
})

test('an index reachable only through a forward proxy: HTTP_PROXY and http_proxy are used as pip uses them, NO_PROXY is honoured', async () => {
  const index = await serve(serveShapedIndex(root, { onlyFrom: proxy.sourceAddress }))
  const url = `${index.origin}/files/small.bin`
  const direct = new HttpClient({
    env: {},
    timeouts: { ...FAST, attempts: 2 },
    sleep: async () => {}
  })
  const proxied = new HttpClient({ env: { HTTP_PROXY: proxy.url }, timeouts: FAST })
  const lower = new HttpClient({
    env: { http_proxy: proxy.url, HTTP_PROXY: 'http://127.0.0.1:9/' },
    timeouts: FAST
  })
  const bypass = new HttpClient({
    env: { HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.0/8' },
    timeouts: { ...FAST, attempts: 1 }
  })
  try {
    await assert.rejects(direct.get(url), HttpError, 'the index refuses anyone but the proxy')
    const before = proxy.requests.length
    assert.equal(sha((await proxied.get(url)).body), sha(blobs.get('small.bin') as Buffer))
    assert.equal(sha((await lower.get(url)).body), sha(blobs.get('small.bin') as Buffer))
    assert.ok(proxy.requests.length > before, 'carried by the proxy')
    assert.ok(
      proxy.requests
        .slice(before)
        .every(r => r.target.includes(index.origin.replace('http://', ''))),
      JSON.stringify(proxy.requests)
    )
    await assert.rejects(
      bypass.get(url),
      (e: unknown) => e instanceof HttpError && !/through the proxy/.test(e.message)
    )
  } finally {
    await Promise.all([direct, proxied, lower, bypass].map(c => c.close()))
  }
})

test("a proxy that wants credentials: without them the error says 407 and where to put them (not undici's words); with them the download goes through", async () => {
  const guarded = await startRecordingProxy({ credentials: 'runner:pr0xy-pass' })
  const index = await serve(serveShapedIndex(root, { onlyFrom: guarded.sourceAddress }))
  const url = `${index.origin}/files/small.bin`
  const without = new HttpClient({
    env: { HTTP_PROXY: guarded.url },
    timeouts: FAST,
    sleep: async () => {}
  })
  const withCredentials = new HttpClient({
    env: { HTTP_PROXY: guarded.url.replace('http://', 'http://runner:pr0xy-pass@') },
    timeouts: FAST
  })
  try {
    await assert.rejects(without.get(url), (e: unknown) => {
      assert.ok(e instanceof HttpError)
      assert.equal(e.failure, 'proxy')
      assert.match(e.message, /through the proxy http:\/\/127\.0\.0\.1:\d+/)
      assert.match(
        e.message,
        /the proxy asks for credentials \(HTTP 407 Proxy Authentication Required\): put them in the proxy URL/
      )
      assert.doesNotMatch(e.message, /!== 200 when HTTP Tunneling/)
      return true
    })
    assert.equal(sha((await withCredentials.get(url)).body), sha(blobs.get('small.bin') as Buffer))
  } finally {
    await Promise.all([without.close(), withCredentials.close(), guarded.close()])
  }
})

test("the index's credentials go to its own host only (not across a redirect), never into a message", async () => {
  const index = await serve(
    serveShapedIndex(root, { auth: { username: 'ci', password: 'pa55-word' } })
  )
  const other = await serve(serveShapedIndex(root))
  const client = new HttpClient({ credentials: [index.url], timeouts: FAST })
  try {
    // a URL without user-info (as a lock records it) gets the index's credentials on the index's host
    assert.equal((await client.get(`${index.origin}/files/small.bin`)).status, 200)
    await client.get(`${other.origin}/files/small.bin`)
    assert.ok(other.requests.every(r => r.headers.authorization === undefined))
    // a redirect to another host (a CDN) follows without the credentials
    const cdn = await serve(serveShapedIndex(root))
    const redirecting = await serve(
      serveShapedIndex(root, {
        auth: { username: 'ci', password: 'pa55-word' },
        redirect: { paths: /big/, to: cdn.origin }
      })
    )
    const viaCdn = new HttpClient({ credentials: [redirecting.url], timeouts: FAST })
    try {
      const r = await viaCdn.get(`${redirecting.origin}/files/big.bin`)
      assert.equal(sha(r.body), sha(blobs.get('big.bin') as Buffer))
    } finally {
      await viaCdn.close()
    }
    assert.equal(redirecting.requests[0].headers.authorization?.startsWith('Basic '), true)
    assert.deepEqual(
      cdn.requests.map(q => [q.path, q.headers.authorization]),
      [['/files/big.bin', undefined]]
    )
    await assert.rejects(client.get(`${index.origin}/files/none.bin`), (e: unknown) => {
      assert.ok(e instanceof Error)
      assert.doesNotMatch(e.message, /pa55-word/)
      return true
    })
  } finally {
    await client.close()
  }
})

test('a Range request answers 206 with the bytes asked for; file: URLs answer like a server', async () => {
  const index = await serve(serveShapedIndex(root))
  const client = new HttpClient({ timeouts: FAST })
  const big = blobs.get('big.bin') as Buffer
  try {
    const r = await client.get(`${index.origin}/files/big.bin`, { range: { start: 100, end: 199 } })
    assert.equal(r.status, 206)
    assert.deepEqual(r.body, big.subarray(100, 200))
    const local = pathToFileURL(path.join(root, 'files', 'big.bin')).href
    const tail = await client.get(local, { range: { start: big.length - 10 } })
    assert.deepEqual(tail.body, big.subarray(big.length - 10))
    await assert.rejects(
      client.get(`${local}.missing`),
      (e: unknown) => e instanceof HttpError && e.status === 404
    )
  } finally {
    await client.close()
  }
})

/**
 * A private CA in `dir` (ca.pem), a server certificate it signed for 127.0.0.1 (server.pem,
 * server.key), and a client's key and certificate it signed, in one PEM file as pip's --client-cert
 * takes it (client.pem).
 */
async function privateCa(dir: string): Promise<string> {
  await fs.mkdir(dir, { recursive: true })
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' })
  run([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=corp test CA'
  ])
  await fs.writeFile(path.join(dir, 'san.ext'), 'subjectAltName = IP:127.0.0.1\n')
  for (const [name, cn, ext] of [
    ['server', '/CN=127.0.0.1', ['-extfile', 'san.ext']],
    ['client', '/CN=runner', []]
  ] as const) {
    run([
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      cn
    ])
    run([
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '2',
      ...ext
    ])
  }
  const client = await Promise.all(
    ['client.key', 'client.pem'].map(f => fs.readFile(path.join(dir, f), 'utf8'))
  )
  await fs.writeFile(path.join(dir, 'client.pem'), client.join(''))
  return dir
}

test("an https index signed by a private CA (a TLS-intercepting proxy's): trusted through REQUESTS_CA_BUNDLE as pip trusts it, also through HTTPS_PROXY, and through NODE_EXTRA_CA_CERTS beside a bundle pip reads; refused without, naming the URL", async () => {
  const dir = await privateCa(path.join(tmp, 'tls'))
  const small = blobs.get('small.bin') as Buffer
  const server = https.createServer(
    {
      key: await fs.readFile(path.join(dir, 'server.key')),
      cert: await fs.readFile(path.join(dir, 'server.pem'))
    },
    (_req, res) => res.writeHead(200, { 'content-length': small.length }).end(small)
  )
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/files/small.bin`
  const ca = path.join(dir, 'ca.pem')
  const trusting = new HttpClient({ env: { REQUESTS_CA_BUNDLE: ca }, timeouts: FAST })
  const tunnelled = new HttpClient({
    env: { HTTPS_PROXY: proxy.url, PIP_CERT: ca },
    timeouts: FAST
  })
  const plain = new HttpClient({ env: {}, timeouts: FAST })
  // a runner whose pip trusts the system bundle, and whose job adds its CA for Node
  const extra = new HttpClient({
    env: { SSL_CERT_FILE: '/etc/ssl/certs/ca-certificates.crt', NODE_EXTRA_CA_CERTS: ca },
    timeouts: FAST
  })
  try {
    assert.equal(sha((await trusting.get(url)).body), sha(small))
    assert.equal(sha((await extra.get(url)).body), sha(small), 'NODE_EXTRA_CA_CERTS kept')
    const before = proxy.requests.length
    assert.equal(sha((await tunnelled.get(url)).body), sha(small))
    assert.deepEqual(
      proxy.requests.slice(before).map(r => r.method),
      ['CONNECT']
    )
    await assert.rejects(plain.get(url), (e: unknown) => {
      assert.ok(e instanceof HttpError)
      assert.match(
        e.message,
        new RegExp(`Could not download ${url.replace(/[.]/g, '\\.')}: .*certificate`, 'i')
      )
      // what to do about it, not only Node's words
      assert.match(
        e.message,
        /the server's certificate is not trusted \(.+\): behind a TLS-intercepting proxy or with a private CA, name the CA's PEM bundle as pip reads it: REQUESTS_CA_BUNDLE/
      )
      return true
    })
  } finally {
    await Promise.all([trusting, tunnelled, plain, extra].map(c => c.close()))
    server.closeAllConnections()
    await new Promise<void>(resolve => server.close(() => resolve()))
  }
})

test("pip's --cert and --client-cert (PipNetwork) reach the TLS handshake as pip's session presents them: --cert trusted, REQUESTS_CA_BUNDLE before it unless pip's --proxy turned the environment off, the client certificate to a server that demands one", async () => {
  const dir = await privateCa(path.join(tmp, 'tls-pip'))
  const read = (f: string) => fs.readFile(path.join(dir, f))
  const small = blobs.get('small.bin') as Buffer
  const server = https.createServer(
    {
      key: await read('server.key'),
      cert: await read('server.pem'),
      // a server that takes only clients its CA signed
      ca: await read('ca.pem'),
      requestCert: true,
      rejectUnauthorized: true
    },
    (_req, res) => res.writeHead(200, { 'content-length': small.length }).end(small)
  )
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/files/small.bin`
  const ca = path.join(dir, 'ca.pem')
  const clientCert = path.join(dir, 'client.pem')
  const system = '/etc/ssl/certs/ca-certificates.crt'
  const clients = {
    pip: new HttpClient({ env: {}, pip: { cert: ca, clientCert }, timeouts: FAST }),
    // requests reads REQUESTS_CA_BUNDLE before the session's verify while it trusts the environment
    requestsFirst: new HttpClient({
      env: { REQUESTS_CA_BUNDLE: system },
      pip: { cert: ca, clientCert },
      timeouts: FAST
    }),
    // a --proxy turns trust_env off (pip 24.1+): the environment's bundle and proxies are not read
    proxied: new HttpClient({
      env: { REQUESTS_CA_BUNDLE: system, HTTPS_PROXY: 'http://127.0.0.1:9' },
      pip: { proxy: proxy.url, cert: ca, clientCert },
      timeouts: FAST
    }),
    noClientCert: new HttpClient({ env: {}, pip: { cert: ca }, timeouts: FAST })
  }
  try {
    assert.equal(sha((await clients.pip.get(url)).body), sha(small))
    const before = proxy.requests.length
    assert.equal(sha((await clients.proxied.get(url)).body), sha(small))
    assert.deepEqual(
      proxy.requests.slice(before).map(r => r.method),
      ['CONNECT']
    )
    await assert.rejects(clients.requestsFirst.get(url), (e: unknown) => {
      assert.ok(e instanceof HttpError)
      assert.match(e.message, /certificate/i)
      return true
    })
    // the server refuses a client without a certificate
    await assert.rejects(clients.noClientCert.get(url), (e: unknown) => e instanceof HttpError)
  } finally {
    await Promise.all(Object.values(clients).map(c => c.close()))
    server.closeAllConnections()
    await new Promise<void>(resolve => server.close(() => resolve()))
  }
})
