/**
 * Pinned set → wheelhouse (src/fetch/), the same code for every lock format, against real servers
 * on 127.0.0.1 shaped like the networks runners sit on: an index reachable only through a forward
 * proxy, one that closes every connection, one that stalls mid-body, one that answers 500, `file:`
 * indexes (pages, and a plain folder of wheels), a lock whose host is unreachable with `index-url`
 * set, index pages naming `../` files. The pinned sets come from the lock fixtures (each in its
 * tool's real format, see __tests__/fixtures/locks/README.md) through helpers/pinned.ts.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { existsSync, promises as fs } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { HttpClient } from '../../src/http'
import { type HttpTimeouts } from '../../src/http-failures'
import type { FetchOptions } from '../../src/fetch/fetch'
import { FetchError, HashMismatchError } from '../../src/fetch/files'
import { IndexPageError } from '../../src/python/index-page'
import type { PinnedSet } from '../../src/resolve/pinned'
import { findRuntime, type Runtime } from '../../src/runtimes'
import type { Target } from '../../src/python/wheel-tags'
import { makeIndex, makeWheel, type BuiltWheel } from '../helpers/wheels'
import {
  LOCK_KINDS,
  LOCKED_WHEELS,
  PROJECT_WHEELS,
  factsOf,
  type FileFacts,
  type LockKind
} from '../helpers/lock-fixtures'
import { fetchPinned, pinnedLock } from '../helpers/pinned'
import {
  serveClosingIndex,
  serveFailingIndex,
  serveShapedIndex,
  serveStallingIndex,
  type ShapedIndex
} from '../helpers/index-servers'
import { startRecordingProxy } from '../helpers/recording-proxy'
import { captureLog, type CapturedLog } from '../helpers/log'
import { backendWheels, makeSourceDist } from '../helpers/sdists'
import { hermeticPipEnv } from '../helpers/pip-env'
import { writeRecord } from '../../src/fetch/record'

const FAST: Partial<HttpTimeouts> = {
  stallMs: 200,
  connectMs: 500,
  deadlineMs: 4_000,
  backoffMs: 10
}
const target: Target = { runtime: findRuntime('3.12') as Runtime, architecture: 'x86_64' }

let tmp: string
let built: BuiltWheel[]
let facts: Map<string, FileFacts>
let indexRoot: string
let log: CapturedLog
const servers: ShapedIndex[] = []
let counter = 0

before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'layer-fetch-'))
  built = await Promise.all(PROJECT_WHEELS.map(w => makeWheel(path.join(tmp, 'built'), w)))
  facts = await factsOf(built.map(b => b.path))
  indexRoot = path.join(tmp, 'index')
  await makeIndex(indexRoot, built)
  log = captureLog()
})

after(async () => {
  log.restore()
  await Promise.all(servers.map(s => s.close()))
  await fs.rm(tmp, { recursive: true, force: true })
})

async function serve(s: Promise<ShapedIndex>): Promise<ShapedIndex> {
  const server = await s
  servers.push(server)
  return server
}

const extraWheel = () => built.find(b => b.filename.startsWith('extrapkg'))?.path

/** The lock of `kind` whose index and file URLs are `index` and `files`. */
async function lockOf(kind: LockKind, index: string, files = index.replace(/simple\/$/, 'files/')) {
  const dir = path.join(tmp, 'projects', `${kind}-${++counter}`)
  return pinnedLock(kind, { dir, index, filesUrl: files, facts, target, extraWheel: extraWheel() })
}

async function fetchInto(
  pinned: PinnedSet,
  o: Partial<FetchOptions> & { env?: NodeJS.ProcessEnv; timeouts?: Partial<HttpTimeouts> } = {}
) {
  const { env, timeouts, ...rest } = o
  return fetchPinned(pinned, {
    dir: path.join(tmp, 'wheelhouses', String(++counter)),
    target,
    http: { env: env ?? {}, timeouts: timeouts ?? FAST },
    ...rest
  })
}

const names = (w: { wheels: readonly { file: string }[] }) =>
  w.wheels.map(x => path.basename(x.file)).sort()
const sha = async (file: string) =>
  createHash('sha256')
    .update(await fs.readFile(file))
    .digest('hex')

async function closedPort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise<void>(resolve => server.close(() => resolve()))
  return port
}

