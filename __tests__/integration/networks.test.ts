/**
 * The whole way down (inputs → plan → resolve → fetch, `wheelhouseFor` as run() calls it, real pip)
 * on networks shaped like the ones runners sit on, each a real server on 127.0.0.1: an index that
 * only a forward proxy reaches (requests from anywhere else are refused, so a request that bypasses
 * the proxy fails), and an index that closes every connection. requirements.txt and every lock
 * format; the lock fixtures are each tool's real format (__tests__/fixtures/locks/README.md).
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { promises as fs, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { getInputs } from '../../src/inputs'
import { makePlan } from '../../src/plan'
import { wheelhouseFor } from '../../src/main'
import { setInputs } from '../helpers/action'
import { hermeticPipEnv } from '../helpers/pip-env'
import { captureLog, type CapturedLog } from '../helpers/log'
import { makeIndex, makeWheel, type BuiltWheel } from '../helpers/wheels'
import {
  LOCK_FILES,
  LOCK_KINDS,
  LOCKED_WHEELS,
  PROJECT_WHEELS,
  factsOf,
  renderLock,
  type FileFacts,
  type LockKind
} from '../helpers/lock-fixtures'
import {
  serveClosingIndex,
  serveFailingIndex,
  serveShapedIndex,
  type ShapedIndex
} from '../helpers/index-servers'
import { startRecordingProxy, type RecordingProxy } from '../helpers/recording-proxy'

// pip picks the newest versions that fit python3.12 x86_64
const REQUIRED = [
  'depdep-1.1-py3-none-any.whl',
  'fastpkg-2.1-cp312-cp312-manylinux_2_28_x86_64.whl',
  'plainpkg-1.1-py3-none-any.whl'
]

let tmp: string
let built: BuiltWheel[]
let facts: Map<string, FileFacts>
let indexRoot: string
let proxy: RecordingProxy
let log: CapturedLog
const servers: ShapedIndex[] = []
const savedEnv = { ...process.env }
let counter = 0

before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'layer-networks-'))
  built = await Promise.all(PROJECT_WHEELS.map(w => makeWheel(path.join(tmp, 'built'), w)))
  facts = await factsOf(built.map(b => b.path))
  indexRoot = path.join(tmp, 'index')
  await makeIndex(indexRoot, built)
  proxy = await startRecordingProxy()
  // pip and the action's own client read the process environment: make it this test's alone
  for (const name of Object.keys(process.env)) delete process.env[name]
  Object.assign(process.env, hermeticPipEnv({ RUNNER_TEMP: path.join(tmp, 'runner') }))
  log = captureLog()
})

after(async () => {
  log.restore()
  for (const name of Object.keys(process.env)) delete process.env[name]
  Object.assign(process.env, savedEnv)
  await Promise.all(servers.map(s => s.close()))
  await proxy.close()
  await fs.rm(tmp, { recursive: true, force: true })
})

async function serve(s: Promise<ShapedIndex>): Promise<ShapedIndex> {
  const server = await s
  servers.push(server)
  return server
}

/** A workspace holding `requirements.txt`, or the lock of `kind` for `index`. */
async function workspace(kind: LockKind | 'requirements', index: ShapedIndex): Promise<string> {
  const dir = path.join(tmp, 'ws', `${kind}-${++counter}`)
  await fs.mkdir(path.join(dir, 'wheels'), { recursive: true })
  if (kind === 'requirements') {
    await fs.writeFile(path.join(dir, 'requirements.txt'), 'plainpkg\nfastpkg\n')
    return 'requirements.txt'
  }
  const text = renderLock(kind, {
    index: index.plainUrl,
    filesUrl: index.plainUrl.replace(/simple\/$/, 'files/'),
    facts
  })
  await fs.writeFile(path.join(dir, LOCK_FILES[kind]), text)
  const extra = built.find(b => b.filename.startsWith('extrapkg'))
  if (extra) await fs.copyFile(extra.path, path.join(dir, 'wheels', extra.filename))
  return LOCK_FILES[kind]
}

