/**
 * One project locked four ways — uv.lock, poetry.lock (Poetry 2), Pipfile.lock, pylock.toml — each
 * fixture written in its tool's real format (where each format comes from is said at the top of
 * each file in __tests__/fixtures/locks/ and in its README): every lock builds the same layer,
 * exactly the locked versions, nothing extra, with real generated wheels served by a real PEP 503
 * index on loopback (behind basic auth: the password must never reach the log) and real pip
 * installing the fetched wheels (hermetic: this machine's pip config is neutralised).
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { promises as fs } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { ActionInputs } from '../../src/inputs'
import type { Plan } from '../../src/plan'
import { findRuntime, type Architecture } from '../../src/runtimes'
import { inputFormat } from '../../src/resolve/formats'
import { wheelhouseFor } from '../../src/main'
import { NoCompatibleWheelError } from '../../src/resolve/pip-errors'
import { installLayer } from '../helpers/layer'
import { FetchError, HashMismatchError } from '../../src/fetch/files'
import { pinnedFromLock } from '../../src/resolve/locks'
import { markerEnvironment } from '../../src/runtimes'
import { fetchPinned } from '../helpers/pinned'
import { hermeticPipEnv } from '../helpers/pip-env'
import { captureLog, type CapturedLog } from '../helpers/log'
import {
  makeIndex,
  makeWheel,
  serveIndex,
  type BuiltWheel,
  type ServedIndex
} from '../helpers/wheels'
import {
  LOCK_FILES,
  PROJECT_WHEELS,
  factsOf,
  renderLock,
  type FileFacts,
  type LockKind
} from '../helpers/lock-fixtures'

const PASSWORD = 'l0ck-s3cret-Zq9'
const KINDS: LockKind[] = ['uv', 'poetry', 'pipfile', 'pylock']
let tmp: string
let built: BuiltWheel[]
let facts: Map<string, FileFacts>
let index: ServedIndex
let tampered: ServedIndex
let log: CapturedLog
const savedPath = process.env.PATH

before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'layer-locks-'))
  built = await Promise.all(PROJECT_WHEELS.map(w => makeWheel(path.join(tmp, 'built'), w)))
  facts = await factsOf(built.map(b => b.path))
  await makeIndex(path.join(tmp, 'index'), built)
  index = await serveIndex(path.join(tmp, 'index'), {
    auth: { username: 'ci', password: PASSWORD }
  })
  // the same index, but plainpkg-1.0's wheel was replaced after locking (same name, other bytes)
  const swapped = await makeWheel(path.join(tmp, 'swapped'), {
    name: 'plainpkg',
    version: '1.0',
    tags: 'py3-none-any',
    modules: { 'plainpkg/__init__.py': 'import os  # not what was locked\n' }
  })
  await makeIndex(path.join(tmp, 'tampered'), [
    ...built.filter(b => b.filename !== swapped.filename),
    swapped
  ])
  tampered = await serveIndex(path.join(tmp, 'tampered'), {
    auth: { username: 'ci', password: PASSWORD }
  })
  // the action looks for the target Python on PATH; keep the runner's python3 only
  log = captureLog()
})

after(async () => {
  log.restore()
  process.env.PATH = savedPath
  await index.close()
  await tampered.close()
  await fs.rm(tmp, { recursive: true, force: true })
})

const rt = (v: string) => {
  const r = findRuntime(v)
  assert.ok(r, v)
  return r
}

/** Writes the lock of `kind` for `served` into a fresh project directory. */
async function project(kind: LockKind, served: ServedIndex, name: string): Promise<string> {
  const dir = path.join(tmp, 'projects', `${name}-${kind}`)
  await fs.mkdir(path.join(dir, 'wheels'), { recursive: true })
  const text = renderLock(kind, {
    index: served.plainUrl,
    filesUrl: served.plainUrl.replace(/simple\/$/, 'files/'),
    facts
  })
  await fs.writeFile(path.join(dir, LOCK_FILES[kind]), text)
  // pylock.toml records extrapkg by path, next to the lock
  const extra = built.find(b => b.filename === 'extrapkg-1.0-py3-none-any.whl')
  assert.ok(extra)
  await fs.copyFile(extra.path, path.join(dir, 'wheels', extra.filename))
  return path.join(dir, LOCK_FILES[kind])
}

interface Run {
  kind: LockKind
  served?: ServedIndex
  version?: string
  architecture?: Architecture
  extras?: string[]
  groups?: string[]
  wheelhouse?: string
  name?: string
}

