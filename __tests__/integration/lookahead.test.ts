/**
 * The look-ahead and its loopback index (src/resolve/lookahead.ts, loopback-index.ts,
 * pip-lookahead.ts), with real pip (this machine's python3) against a real index on loopback whose
 * pages carry everything pip reads — yanked files (with and without a reason), Requires-Python,
 * pre-releases, PEP 658 metadata with its hash, wheels for other architectures — written as PEP 503
 * (packaging.python.org "Simple repository API"), PEP 592 and PEP 658/714 describe them. The figure
 * that counts: pip resolves to the same files, URLs and hashes with the look-ahead as without it
 * (LAYER_ACTION_LOOKAHEAD=false), including when the walk guesses wrong, and an index that lies
 * (metadata or a wheel whose bytes are not the ones its page hashes) fails the same way.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { closeSync, openSync, promises as fs } from 'node:fs'
import { createHash } from 'node:crypto'
import * as http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { findRuntime, markerEnvironment, type Runtime } from '../../src/runtimes'
import type { PinnedSet } from '../../src/resolve/pinned'
import { NoCompatibleWheelError } from '../../src/resolve/pip-errors'
import { Lookahead } from '../../src/resolve/lookahead'
import { renderPage, serveLoopbackIndex } from '../../src/resolve/loopback-index'
import { parseHtmlPage, type IndexFile } from '../../src/python/index-page'
import { HttpClient } from '../../src/http'
import { readCentralDirectory, readEntry } from '../../src/zip/reader'
import { hermeticPipEnv } from '../helpers/pip-env'
import { resolveRequirements } from '../helpers/resolve'
import { captureLog, type CapturedLog } from '../helpers/log'
import { makeWheel, serveIndex, type BuiltWheel, type ServedIndex } from '../helpers/wheels'

const X86 = 'cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64'
const ARM = 'cp312-cp312-manylinux_2_17_aarch64.manylinux2014_aarch64'
const MUSL = 'cp312-cp312-musllinux_1_2_x86_64'

interface Listed {
  wheel: BuiltWheel
  /** PEP 592: true, or the reason */
  yanked?: true | string
  requiresPython?: string
  /** PEP 658: served with its hash (default), served with a wrong hash on the page, or absent */
  metadata?: 'ok' | 'lies' | 'none'
  /** the page's hash of the wheel is not the wheel's */
  hashLies?: boolean
  /** the link is inside an HTML comment: pip does not see it */
  commented?: boolean
}

let tmp: string
let log: CapturedLog
let index: ServedIndex
let lying: ServedIndex
/** the same files as `index`, with no PEP 658 metadata at all (older Artifactory, Nexus, devpi) */
let bare: ServedIndex
const runtime = findRuntime('3.12') as Runtime

async function metadataOf(wheel: string): Promise<Buffer> {
  const fd = openSync(wheel, 'r')
  try {
    const entry = readCentralDirectory(fd, wheel).find(e => /\.dist-info\/METADATA$/.test(e.name))
    assert.ok(entry, wheel)
    return await readEntry(fd, entry, wheel)
  } finally {
    closeSync(fd)
  }
}

/** A file named as a wheel that holds no zip. */
async function garbageWheel(dir: string, filename: string): Promise<BuiltWheel> {
  await fs.mkdir(dir, { recursive: true })
  const file = path.join(dir, filename)
  await fs.writeFile(file, Buffer.from('PK\x03\x04 this is no wheel, only its first four bytes'))
  return { path: file, filename }
}

// `>` left as it is inside quotes, as some indexes write it (HTML allows it)
const attr = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;')
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex')