/** wheelhouseFor as run() calls it, with these inputs; the wheel file names. */
async function wheelsOf(
  kind: LockKind | 'requirements',
  index: ShapedIndex,
  runner?: string,
  more: Record<string, string> = {}
): Promise<string[]> {
  const requirements = await workspace(kind, index)
  // a fresh runner each time unless told: no wheelhouse left by the previous build
  process.env.RUNNER_TEMP = runner ?? path.join(tmp, 'runner', String(counter))
  const undo = setInputs({
    'layer-name': 'net',
    publish: 'false',
    cache: 'false',
    'python-version': '3.12',
    requirements,
    'index-url': index.plainUrl,
    ...(kind === 'pipfile'
      ? { groups: 'speedups' }
      : kind === 'requirements'
        ? {}
        : { extras: 'speedups' }),
    ...more
  })
  try {
    const inputs = getInputs({
      ...process.env,
      GITHUB_WORKSPACE: path.join(tmp, 'ws', `${kind}-${counter}`)
    })
    const plan = await makePlan(inputs)
    const house = await wheelhouseFor(inputs, plan)
    return house.wheels.map(w => path.basename(w.file)).sort()
  } finally {
    undo()
  }
}

test('an index only a forward proxy reaches, HTTPS_PROXY/HTTP_PROXY set: requirements.txt (pip and the fetcher) and every lock format go through it', async () => {
  const index = await serve(serveShapedIndex(indexRoot, { onlyFrom: proxy.sourceAddress }))
  process.env.HTTP_PROXY = proxy.url
  process.env.HTTPS_PROXY = proxy.url
  try {
    // pip reads the loopback index (NO_PROXY names its port); the look-ahead and the fetcher tunnel (CONNECT)
    assert.deepEqual(await wheelsOf('requirements', index), REQUIRED)
    assert.ok(proxy.requests.some(r => r.method === 'CONNECT' && index.origin.endsWith(r.target)))
    assert.ok(!proxy.requests.some(r => r.method === 'GET'), 'pip went to the index itself')
    // without the look-ahead pip sends its absolute-form requests for http: URLs through the proxy
    process.env.LAYER_ACTION_LOOKAHEAD = 'false'
    assert.deepEqual(await wheelsOf('requirements', index), REQUIRED)
    delete process.env.LAYER_ACTION_LOOKAHEAD
    assert.ok(proxy.requests.some(r => r.method === 'GET' && r.target.startsWith(index.origin)))
    for (const kind of LOCK_KINDS)
      assert.deepEqual(await wheelsOf(kind, index), LOCKED_WHEELS, kind)
  } finally {
    delete process.env.HTTP_PROXY
    delete process.env.HTTPS_PROXY
    delete process.env.LAYER_ACTION_LOOKAHEAD
  }
  assert.equal(index.refused, 0, 'nothing went around the proxy')
  assert.ok(index.requests.every(r => r.from === proxy.sourceAddress))
  // and without the proxy the index is out of reach: the test's premise holds
  await assert.rejects(wheelsOf('uv', index))
  assert.ok(index.refused > 0)
})

/** A proxy URL carrying credentials, for the recording proxy (which takes any). */
function withCredentials(url: string, user: string, password: string): string {
  return url.replace('http://', `http://${user}:${password}@`)
}

/**
 * requirements.txt (pip resolves, the fetcher downloads) and the lock `kind` (the fetcher alone),
 * against an index only the proxy reaches, with pip's proxy set by `configure`: both go through the
 * proxy (pip forwards GETs, the client tunnels), nothing goes around it, the password is masked and
 * never printed.
 */