async function resolveLock(r: Run, entry: 'lock' | 'resolveWheels' = 'lock') {
  const served = r.served ?? index
  const name = r.name ?? 'p'
  const lock = await project(r.kind, served, name)
  const runtime = rt(r.version ?? '3.12')
  const architecture = r.architecture ?? 'x86_64'
  const inputs = {
    workspace: path.dirname(lock),
    requirements: lock,
    requirementsFormat: inputFormat(lock),
    extras: r.extras ?? [],
    groups: r.groups ?? [],
    buildSdists: 'pure',
    runtime,
    architecture,
    indexUrl: served.url,
    pipArgs: [],
    cache: false
  } as unknown as ActionInputs
  const wheelhouse = r.wheelhouse ?? path.join(tmp, 'wheelhouses', `${name}-${r.kind}`)
  const plan = {
    wheelhouse,
    runtimeLabel: `${runtime.identifier} ${architecture}`
  } as unknown as Plan
  void entry
  return wheelhouseFor(inputs, plan)
}

/** Installs with real pip and returns each file of the layer → sha256 (RECORD aside). */
async function layerOf(r: Run, resolution: Awaited<ReturnType<typeof resolveLock>>) {
  const dir = path.join(tmp, 'layers', `${r.name ?? 'p'}-${r.kind}`, 'python')
  await fs.rm(dir, { recursive: true, force: true })
  await installLayer(
    resolution.wheels.map(w => w.file),
    dir
  )
  const files = new Map<string, string>()
  const walk = async (d: string): Promise<void> => {
    for (const e of await fs.readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name)
      if (e.isDirectory()) await walk(p)
      else
        files.set(
          path.relative(dir, p),
          createHash('sha256')
            .update(await fs.readFile(p))
            .digest('hex')
        )
    }
  }
  await walk(dir)
  return files
}