/** A static PEP 503 index: simple/<project>/index.html, files/<wheel> and files/<wheel>.metadata. */
async function writeIndex(root: string, listed: readonly Listed[]): Promise<void> {
  const files = path.join(root, 'files')
  await fs.mkdir(files, { recursive: true })
  const pages = new Map<string, string[]>()
  for (const l of listed) {
    const name = l.wheel.filename
    const bytes = await fs.readFile(l.wheel.path)
    await fs.writeFile(path.join(files, name), bytes)
    const project = name.split('-')[0].toLowerCase().replace(/_/g, '-')
    const hash = l.hashLies ? sha256(Buffer.from('not the wheel')) : sha256(bytes)
    const a = [`href="../../files/${encodeURIComponent(name)}#sha256=${hash}"`]
    if (l.requiresPython) a.push(`data-requires-python="${attr(l.requiresPython)}"`)
    if (l.yanked === true) a.push('data-yanked')
    else if (l.yanked) a.push(`data-yanked="${attr(l.yanked)}"`)
    if (l.metadata !== 'none') {
      const metadata = await metadataOf(l.wheel.path)
      await fs.writeFile(path.join(files, `${name}.metadata`), metadata)
      const declared = l.metadata === 'lies' ? sha256(Buffer.from('other')) : sha256(metadata)
      a.push(`data-dist-info-metadata="sha256=${declared}"`)
    }
    const link = `<a ${a.join(' ')}>${name}</a>`
    pages.set(project, [...(pages.get(project) ?? []), l.commented ? `<!-- ${link} -->` : link])
  }
  for (const [project, links] of pages) {
    await fs.mkdir(path.join(root, 'simple', project), { recursive: true })
    await fs.writeFile(
      path.join(root, 'simple', project, 'index.html'),
      `<!DOCTYPE html>\n<html><body>\n${links.join('<br/>\n')}\n</body></html>\n`
    )
  }
}

before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'layer-lookahead-'))
  const b = path.join(tmp, 'built')
  const w = (
    name: string,
    version: string,
    tags = 'py3-none-any',
    requires: string[] = [],
    metadata: string[] = []
  ) => makeWheel(b, { name, version, tags, requires, metadata })
  const listed: Listed[] = [
    {
      wheel: await w('app', '1.0', 'py3-none-any', [
        'lib>=1.0',
        'extra-dep[fast]; python_version >= "3.8"',
        'win-only; sys_platform == "win32"'
      ])
    },
    { wheel: await w('lib', '1.0') },
    { wheel: await w('lib', '2.0') },
    { wheel: await w('lib', '2.5'), requiresPython: '>=3.13' },
    { wheel: await w('lib', '3.0'), yanked: 'broke <everything> & "more"' },
    { wheel: await w('lib', '3.1'), yanked: true },
    { wheel: await w('lib', '4.0rc1') },
    // pip takes pick 3.1: 3.5 wants Python 3.13 (a raw `>` in its quoted attribute), 3.0 is yanked,
    // 4.0rc1 is a pre-release, 9.0 is commented out — and 3.1's bare `data-yanked` is no yank to
    // pip (its HTMLParser gives a bare attribute no value), so it is none to the loopback index either
    { wheel: await w('pick', '1.0') },
    { wheel: await w('pick', '2.0') },
    { wheel: await w('pick', '3.5'), requiresPython: '>=3.13' },
    { wheel: await w('pick', '3.0'), yanked: 'broke <everything> & "more"' },
    { wheel: await w('pick', '3.1'), yanked: true },
    { wheel: await w('pick', '4.0rc1') },
    { wheel: await w('pick', '9.0'), commented: true },
    // the walk takes lib 2.0 for app first; pip must settle on lib 1.0 for other
    { wheel: await w('other', '1.0', 'py3-none-any', ['lib<2']) },
    {
      wheel: await w(
        'extra-dep',
        '1.0',
        'py3-none-any',
        ['speed; extra == "fast"'],
        ['Provides-Extra: fast']
      )
    },
    { wheel: await w('speed', '1.0'), metadata: 'none' },
    { wheel: await w('win-only', '1.0') },
    { wheel: await w('native', '1.0', X86) },
    { wheel: await w('native', '1.0', ARM) },
    { wheel: await w('native', '1.0', MUSL) },
    { wheel: await w('native', '1.1', 'cp313-cp313-manylinux_2_17_x86_64.manylinux2014_x86_64') },
    { wheel: await w('local-ver', '1.0+acme.1') }
  ]
  await writeIndex(path.join(tmp, 'index'), listed)
  index = await serveIndex(path.join(tmp, 'index'))
  await writeIndex(
    path.join(tmp, 'bare'),
    listed.map(l => ({ ...l, metadata: 'none' as const }))
  )
  bare = await serveIndex(path.join(tmp, 'bare'))
  await writeIndex(path.join(tmp, 'lying'), [
    { wheel: await w('meta-lies', '1.0'), metadata: 'lies' },
    { wheel: await w('hash-lies', '1.0'), hashLies: true },
    // no PEP 658 file: the walk downloads this wheel itself, before pip asks for it
    { wheel: await w('bare-hash-lies', '1.0'), hashLies: true, metadata: 'none' },
    // not a zip at all, its page hash true to these bytes: the walk cannot read it, pip must refuse it
    {
      wheel: await garbageWheel(path.join(tmp, 'built'), 'bare_corrupt-1.0-py3-none-any.whl'),
      metadata: 'none'
    }
  ])
  lying = await serveIndex(path.join(tmp, 'lying'))
  log = captureLog()
})