async function throughPipProxy(
  kind: LockKind,
  password: string,
  configure: (proxyUrl: string) => Record<string, string>
): Promise<void> {
  const index = await serve(serveShapedIndex(indexRoot, { onlyFrom: proxy.sourceAddress }))
  const before = proxy.requests.length
  const lines = log.lines.length
  const more = configure(withCredentials(proxy.url, 'corp', password))
  assert.deepEqual(await wheelsOf('requirements', index, undefined, more), REQUIRED)
  const ofPip = proxy.requests.slice(before)
  assert.ok(
    ofPip.some(r => r.method === 'GET' && r.target.startsWith(index.origin)),
    'pip'
  )
  assert.ok(
    ofPip.some(r => r.method === 'CONNECT' && index.origin.endsWith(r.target)),
    'fetcher'
  )
  const locked = proxy.requests.length
  assert.deepEqual(await wheelsOf(kind, index, undefined, more), LOCKED_WHEELS, kind)
  assert.ok(
    proxy.requests.slice(locked).some(r => r.method === 'CONNECT'),
    `${kind}: the fetcher`
  )
  assert.equal(index.refused, 0, 'nothing went around the proxy')
  assert.ok(index.requests.length > 0 && index.requests.every(r => r.from === proxy.sourceAddress))
  // the proxy's credentials reached it (basic auth), and no log line shows them
  const basic = `Basic ${Buffer.from(`corp:${password}`).toString('base64')}`
  assert.ok(proxy.requests.slice(before).some(r => r.proxyAuthorization === basic))
  const printed = log.lines.slice(lines)
  assert.ok(printed.includes(`::add-mask::${password}`), 'masked')
  assert.deepEqual(
    printed.filter(l => l.includes(password) && !l.startsWith('::add-mask::')),
    []
  )
}

/** Runs `body` and puts process.env back as it was, whatever `body` set. */
async function keepingEnv(body: () => Promise<void>): Promise<void> {
  const saved = { ...process.env }
  try {
    await body()
  } finally {
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name]
    Object.assign(process.env, saved)
  }
}

test("pip's proxy from its config file ([global] proxy =, PIP_CONFIG_FILE) carries pip and the action's downloads: requirements.txt and uv.lock, no proxy variable set", async () => {
  const home = path.join(tmp, 'home-config')
  await fs.mkdir(home, { recursive: true })
  const config = path.join(tmp, 'pip-proxy.conf')
  await keepingEnv(() =>
    throughPipProxy('uv', 'c0nfig-pw', url => {
      writeFileSync(config, `[global]\nproxy = ${url}\n`)
      // this machine's user config (a mirror, find-links) stays out: HOME is empty
      process.env.HOME = home
      process.env.XDG_CONFIG_HOME = path.join(home, '.config')
      process.env.PIP_CONFIG_FILE = config
      return {}
    })
  )
})

test('PIP_PROXY beats HTTPS_PROXY/HTTP_PROXY (a dead proxy here) and NO_PROXY, for pip and the action alike: requirements.txt and poetry.lock', async () => {
  await keepingEnv(() =>
    throughPipProxy('poetry', 'env-pw', url => {
      process.env.PIP_PROXY = url
      process.env.HTTPS_PROXY = 'http://127.0.0.1:9'
      process.env.HTTP_PROXY = 'http://127.0.0.1:9'
      process.env.NO_PROXY = '127.0.0.1'
      return {}
    })
  )
})

test('pip-args --proxy carries pip and the action: requirements.txt and pylock.toml', async () => {
  await keepingEnv(() =>
    throughPipProxy('pylock', 'args-pw', url => ({ 'pip-args': `--proxy ${url}` }))
  )
})

test('an index that closes every connection (HTTP/1.0, no Content-Length): requirements.txt and every lock format', async () => {
  const index = await serve(serveClosingIndex(indexRoot))
  assert.deepEqual(await wheelsOf('requirements', index), REQUIRED)
  for (const kind of LOCK_KINDS) assert.deepEqual(await wheelsOf(kind, index), LOCKED_WHEELS, kind)
  assert.ok(index.connections >= index.requests.length)
})