function distributions(layer: Map<string, string>): string[] {
  return [
    ...new Set(
      [...layer.keys()]
        .map(f => /^([^/]+)-([^/-]+)\.dist-info\//.exec(f))
        .filter((m): m is RegExpExecArray => m !== null)
        .map(m => `${m[1]} ${m[2]}`)
    )
  ].sort()
}

test('uv, Poetry 2, Pipenv and PEP 751 locks of one project build the same layer: exactly the locked versions, nothing extra', async () => {
  const layers = new Map<LockKind, Map<string, string>>()
  for (const kind of KINDS) {
    // Pipfile.lock has no extras: pipenv puts optional packages in a custom category
    const r: Run =
      kind === 'pipfile' ? { kind, groups: ['speedups'] } : { kind, extras: ['speedups'] }
    const resolution = await resolveLock(r)
    const files = resolution.wheels.map(w => path.basename(w.file)).sort()
    assert.deepEqual(
      files,
      [
        'depdep-1.0-py3-none-any.whl',
        'extrapkg-1.0-py3-none-any.whl',
        // the best of six wheels for python3.12 x86_64, as pip would pick
        'fastpkg-2.0-cp312-cp312-manylinux_2_28_x86_64.whl',
        'plainpkg-1.0-py3-none-any.whl'
      ],
      kind
    )
    assert.ok(resolution.wheels.every(w => w.origin === 'lock'))
    const layer = await layerOf(r, resolution)
    assert.deepEqual(
      distributions(layer),
      ['depdep 1.0', 'extrapkg 1.0', 'fastpkg 2.0', 'plainpkg 1.0'],
      kind
    )
    const tag = await fs.readFile(
      path.join(tmp, 'layers', `p-${kind}`, 'python', 'fastpkg', '__init__.py'),
      'utf8'
    )
    assert.equal(tag, "TAG = 'cp312-cp312-manylinux_2_28_x86_64'\n")
    layers.set(kind, layer)
  }
  const [first, ...others] = [...layers.values()].map(l => JSON.stringify([...l].sort()))
  for (const other of others) assert.equal(other, first)
  // what was left out, and why, is in the log
  const text = log.text()
  assert.match(text, /left out winonly 1\.0: .*sys_platform == 'win32'/)
  assert.match(text, /left out backport 1\.0: .*python_(full_)?version < .3\.11./)
  assert.match(text, /left out devtool 1\.0: /)
  // registered with the runner's masking, and in no other line
  const leaking = log.lines.filter(l => l.includes(PASSWORD) && !l.startsWith('::add-mask::'))
  assert.deepEqual(leaking, [])
  assert.ok(log.lines.includes(`::add-mask::${PASSWORD}`))
})

test('the dev group is installed only when named, in every format', async () => {
  for (const kind of KINDS) {
    const resolution = await resolveLock({ kind, groups: ['dev'], name: 'dev' })
    assert.deepEqual(
      resolution.wheels.map(w => `${w.name} ${w.version}`).sort(),
      ['depdep 1.0', 'devtool 1.0', 'fastpkg 2.0', 'plainpkg 1.0'],
      kind
    )
  }
})

test('markers and tags follow the target: python3.10 takes the backport and the abi3 wheel, arm64 the aarch64 wheel', async () => {
  for (const kind of KINDS) {
    const old = await resolveLock({ kind, version: '3.10', name: 'py310' })
    assert.deepEqual(
      old.wheels.map(w => path.basename(w.file)).sort(),
      [
        'backport-1.0-py3-none-any.whl',
        'depdep-1.0-py3-none-any.whl',
        'fastpkg-2.0-cp39-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl',
        'plainpkg-1.0-py3-none-any.whl'
      ],
      kind
    )
    const arm = await resolveLock({ kind, architecture: 'arm64', name: 'arm' })
    assert.ok(
      arm.wheels.some(
        w =>
          path.basename(w.file) ===
          'fastpkg-2.0-cp312-cp312-manylinux_2_17_aarch64.manylinux2014_aarch64.whl'
      ),
      kind
    )
  }
})

test('a second run reuses the verified files of the wheelhouse instead of downloading them', async () => {
  const wheelhouse = path.join(tmp, 'wheelhouses', 'reuse')
  await resolveLock({ kind: 'uv', wheelhouse, name: 'reuse1' })
  const before = index.requests.filter(r => r.startsWith('/files/')).length
  await resolveLock({ kind: 'uv', wheelhouse, name: 'reuse2' })
  assert.equal(index.requests.filter(r => r.startsWith('/files/')).length, before)
  assert.match(log.text(), /3 wheel\(s\) for .* \(3 already in the wheelhouse: /)
  // a file in the wheelhouse with the wrong bytes is fetched again, not trusted
  await fs.writeFile(path.join(wheelhouse, 'depdep-1.0-py3-none-any.whl'), 'corrupt')
  const again = await resolveLock({ kind: 'uv', wheelhouse, name: 'reuse3' })
  assert.equal(index.requests.filter(r => r.startsWith('/files/')).length, before + 1)
  assert.equal(
    createHash('sha256')
      .update(await fs.readFile(again.wheels.find(w => w.name === 'depdep')!.file))
      .digest('hex'),
    facts.get('depdep-1.0-py3-none-any.whl')!.sha256
  )
})

test('a file whose bytes changed after locking fails by name, with both hashes, in every format', async () => {
  for (const kind of KINDS) {
    await assert.rejects(
      resolveLock({ kind, served: tampered, name: 'tampered' }),
      (error: unknown) => {
        assert.ok(error instanceof HashMismatchError, `${kind}: ${String(error)}`)
        assert.match(error.message, /plainpkg-1\.0-py3-none-any\.whl \(plainpkg 1\.0\)/)
        assert.match(
          error.message,
          new RegExp(`expected sha256:${facts.get('plainpkg-1.0-py3-none-any.whl')!.sha256}`)
        )
        assert.match(error.message, /got sha256:[0-9a-f]{64}/)
        assert.ok(!error.message.includes(PASSWORD))
        return true
      }
    )
  }
  // nothing unverified stays in the wheelhouse
  const left: string[] = await fs
    .readdir(path.join(tmp, 'wheelhouses', 'tampered-uv'))
    .catch(() => [])
  assert.ok(!left.includes('plainpkg-1.0-py3-none-any.whl'))
})

test('a locked package with no wheel for the target gets the no-wheel explanation; build-sdists never refuses a source-only one', async () => {
  const target = { runtime: rt('3.12'), architecture: 'x86_64' as const }
  const hash = `{ sha256 = '${'0'.repeat(64)}' }`
  // PEP 751: a package with wheels for Windows and macOS only, and one with an sdist only
  const header = ["lock-version = '1.0'", "created-by = 'layer-action tests'", '[[packages]]']
  const locks: Record<string, string[]> = {
    winlib: [
      "name = 'winlib'",
      "version = '1.0'",
      'wheels = [',
      `  { name = 'winlib-1.0-cp312-cp312-win_amd64.whl', url = 'https://example.invalid/a.whl', hashes = ${hash} },`,
      `  { name = 'winlib-1.0-cp312-cp312-macosx_11_0_arm64.whl', url = 'https://example.invalid/b.whl', hashes = ${hash} },`,
      ']'
    ],
    srconly: [
      "name = 'srconly'",
      "version = '1.0'",
      `sdist = { name = 'srconly-1.0.tar.gz', url = 'https://example.invalid/s.tar.gz', hashes = ${hash} }`
    ]
  }
  const pin = (only: string, buildSdists: 'pure' | 'never') =>
    pinnedFromLock(
      {
        file: path.join(tmp, 'pylock.toml'),
        display: 'pylock.toml',
        text: [...header, ...locks[only], ''].join('\n'),
        extras: [],
        groups: [],
        env: markerEnvironment(target.runtime, target.architecture),
        indexUrl: ''
      },
      'pylock',
      { target, buildSdists, roots: { workspace: tmp, temp: tmp } }
    )
  assert.throws(
    () => pin('winlib', 'pure'),
    (error: unknown) => {
      assert.ok(error instanceof NoCompatibleWheelError, String(error))
      assert.match(error.message, /No wheel of 'winlib' fits python3\.12/)
      assert.match(error.message, /winlib-1\.0-cp312-cp312-win_amd64\.whl/)
      return true
    }
  )
  assert.throws(
    () => pin('srconly', 'never'),
    /srconly 1\.0 .* only a source distribution .* build-sdists is 'never'/
  )
  // the fetcher refuses it too, whoever pinned it
  const sdist = pin('srconly', 'pure')
  await assert.rejects(
    fetchPinned(sdist, {
      dir: path.join(tmp, 'wheelhouses', 'never'),
      target,
      buildSdists: 'never'
    }),
    (error: unknown) => {
      assert.ok(error instanceof FetchError)
      assert.match(
        error.message,
        /srconly 1\.0 .* only a source distribution .* build-sdists is 'never'/
      )
      return true
    }
  )
})

test("the run's wheelhouse for a lock file: no pip resolver, origin lock", async () => {
  const resolution = await resolveLock({ kind: 'pylock', name: 'wired' }, 'resolveWheels')
  assert.deepEqual(resolution.wheels.map(w => `${w.name} ${w.version} ${w.origin}`).sort(), [
    'depdep 1.0 lock',
    'fastpkg 2.0 lock',
    'plainpkg 1.0 lock'
  ])
  assert.equal(resolution.cache, 'off')
})

test('a path dependency of a lock is built on the runner into a pure wheel (flit_core copied from the machine mirror into the test index)', async () => {
  // the build backend comes from the test's own index, as pip's build isolation fetches it; the
  // wheel is copied from this machine's mirror (/opt/pypi), never read through pip's config
  const backendRoot = path.join(tmp, 'backend-index')
  await makeIndex(backendRoot, ['/opt/pypi/files/flit_core-4.1.0-py3-none-any.whl'])
  const backend = await serveIndex(backendRoot)
  try {
    const src = path.join(tmp, 'libs', 'localpkg')
    await fs.mkdir(path.join(src, 'localpkg'), { recursive: true })
    await fs.writeFile(
      path.join(src, 'pyproject.toml'),
      '[build-system]\nrequires = ["flit_core>=3.2,<5"]\nbuild-backend = "flit_core.buildapi"\n\n[project]\nname = "localpkg"\nversion = "0.3.0"\ndescription = "shared code"\n'
    )
    await fs.writeFile(path.join(src, 'localpkg', '__init__.py'), '"""shared code"""\n')
    const runtime = rt('3.12')
    const target = { runtime, architecture: 'x86_64' as const }
    const house = await fetchPinned(
      {
        entries: [
          {
            name: 'localpkg',
            version: '0.3.0',
            artifact: { kind: 'directory', path: src },
            requiredBy: [],
            dependencies: []
          }
        ],
        skipped: [],
        summary: ''
      },
      {
        dir: path.join(tmp, 'wheelhouses', 'local'),
        target,
        buildSdists: 'never', // local paths are always built
        build: { python: 'python3', env: hermeticPipEnv(), indexUrl: backend.url }
      }
    )
    const [wheel] = house.wheels
    assert.equal(wheel.origin, 'local')
    assert.match(path.basename(wheel.file), /^localpkg-0\.3\.0-(py2\.)?py3-none-any\.whl$/)
    assert.equal(wheel.version, '0.3.0')
  } finally {
    await backend.close()
  }
})