after(async () => {
  log.restore()
  await Promise.all([index.close(), lying.close(), bare.close()])
  await fs.rm(tmp, { recursive: true, force: true })
})

function resolve(o: {
  content: string
  indexUrl: string
  lookahead: boolean
  architecture?: 'x86_64' | 'arm64'
  pipArgs?: string[]
  /** where the workspace is made (default: the test's folder) */
  parent?: string
}): Promise<{ pinned: PinnedSet; wheelhouse: string }> {
  const env = hermeticPipEnv(o.lookahead ? {} : { LAYER_ACTION_LOOKAHEAD: 'false' })
  return resolveRequirements({ ...o, parent: o.parent ?? tmp, runtime, env })
}

/** A look-ahead over the test index, for a Lookahead of its own (no pip). */
function lookaheadOver(dir: string): { lookahead: Lookahead; client: HttpClient } {
  const client = new HttpClient({ env: {} })
  const lookahead = new Lookahead({
    indexes: [index.plainUrl],
    client,
    target: { runtime, architecture: 'x86_64' },
    env: markerEnvironment(runtime, 'x86_64'),
    dir: path.join(tmp, dir)
  })
  return { lookahead, client }
}

const files = (p: PinnedSet) =>
  p.entries.map(e => ({
    name: e.name,
    version: e.version,
    ...(e.artifact.kind === 'file'
      ? { url: e.artifact.url, filename: e.artifact.filename, hashes: e.artifact.hashes }
      : {})
  }))

const REQUIREMENTS = 'app\nother\npick\nnative\nlocal-ver\n'

test('pip resolves to the same files, URLs and hashes through the look-ahead as without it: yanked, Requires-Python, pre-releases, extras, markers, architectures, a wrong guess', async () => {
  for (const architecture of ['x86_64', 'arm64'] as const) {
    const from = log.lines.length
    const ahead = await resolve({
      content: REQUIREMENTS,
      indexUrl: index.url,
      lookahead: true,
      architecture
    })
    const lines = log.lines.slice(from).join('\n')
    assert.match(lines, /pip resolves through a loopback index that reads the index ahead/)
    assert.match(
      lines,
      /Look-ahead: the pages of \d+ project\(s\) and \d+ metadata file\(s\) read in parallel/
    )
    const plain = await resolve({
      content: REQUIREMENTS,
      indexUrl: index.url,
      lookahead: false,
      architecture
    })
    assert.deepEqual(files(ahead.pinned), files(plain.pinned), architecture)
    const got = Object.fromEntries(ahead.pinned.entries.map(e => [e.name, e.version]))
    assert.deepEqual(got, {
      app: '1.0',
      'extra-dep': '1.0',
      lib: '1.0',
      'local-ver': '1.0+acme.1',
      native: '1.0',
      other: '1.0',
      pick: '3.1',
      speed: '1.0'
    })
    const native = ahead.pinned.entries.find(e => e.name === 'native')
    assert.ok(native?.artifact.kind === 'file')
    assert.match(
      native.artifact.filename,
      architecture === 'x86_64' ? /manylinux_2_17_x86_64/ : /aarch64/
    )
    // every URL is the index's own, never the loopback's
    for (const e of ahead.pinned.entries)
      if (e.artifact.kind === 'file')
        assert.ok(
          e.artifact.url?.startsWith(index.plainUrl.replace(/simple\/$/, 'files/')),
          e.artifact.url
        )
  }
})