test('every lock format through an index that only a forward proxy reaches (HTTP_PROXY): the locked files, every hash checked', async () => {
  const proxy = await startRecordingProxy()
  const index = await serve(serveShapedIndex(indexRoot, { onlyFrom: proxy.sourceAddress }))
  try {
    for (const kind of LOCK_KINDS) {
      const { pinned } = await lockOf(kind, index.plainUrl)
      const house = await fetchInto(pinned, { env: { HTTP_PROXY: proxy.url } })
      assert.deepEqual(names(house), LOCKED_WHEELS, kind)
      for (const w of house.wheels) {
        assert.equal(await sha(w.file), w.sha256)
        assert.equal(w.sha256, facts.get(path.basename(w.file))?.sha256)
        assert.equal(w.origin, 'lock')
      }
    }
    assert.equal(index.refused, 0, 'nothing went around the proxy')
    assert.ok(
      index.requests.length > 0 && index.requests.every(r => r.from === proxy.sourceAddress)
    )
    assert.ok(proxy.requests.length > 0)
    // without the proxy the same index is out of reach: the proxy really was the only road
    const { pinned } = await lockOf('uv', index.plainUrl)
    await assert.rejects(fetchInto(pinned, { timeouts: { ...FAST, attempts: 1 } }), FetchError)
    assert.ok(index.refused > 0)
  } finally {
    await proxy.close()
  }
})

test('every lock format from an index that closes every connection (HTTP/1.0, no Content-Length)', async () => {
  const index = await serve(serveClosingIndex(indexRoot))
  for (const kind of LOCK_KINDS) {
    const { pinned } = await lockOf(kind, index.plainUrl)
    const house = await fetchInto(pinned)
    assert.deepEqual(names(house), LOCKED_WHEELS, kind)
  }
  assert.ok(index.connections >= index.requests.length, 'one connection per answer')
})

test('a server that stalls mid-body: the fetch fails naming the file and the URL, after a bounded number of attempts', async () => {
  const index = await serve(
    serveStallingIndex(indexRoot, /fastpkg-2\.0-cp312-cp312-manylinux_2_28/)
  )
  const { pinned } = await lockOf('uv', index.plainUrl)
  await assert.rejects(fetchInto(pinned), (e: unknown) => {
    assert.ok(e instanceof FetchError, String(e))
    assert.match(
      e.message,
      /fastpkg-2\.0-cp312-cp312-manylinux_2_28_x86_64\.whl \(fastpkg 2\.0, from the lock\)/
    )
    assert.match(
      e.message,
      new RegExp(`${index.origin}/files/fastpkg-2\\.0-cp312-cp312-manylinux_2_28_x86_64\\.whl`)
    )
    assert.match(e.message, /stopped sending \(no byte for 0\.2 s\)/)
    return true
  })
  const tries = index.requests.filter(r => r.path.includes('manylinux_2_28')).length
  assert.ok(tries >= 2 && tries <= 5, `${tries} attempts`)
})

test('an index that answers 500: the error says HTTP 500 and names the URL, for a page (Pipfile.lock, Poetry) and for a file (uv)', async () => {
  const index = await serve(serveFailingIndex(indexRoot, /plainpkg/))
  for (const kind of ['pipfile', 'poetry', 'uv'] as const) {
    const { pinned } = await lockOf(kind, index.plainUrl)
    await assert.rejects(fetchInto(pinned), (e: unknown) => {
      assert.ok(e instanceof Error)
      assert.match(e.message, /HTTP 500/, kind)
      assert.match(e.message, new RegExp(`${index.origin}/(simple|files)/plainpkg`), kind)
      assert.doesNotMatch(e.message, /no compatible wheel|no wheel/i)
      return true
    })
  }
})

test('file: indexes with every lock format: a tree of pages, and a plain folder of wheels (no index.html) as index-url', async () => {
  const pages = pathToFileURL(path.join(indexRoot, 'simple')).href + '/'
  const files = pathToFileURL(path.join(indexRoot, 'files')).href + '/'
  const flat = path.join(tmp, 'flat')
  await fs.mkdir(flat, { recursive: true })
  for (const b of built) await fs.copyFile(b.path, path.join(flat, b.filename))
  const unreachable = `http://127.0.0.1:${await closedPort()}/simple/`
  for (const kind of LOCK_KINDS) {
    const { pinned } = await lockOf(kind, pages, files)
    assert.deepEqual(names(await fetchInto(pinned)), LOCKED_WHEELS, `${kind}, file: pages`)
    // the lock points at a host the runner cannot reach; the folder of wheels is the mirror
    const away = await lockOf(kind, unreachable)
    const house = await fetchInto(away.pinned, {
      mirror: { url: pathToFileURL(flat).href, label: 'index-url' }
    })
    assert.deepEqual(names(house), LOCKED_WHEELS, `${kind}, flat folder as index-url`)
  }
})