test('an index that answers 500: requirements.txt and a lock fail saying HTTP 500 and naming the URL, never "no compatible wheel"', async () => {
  const index = await serve(serveFailingIndex(indexRoot, /plainpkg/))
  for (const kind of ['requirements', 'poetry'] as const) {
    await assert.rejects(wheelsOf(kind, index), (e: unknown) => {
      assert.ok(e instanceof Error)
      assert.match(e.message, /500/, `${kind}: ${e.message}`)
      assert.ok(e.message.includes(`${index.origin}/simple/plainpkg/`), `${kind}: ${e.message}`)
      assert.doesNotMatch(e.message, /no compatible wheel|No wheel of/i)
      return true
    })
  }
})

test('a proxy that wants credentials, none given: pip (with the look-ahead, without it, with its own --proxy) and a lock each fail saying 407 and where the credentials go, never "no compatible wheel"', async () => {
  const demanding = await startRecordingProxy({ credentials: 'corp:secret' })
  const index = await serve(serveShapedIndex(indexRoot, { onlyFrom: demanding.sourceAddress }))
  const says407 = (what: string) => (e: unknown) => {
    assert.ok(e instanceof Error)
    assert.match(
      e.message,
      /through the proxy http:\/\/127\.0\.0\.1:\d+: the proxy asks for credentials \(HTTP 407 Proxy Authentication Required\): put them in the proxy URL/,
      `${what}: ${e.message}`
    )
    assert.ok(e.message.includes(`${index.origin}/simple/`), `${what}: ${e.message}`)
    assert.doesNotMatch(e.message, /no compatible wheel|No wheel of/i, what)
    return true
  }
  try {
    await keepingEnv(async () => {
      process.env.HTTP_PROXY = demanding.url
      process.env.HTTPS_PROXY = demanding.url
      await assert.rejects(wheelsOf('requirements', index), says407('look-ahead'))
      await assert.rejects(wheelsOf('poetry', index), says407('poetry.lock'))
      process.env.LAYER_ACTION_LOOKAHEAD = 'false'
      await assert.rejects(wheelsOf('requirements', index), says407('pip alone'))
    })
    await assert.rejects(
      wheelsOf('requirements', index, undefined, { 'pip-args': `--proxy ${demanding.url}` }),
      says407("pip's --proxy")
    )
    // pip itself met the 407 in each requirements run (a GET through the proxy, refused)
    assert.ok(demanding.requests.some(r => r.method === 'GET' && !r.proxyAuthorization))
    assert.equal(index.requests.length, 0, 'nothing reached the index')
  } finally {
    await demanding.close()
  }
})

test('a lock whose files are all in the wheelhouse builds with no network and no Python process at all', async () => {
  const index = await serve(serveShapedIndex(indexRoot))
  const runner = path.join(tmp, 'runner', 'kept')
  for (const kind of LOCK_KINDS)
    assert.deepEqual(await wheelsOf(kind, index, runner), LOCKED_WHEELS)
  await index.close()
  // every python on PATH logs that it was started, and fails
  const bin = path.join(tmp, 'no-python')
  const calls = path.join(tmp, 'python-calls.log')
  await fs.mkdir(bin, { recursive: true })
  for (const name of ['python', 'python3', 'python3.12']) {
    await fs.writeFile(path.join(bin, name), `#!/bin/sh\necho "$0 $*" >> '${calls}'\nexit 1\n`)
    await fs.chmod(path.join(bin, name), 0o755)
  }
  const savedPath = process.env.PATH
  process.env.PATH = `${bin}${path.delimiter}/usr/bin${path.delimiter}/bin`
  try {
    for (const kind of LOCK_KINDS)
      assert.deepEqual(await wheelsOf(kind, index, runner), LOCKED_WHEELS, kind)
  } finally {
    process.env.PATH = savedPath
  }
  assert.equal(await fs.readFile(calls, 'utf8').catch(() => ''), '')
  assert.match(log.text(), /4 wheel\(s\) for .* \(4 already in the wheelhouse: /)
})