test('an index without PEP 658 metadata: the walk reads each likely wheel itself and goes on to its dependencies; pip resolves to the same files, and each wheel crosses the network once', async () => {
  const from = log.lines.length
  const before = bare.requests.length
  const ahead = await resolve({ content: REQUIREMENTS, indexUrl: bare.url, lookahead: true })
  const asked = bare.requests.slice(before)
  const lines = log.lines.slice(from).join('\n')
  // app, other, pick, native, local-ver, then lib, extra-dep and speed (win-only's marker is false
  // on Lambda): the dependencies were reached through the wheels, as pip reaches them
  assert.match(lines, /Look-ahead: the pages of 8 project\(s\) and 0 metadata file\(s\)/)
  for (const e of ahead.pinned.entries) {
    if (e.artifact.kind !== 'file') continue
    const name = e.artifact.filename
    const downloads = asked.filter(a => a === `/files/${name}`)
    assert.equal(downloads.length, 1, `${name}: ${downloads.length} downloads`)
  }
  const plain = await resolve({ content: REQUIREMENTS, indexUrl: bare.url, lookahead: false })
  assert.deepEqual(files(ahead.pinned), files(plain.pinned))
})

test('a wheel the walk guessed and pip never asked for is abandoned when pip is done: the stalled download is cut, nothing half-written is left', async () => {
  // the bare index, except that every wheel sends its headers and a first chunk, then nothing
  const root = path.join(tmp, 'bare')
  const sockets: { url: string; closed: boolean }[] = []
  const server = http.createServer((req, res) => {
    const url = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)
    const file = path.join(root, path.normalize(url))
    void fs
      .stat(file)
      .then(async st => {
        if (url.endsWith('.whl')) {
          const seen = { url, closed: false }
          sockets.push(seen)
          req.socket.on('close', () => (seen.closed = true))
          res.writeHead(200, { 'content-length': st.size }).write(Buffer.alloc(100))
          return
        }
        const body = await fs.readFile(st.isDirectory() ? path.join(file, 'index.html') : file)
        res.writeHead(200, { 'content-type': 'text/html' }).end(body)
      })
      .catch(() => res.writeHead(404).end())
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  const client = new HttpClient({ env: {}, timeouts: { attempts: 1 } })
  const dir = path.join(tmp, 'abandoned')
  const lookahead = new Lookahead({
    indexes: [`http://127.0.0.1:${port}/simple/`],
    client,
    target: { runtime, architecture: 'x86_64' },
    env: markerEnvironment(runtime, 'x86_64'),
    dir
  })
  try {
    lookahead.start(['app'])
    // (bounded waits: a hang guard, not a time measured)
    for (let i = 0; !sockets.some(s => s.url === '/files/app-1.0-py3-none-any.whl'); i++) {
      assert.ok(i < 500, 'the walk never asked for the wheel it needs the metadata of')
      await new Promise(resolve => setTimeout(resolve, 20))
    }
    // pip succeeded without ever asking for it: the guess is not waited for
    const stopped = await Promise.race([
      lookahead.stop({ keepDownloads: true }).then(() => 'stopped'),
      new Promise(resolve => setTimeout(resolve, 10_000, 'still waiting'))
    ])
    assert.equal(stopped, 'stopped', 'stop() waited on a stalled guess pip never asked for')
    await new Promise(resolve => setImmediate(resolve))
    assert.ok(
      sockets.every(s => s.closed),
      sockets.map(s => `${s.url} ${s.closed ? 'closed' : 'open'}`).join(', ')
    )
    assert.deepEqual(await fs.readdir(dir).catch(() => []), [], 'no part file is left')
    assert.equal(lookahead.stats.wheels, 0)
  } finally {
    await client.close()
    server.closeAllConnections()
    await new Promise(resolve => server.close(resolve))
  }
})

test('the wheels pip downloads through the loopback index are kept in the wheelhouse under their names with the hashes pip reports; nothing half-written is left', async () => {
  const { pinned, wheelhouse } = await resolve({
    content: REQUIREMENTS,
    indexUrl: index.url,
    lookahead: true
  })
  const left = (await fs.readdir(wheelhouse)).sort()
  assert.ok(
    left.every(f => f.endsWith('.whl')),
    left.join(', ')
  )
  for (const e of pinned.entries) {
    if (e.artifact.kind !== 'file') continue
    const kept = path.join(wheelhouse, e.artifact.filename)
    // pip 23.2 downloads every wheel under --dry-run; a newer pip may only read metadata
    if (!left.includes(e.artifact.filename)) continue
    assert.deepEqual([sha256(await fs.readFile(kept))], e.artifact.hashes.sha256)
  }
})

test('an index whose metadata or wheel is not what its page hashes fails as it does without the look-ahead, and nothing it sent is kept', async () => {
  for (const project of ['meta-lies', 'hash-lies', 'bare-hash-lies', 'bare-corrupt']) {
    const outcomes: string[] = []
    for (const lookahead of [true, false]) {
      try {
        const r = await resolve({ content: `${project}\n`, indexUrl: lying.url, lookahead })
        outcomes.push(
          `resolved: ${files(r.pinned)
            .map(f => f.filename)
            .join(', ')}`
        )
        const kept = await fs.readdir(r.wheelhouse).catch(() => [] as string[])
        assert.deepEqual(
          kept.filter(f => f.startsWith(project.replace(/-/g, '_'))),
          [],
          `${project} kept`
        )
      } catch (error) {
        const m = (error as Error).message
        assert.doesNotMatch(
          m,
          /localhost:\d+\/[0-9a-f]{32}\//,
          'the loopback URL leaks into the message'
        )
        outcomes.push(
          `failed: ${(error as Error).constructor.name}: ${m.replace(/\/tmp\/[^\s]*/g, '<tmp>')}`
        )
      }
    }
    assert.equal(outcomes[0], outcomes[1], project)
  }
})

/** Every file name under `dir`, recursively. */
async function allNames(dir: string): Promise<string[]> {
  return (await fs.readdir(dir, { recursive: true })).map(e => path.basename(e))
}

test('an index page naming `../` and `..%2F` files: the loopback index leaves that page to pip (the same outcome as without the look-ahead) and nothing is written anywhere under that name', async () => {
  const root = path.join(tmp, 'sneaky')
  const wheel = await makeWheel(path.join(tmp, 'built-sneaky'), {
    name: 'sneaky',
    version: '1.0',
    tags: 'py3-none-any'
  })
  const digest = sha256(await fs.readFile(wheel.path))
  await fs.mkdir(path.join(root, 'simple', 'sneaky'), { recursive: true })
  await fs.mkdir(path.join(root, 'files'), { recursive: true })
  await fs.copyFile(wheel.path, path.join(root, 'files', wheel.filename))
  await fs.writeFile(
    path.join(root, 'simple', 'sneaky', 'index.html'),
    `<a href="../../files/..%2F${wheel.filename}#sha256=${digest}">x</a>\n` +
      `<a href="../../files/sub/../../${wheel.filename}#sha256=${digest}">y</a>\n`
  )
  const sneaky = await serveIndex(root)
  const parent = await fs.mkdtemp(path.join(tmp, 'sneaky-runs-'))
  try {
    const outcomes: string[] = []
    for (const lookahead of [true, false]) {
      try {
        const r = await resolve({ content: 'sneaky\n', indexUrl: sneaky.url, lookahead, parent })
        outcomes.push(
          `resolved: ${files(r.pinned)
            .map(f => `${f.filename} ${f.url}`)
            .join(', ')}`
        )
      } catch (error) {
        const m = (error as Error).message
        assert.doesNotMatch(m, /localhost:\d+\/[0-9a-f]{32}\//)
        outcomes.push(
          `failed: ${(error as Error).constructor.name}: ${m.replace(/\/tmp\/[^\s]*/g, '<tmp>')}`
        )
      }
    }
    assert.equal(outcomes[0], outcomes[1])
    // whatever pip made of the page, nothing was written under the link's name, nor beside a wheelhouse
    assert.ok(!(await allNames(tmp)).some(n => n.startsWith('..')), 'a name starting with ..')
    const copies = (await fs.readdir(tmp, { recursive: true }))
      .filter(p => path.basename(p) === wheel.filename)
      .filter(p => !p.startsWith('sneaky/') && !p.startsWith('built-sneaky/'))
    assert.ok(
      copies.every(p => path.basename(path.dirname(p)) === 'wheelhouse'),
      copies.join(', ')
    )
  } finally {
    await sneaky.close()
  }
})

test('a pip that fails halfway (a transitive no-wheel, after reading metadata) leaves no half-written download: every wheel the look-ahead kept has its page hash, and a rerun resolves as a clean run does', async () => {
  const b = path.join(tmp, 'built-halfway')
  const root = path.join(tmp, 'halfway')
  const big = (name: string, requires: string[]) =>
    makeWheel(b, { name, version: '1.0', tags: 'py3-none-any', requires, sizeBytes: 3_000_000 })
  await writeIndex(root, [
    { wheel: await big('first', ['second']) },
    { wheel: await big('second', ['nowheel']) },
    {
      wheel: await makeWheel(b, {
        name: 'nowheel',
        version: '1.0',
        tags: 'cp313-cp313-manylinux_2_17_x86_64.manylinux2014_x86_64'
      })
    },
    { wheel: await big('fine', []) }
  ])
  const halfway = await serveIndex(root)
  try {
    const parent = await fs.mkdtemp(path.join(tmp, 'halfway-runs-'))
    await assert.rejects(
      resolve({ content: 'first\n', indexUrl: halfway.url, lookahead: true, parent }),
      NoCompatibleWheelError
    )
    const [ws] = await fs.readdir(parent)
    const house = path.join(parent, ws, 'wheelhouse')
    const kept = await fs.readdir(house).catch(() => [] as string[])
    assert.deepEqual(
      kept.filter(f => !f.endsWith('.whl')),
      [],
      'a part file was left'
    )
    for (const f of kept)
      assert.equal(
        sha256(await fs.readFile(path.join(house, f))),
        sha256(await fs.readFile(path.join(root, 'files', f))),
        f
      )
    // the rerun (another requirement, as after a fix) gives what a clean run gives
    const rerun = await resolve({ content: 'fine\n', indexUrl: halfway.url, lookahead: true })
    const clean = await resolve({ content: 'fine\n', indexUrl: halfway.url, lookahead: false })
    assert.deepEqual(files(rerun.pinned), files(clean.pinned))
  } finally {
    await halfway.close()
  }
})

test('through the look-ahead, a transitive no-wheel still names the chain and the real index', async () => {
  const b = path.join(tmp, 'built-chain')
  const root = path.join(tmp, 'chain')
  await writeIndex(root, [
    {
      wheel: await makeWheel(b, {
        name: 'top',
        version: '1.0',
        tags: 'py3-none-any',
        requires: ['middle']
      })
    },
    {
      wheel: await makeWheel(b, {
        name: 'middle',
        version: '2.0',
        tags: 'py3-none-any',
        requires: ['leaf']
      })
    },
    {
      wheel: await makeWheel(b, {
        name: 'leaf',
        version: '3.0',
        tags: 'cp313-cp313-manylinux_2_17_x86_64.manylinux2014_x86_64'
      })
    }
  ])
  const chain = await serveIndex(root)
  try {
    await assert.rejects(
      resolve({ content: 'top\n', indexUrl: chain.url, lookahead: true }),
      (error: unknown) => {
        assert.ok(error instanceof NoCompatibleWheelError, String(error))
        assert.deepEqual(error.chain, ['top 1.0', 'middle 2.0', 'leaf 3.0'])
        assert.ok(error.message.includes(chain.plainUrl), error.message)
        assert.doesNotMatch(error.message, /[0-9a-f]{32}/)
        return true
      }
    )
  } finally {
    await chain.close()
  }
})

test('--index-url, -i and --extra-index-url in pip-args are replaced by the loopback ones; an index URL with credentials leaves pip to read the index itself', async () => {
  const from = log.lines.length
  const r = await resolve({
    content: 'other\n',
    indexUrl: '',
    lookahead: true,
    pipArgs: ['-i', index.url]
  })
  assert.deepEqual(
    files(r.pinned).map(f => f.filename),
    ['lib-1.0-py3-none-any.whl', 'other-1.0-py3-none-any.whl']
  )
  assert.match(log.lines.slice(from).join('\n'), /reads the index ahead/)
  const from2 = log.lines.length
  const withPassword = index.url.replace('http://', 'http://ci:s3cret@')
  const r2 = await resolve({ content: 'other\n', indexUrl: withPassword, lookahead: true })
  assert.equal(r2.pinned.entries.length, 2)
  assert.doesNotMatch(log.lines.slice(from2).join('\n'), /reads the index ahead/)
})

test('the walk reads hashed requirement lines (pip-compile --generate-hashes) and follows Requires-Dist with the specifiers seen: it fetches what pip will ask for before pip asks', async () => {
  const { lookahead, client } = lookaheadOver('walk-kept')
  try {
    const before = index.requests.length
    lookahead.start([
      // logical lines as readRequirementLines gives them (continuations joined)
      'other==1.0     --hash=sha256:0000000000000000000000000000000000000000000000000000000000000000',
      'win-only; sys_platform == "win32"'
    ])
    await lookahead.settled()
    const asked = index.requests.slice(before).sort()
    // other's page and metadata, then lib's page and the metadata of lib 1.0 (other wants lib<2)
    assert.deepEqual(asked, [
      '/files/lib-1.0-py3-none-any.whl.metadata',
      '/files/other-1.0-py3-none-any.whl.metadata',
      '/simple/lib/',
      '/simple/other/'
    ])
    assert.equal(lookahead.stats.asked, 0)
    assert.equal(
      lookahead.stats.wheels,
      0,
      'no wheel is downloaded before pip asks for its metadata'
    )
  } finally {
    await lookahead.stop({ keepDownloads: false })
    await client.close()
  }
})

test('the loopback index answers only under its token, only for its indexes and files, and is gone once closed', async () => {
  const { lookahead, client } = lookaheadOver('loopback-kept')
  const loopback = await serveLoopbackIndex(lookahead, {
    indexes: [index.plainUrl],
    waitMs: 5000,
    wheelWaitMs: 5000
  })
  const get = (url: string) =>
    new Promise<{ status: number; body: string; location?: string }>((resolve, reject) =>
      http
        .get(url, res => {
          let body = ''
          res.on('data', (c: Buffer) => (body += c.toString()))
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body, location: res.headers.location })
          )
        })
        .on('error', reject)
    )
  try {
    const base = loopback.urls[0]
    const origin = new URL(base).origin
    const page = await get(`${base}lib/`)
    assert.equal(page.status, 200)
    assert.match(page.body, /data-yanked="broke &lt;everything&gt; &amp; &quot;more&quot;"/)
    assert.match(page.body, /data-requires-python="&gt;=3\.13"/)
    assert.equal((await get(`${origin}/i/0/lib/`)).status, 404, 'no token')
    assert.equal(
      (await get(`${base.replace(/\/i\/0\/$/, '/i/1/')}lib/`)).status,
      404,
      'no such index'
    )
    assert.equal((await get(`${base}..%2F/`)).status, 404)
    assert.equal((await get(`${base}no-such-project/`)).status, 404)
    const link = /href="([^"#]+)#/.exec(page.body)?.[1] as string
    assert.equal(
      (await get(link.replace(/[^/]+$/, 'other-name.whl'))).status,
      404,
      'a name that is not the file'
    )
    assert.equal((await get(link.replace(/\/f\/\d+\//, '/f/999/'))).status, 404)
    // a file the index cannot serve is left to the index: pip meets its answer
    const gone = path.join(tmp, 'index', 'files', 'lib-1.0-py3-none-any.whl')
    await fs.rename(gone, `${gone}.away`)
    try {
      const l1 = /href="([^"#]+lib-1\.0-py3-none-any\.whl)#/.exec(page.body)?.[1] as string
      const answer = await get(l1)
      assert.equal(answer.status, 302)
      assert.equal(
        answer.location,
        `${index.plainUrl.replace(/simple\/$/, 'files/')}lib-1.0-py3-none-any.whl`
      )
      assert.equal(loopback.realUrl(l1), answer.location)
    } finally {
      await fs.rename(`${gone}.away`, gone)
    }
  } finally {
    await lookahead.stop({ keepDownloads: false })
    await loopback.close()
    await client.close()
  }
  await assert.rejects(get(loopback.urls[0]), /ECONNREFUSED/)
})

test('a page the loopback index renders reads back as the same files: hashes, Requires-Python, yanked with and without a reason, metadata with and without a hash, local versions', () => {
  const listed: IndexFile[] = [
    {
      filename: 'a-1.0+local.1-py3-none-any.whl',
      url: 'https://files.example/a/a-1.0+local.1-py3-none-any.whl',
      hashes: { sha256: 'ab'.repeat(32) },
      requiresPython: '<4,>=3.8',
      metadata: { sha256: 'cd'.repeat(32) }
    },
    {
      filename: 'a-0.9-py3-none-any.whl',
      url: 'https://files.example/a/a-0.9-py3-none-any.whl',
      hashes: {},
      yanked: true,
      metadata: {}
    },
    {
      filename: 'a-0.8-py3-none-any.whl',
      url: 'https://files.example/a/a-0.8-py3-none-any.whl',
      hashes: { md5: 'ef'.repeat(16) },
      yanked: 'a "reason" <b>&</b>'
    }
  ]
  const html = renderPage('a', listed, f => f.url)
  assert.deepEqual(
    parseHtmlPage(html, 'http://127.0.0.1/x/i/0/a/'),
    listed.map(f => ({
      ...f,
      requiresPython: f.requiresPython,
      yanked: f.yanked,
      metadata: f.metadata
    }))
  )
})