test('a lock whose URLs point at an unreachable host: with index-url set the files come from it by name and hash, and the lock host is never asked', async () => {
  const mirror = await serve(
    serveShapedIndex(indexRoot, { auth: { username: 'ci', password: 'm1rror-pass' } })
  )
  const dead = `http://127.0.0.1:${await closedPort()}/simple/`
  const client = new HttpClient({
    env: {},
    credentials: [mirror.url],
    timeouts: FAST,
    sleep: async () => {}
  })
  try {
    for (const kind of LOCK_KINDS) {
      const { pinned } = await lockOf(kind, dead)
      const house = await fetchInto(pinned, {
        client,
        mirror: { url: mirror.url, label: 'index-url' }
      })
      assert.deepEqual(names(house), LOCKED_WHEELS, kind)
    }
  } finally {
    await client.close()
  }
  // the order: a live lock host gets no request at all when index-url is set
  const other = await serve(serveShapedIndex(indexRoot))
  const { pinned } = await lockOf('uv', other.plainUrl)
  const mirrorClient = new HttpClient({ env: {}, credentials: [mirror.url], timeouts: FAST })
  try {
    await fetchInto(pinned, {
      client: mirrorClient,
      mirror: { url: mirror.url, label: 'index-url' }
    })
  } finally {
    await mirrorClient.close()
  }
  assert.equal(other.requests.length, 0)
  // without index-url: the error names the unreachable URL and says what to set
  const { pinned: away } = await lockOf('uv', dead)
  await assert.rejects(fetchInto(away, { timeouts: { ...FAST, attempts: 2 } }), (e: unknown) => {
    assert.ok(e instanceof FetchError)
    assert.match(e.message, /connection refused/)
    assert.match(e.message, /set index-url/)
    return true
  })
})

test('the files URL unreachable but the lock names a reachable index: found there by name', async () => {
  const index = await serve(serveShapedIndex(indexRoot))
  const dead = `http://127.0.0.1:${await closedPort()}/files/`
  // pylock.toml records the index beside each URL, uv.lock as each package's source.registry
  for (const kind of ['pylock', 'uv'] as const) {
    const { pinned } = await lockOf(kind, index.plainUrl, dead)
    const house = await fetchInto(pinned, { timeouts: { ...FAST, attempts: 2 } })
    assert.deepEqual(names(house), LOCKED_WHEELS, kind)
  }
})

test('index pages naming `../` or `..%2F` files: an error naming the page and the entry, nothing written outside', async () => {
  for (const [label, href] of [
    ['../', '../../files/..%2F..%2Fescaped-1.0-py3-none-any.whl'],
    ['..%2F', '../../files/%2E%2E%2Fescaped-1.0-py3-none-any.whl'],
    ['..%252F', '../../files/..%252Fescaped-1.0-py3-none-any.whl']
  ]) {
    const root = path.join(tmp, `hostile-${++counter}`)
    await makeIndex(root, built)
    const page = path.join(root, 'simple', 'plainpkg', 'index.html')
    await fs.writeFile(
      page,
      `<html><body><a href="${href}#sha256=${'0'.repeat(64)}">x</a></body></html>`
    )
    const index = await serve(serveShapedIndex(root))
    for (const kind of ['pipfile', 'poetry'] as const) {
      const { pinned } = await lockOf(kind, index.plainUrl)
      const dir = path.join(tmp, 'hostile-house', String(++counter))
      await assert.rejects(fetchInto(pinned, { dir }), (e: unknown) => {
        assert.ok(e instanceof IndexPageError, `${label} ${kind}: ${String(e)}`)
        assert.match(e.message, new RegExp(`${index.origin}/simple/plainpkg/`))
        assert.ok(e.message.includes(href), e.message)
        return true
      })
      assert.ok(!existsSync(path.join(dir, '..', 'escaped-1.0-py3-none-any.whl')))
      assert.ok(!existsSync(path.join(tmp, 'escaped-1.0-py3-none-any.whl')))
    }
  }
})

test('a wheelhouse that holds every pinned file needs no network: a second fetch reuses them all; a corrupted one is fetched again', async () => {
  const index = await serve(serveShapedIndex(indexRoot))
  const dir = path.join(tmp, 'reuse')
  for (const kind of LOCK_KINDS) {
    const { pinned } = await lockOf(kind, index.plainUrl)
    await fetchInto(pinned, { dir })
    const asked = index.requests.length
    const again = await fetchInto(pinned, { dir })
    assert.ok(
      again.wheels.every(w => w.reused),
      kind
    )
    assert.equal(index.requests.length, asked, `${kind}: no request at all`)
  }
  const { pinned } = await lockOf('uv', index.plainUrl)
  await fs.writeFile(path.join(dir, 'plainpkg-1.0-py3-none-any.whl'), 'not a wheel')
  const repaired = await fetchInto(pinned, { dir })
  const plain = repaired.wheels.find(w => w.name === 'plainpkg')
  assert.equal(plain?.reused, false)
  assert.equal(plain?.sha256, facts.get('plainpkg-1.0-py3-none-any.whl')?.sha256)
})

test('a file whose bytes changed after locking fails by name with both hashes; nothing takes its name', async () => {
  const root = path.join(tmp, 'tampered')
  const swapped = await makeWheel(path.join(tmp, 'swapped'), {
    name: 'plainpkg',
    version: '1.0',
    tags: 'py3-none-any',
    modules: { 'plainpkg/__init__.py': 'import os  # not what was locked\n' }
  })
  await makeIndex(root, [...built.filter(b => b.filename !== swapped.filename), swapped])
  const index = await serve(serveShapedIndex(root))
  for (const kind of LOCK_KINDS) {
    const { pinned } = await lockOf(kind, index.plainUrl)
    const dir = path.join(tmp, 'tampered-house', kind)
    await assert.rejects(fetchInto(pinned, { dir }), (e: unknown) => {
      assert.ok(e instanceof HashMismatchError || e instanceof FetchError, `${kind}: ${String(e)}`)
      assert.match(e.message, /plainpkg-1\.0-py3-none-any\.whl/)
      return true
    })
    assert.ok(!existsSync(path.join(dir, 'plainpkg-1.0-py3-none-any.whl')), kind)
  }
})

test('a locked sdist is built into a pure wheel (build-sdists: pure); the next fetch reuses that build without pip; never refuses it; a compiled one is refused', async t => {
  const backends = await backendWheels()
  if ('missing' in backends) {
    t.skip(`this machine's mirror lacks the build backends (${backends.missing.join(', ')})`)
    return
  }
  const root = path.join(tmp, 'sdist-index')
  const sdists = path.join(tmp, 'sdists')
  const pure = await makeSourceDist(sdists, {
    name: 'sdpure',
    version: '1.0',
    backend: 'setuptools'
  })
  const compiled = await makeSourceDist(sdists, {
    name: 'cext',
    version: '0.3',
    backend: 'setuptools',
    cExtension: true
  })
  await makeIndex(root, [...backends.files, pure, compiled])
  const index = await serve(serveShapedIndex(root))
  const entry = async (file: string, name: string, version: string) => ({
    name,
    version,
    artifact: {
      kind: 'file' as const,
      filename: path.basename(file),
      url: `${index.origin}/files/${path.basename(file)}`,
      hashes: { sha256: [await sha(file)] }
    },
    requiredBy: [],
    dependencies: []
  })
  const set = (e: PinnedSet['entries'][number]): PinnedSet => ({
    entries: [e],
    skipped: [],
    summary: ''
  })
  const dir = path.join(tmp, 'sdist-house')
  const build = { python: 'python3', env: hermeticPipEnv(), indexUrl: index.plainUrl }
  const first = await fetchInto(set(await entry(pure, 'sdpure', '1.0')), { dir, build })
  const [wheel] = first.wheels
  assert.match(path.basename(wheel.file), /^sdpure-1\.0-py3-none-any\.whl$/)
  assert.deepEqual(
    [wheel.origin, wheel.builtFrom, wheel.sourceSha256],
    ['sdist', 'sdpure-1.0.tar.gz', await sha(pure)]
  )
  await writeRecord(first, 'k')
  // no interpreter at all: a build would fail, reuse does not need one
  const again = await fetchInto(set(await entry(pure, 'sdpure', '1.0')), {
    dir,
    build: { python: path.join(tmp, 'no-such-python') }
  })
  assert.deepEqual([again.wheels[0].reused, again.wheels[0].sha256], [true, wheel.sha256])
  await assert.rejects(
    fetchInto(set(await entry(pure, 'sdpure', '1.0')), { buildSdists: 'never', build }),
    /sdpure 1\.0 .* only a source distribution \(sdpure-1\.0\.tar\.gz\), and build-sdists is 'never'/
  )
  await assert.rejects(
    fetchInto(set(await entry(compiled, 'cext', '0.3')), { build }),
    /cext .*needs a compiler/
  )
})
