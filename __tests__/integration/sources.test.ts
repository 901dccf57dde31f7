/**
 * Sources, with real pip and real build backends: an sdist-only requirement on the index is built
 * on the runner and taken when pure (setuptools and hatchling sdists), a local package (`-e
 * ./libs/common`) is built and installed as a normal package with its own dependency from the
 * index, a C-extension sdist is refused by name, and `build-sdists: never` refuses the pure one.
 *
 * The index (loopback, behind basic auth so the password is also checked against the log) carries
 * the sdists generated here and the build backends' wheels copied from this machine's mirror
 * (/opt/pypi/simple/{setuptools,wheel,hatchling,…}): pip's build isolation installs the backend
 * from the index, and hermeticPipEnv() hides this machine's pip config, so nothing else would.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { promises as fs } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { findRuntime, type Runtime } from '../../src/runtimes'
import { type PipOptions } from '../../src/resolve/pip'
import { NoCompatibleWheelError } from '../../src/resolve/pip-errors'
import { installLayer } from '../helpers/layer'
import { NeedsCompilerError } from '../../src/python/build'
import {
  pinnedFromResolution,
  resolveWithSources,
  type SourceResolveOptions
} from '../../src/resolve/sources'
import { markerEnvironment } from '../../src/runtimes'
import { fetchPinned } from '../helpers/pinned'

/** resolve (pip's report, sources built) → pinned set → the files, by the fetcher. */
async function downloadWithSources(o: SourceResolveOptions) {
  const { items, built } = await resolveWithSources(o)
  const env = markerEnvironment(o.pip.runtime, o.pip.architecture)
  const entries = await pinnedFromResolution(items, built, { env, indexFor: () => o.pip.indexUrl })
  const fetched = await fetchPinned(
    { entries, skipped: [], summary: '' },
    {
      dir: o.pip.wheelhouse,
      target: { runtime: o.pip.runtime, architecture: o.pip.architecture },
      source: 'requirements.txt',
      origin: 'index',
      buildSdists: o.buildSdists,
      build: {
        python: 'python3',
        env: o.pip.env,
        indexUrl: o.pip.indexUrl,
        pipArgs: o.pip.pipArgs
      },
      http: { credentials: o.pip.indexUrl ? [o.pip.indexUrl] : [] }
    }
  )
  return { files: fetched.wheels.map(f => path.basename(f.file)).sort(), built, entries }
}
import { InputError } from '../../src/errors'
import { hermeticPipEnv } from '../helpers/pip-env'
import { captureLog, type CapturedLog } from '../helpers/log'
import { makeIndex, makeWheel, serveIndex, type ServedIndex } from '../helpers/wheels'
import { backendWheels, makeSourceDist, makeSourceTree } from '../helpers/sdists'

const PASSWORD = 'sdist-s3cret-Zq9'
let tmp: string
let index: ServedIndex | undefined
let skip: string | false = false

const rt = (v: string): Runtime => {
  const r = findRuntime(v)
  assert.ok(r)
  return r
}

before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'layer-sources-'))
  const backends = await backendWheels()
  if ('missing' in backends) {
    skip = `this machine's mirror lacks the build backends' wheels (${backends.missing.join(', ')}) that the test index must carry`
    return
  }
  const built = path.join(tmp, 'built')
  await makeIndex(path.join(tmp, 'index'), [
    ...backends.files,
    await makeSourceDist(built, {
      name: 'sdpure',
      version: '1.0',
      backend: 'setuptools',
      dependencies: ['wheeldep>=1']
    }),
    // its dependency is itself source-only: found by the next round of pip download
    await makeSourceDist(built, {
      name: 'hatchpure',
      version: '2.1',
      backend: 'hatchling',
      dependencies: ['deepsrc>=0.1']
    }),
    await makeSourceDist(built, { name: 'deepsrc', version: '0.2', backend: 'setuptools' }),
    await makeSourceDist(built, {
      name: 'cext',
      version: '0.3',
      backend: 'setuptools',
      cExtension: true
    }),
    // 1.0 needs Python 3.12: only a target of 3.12+ takes it, whatever Python the runner has
    await makeSourceDist(built, {
      name: 'newonly',
      version: '1.0',
      backend: 'setuptools',
      requiresPython: '>=3.12'
    }),
    await makeSourceDist(built, { name: 'newonly', version: '0.9', backend: 'setuptools' }),
    await makeWheel(built, { name: 'wheeldep', version: '1.5', tags: 'py3-none-any' }),
    await makeWheel(built, { name: 'localdep', version: '3.0', tags: 'py3-none-any' })
  ])
  index = await serveIndex(path.join(tmp, 'index'), {
    auth: { username: 'builder', password: PASSWORD }
  })
})

after(async () => {
  await index?.close()
  await fs.rm(tmp, { recursive: true, force: true })
})

/** A workspace with the requirements and a local package at libs/common. */
async function workspace(name: string, requirements: string): Promise<string> {
  const ws = path.join(tmp, name)
  await makeSourceTree(path.join(ws, 'libs', 'common'), {
    name: 'makoto-common',
    version: '0.4.0',
    backend: 'hatchling',
    dependencies: ['localdep>=3']
  })
  await fs.writeFile(path.join(ws, 'requirements.txt'), requirements)
  return ws
}

function pipOptions(ws: string, runtime: Runtime, architecture: 'x86_64' | 'arm64'): PipOptions {
  return {
    requirements: path.join(ws, 'requirements.txt'),
    wheelhouse: path.join(ws, '.wheelhouse'),
    runtime,
    architecture,
    python: 'python3',
    indexUrl: index?.url,
    pipArgs: [],
    env: hermeticPipEnv(),
    cwd: ws
  }
}

/** downloadWithSources for the workspace with the log captured: what it threw (if anything) and the log. */
async function failedDownload(
  ws: string,
  runtime: Runtime,
  architecture: 'x86_64' | 'arm64',
  buildSdists: 'pure' | 'never' = 'pure'
): Promise<{ error: unknown; log: CapturedLog }> {
  const log = captureLog()
  try {
    await downloadWithSources({
      pip: pipOptions(ws, runtime, architecture),
      buildSdists,
      workDir: path.join(ws, '.work'),
      workspace: ws
    })
    return { error: undefined, log }
  } catch (error: unknown) {
    return { error, log }
  } finally {
    log.restore()
  }
}

test('setuptools and hatchling sdists and a local package are built, installed with their dist-info, and import with their versions', async t => {
  if (skip) return t.skip(skip)
  const ws = await workspace('pure', 'sdpure==1.0\n# a comment\nhatchpure\n-e ./libs/common\n')
  // the target is another Python and CPU than this runner's: pure wheels load on both
  const pip = pipOptions(ws, rt('3.12'), 'arm64')
  const log = captureLog()
  let result
  try {
    result = await downloadWithSources({
      pip,
      buildSdists: 'pure',
      workDir: path.join(ws, '.work'),
      workspace: ws
    })
  } finally {
    log.restore()
  }
  assert.deepEqual(result.files, [
    'deepsrc-0.2-py3-none-any.whl',
    'hatchpure-2.1-py3-none-any.whl',
    'localdep-3.0-py3-none-any.whl',
    'makoto_common-0.4.0-py3-none-any.whl',
    'sdpure-1.0-py3-none-any.whl',
    'wheeldep-1.5-py3-none-any.whl'
  ])
  assert.deepEqual(result.built.map(b => [b.name, b.version, b.origin, b.from]).sort(), [
    ['deepsrc', '0.2', 'sdist', 'deepsrc-0.2.tar.gz'],
    ['hatchpure', '2.1', 'sdist', 'hatchpure-2.1.tar.gz'],
    ['makoto-common', '0.4.0', 'local', 'libs/common'],
    ['sdpure', '1.0', 'sdist', 'sdpure-1.0.tar.gz']
  ])
  // the index password never reaches a log line (the ::add-mask:: commands are the runner's own)
  const leaked = log.lines.filter(l => l.includes(PASSWORD) && !l.startsWith('::add-mask::'))
  assert.deepEqual(leaked, [])
  assert.match(log.text(), /only a source distribution: building sdpure-1\.0\.tar\.gz/)

  const target = path.join(ws, 'layer', 'python')
  await installLayer(
    result.files.map(f => path.join(pip.wheelhouse, f)),
    target
  )
  const entries = await fs.readdir(target)
  for (const d of [
    'sdpure-1.0.dist-info',
    'hatchpure-2.1.dist-info',
    'makoto_common-0.4.0.dist-info'
  ])
    assert.ok(entries.includes(d), `${d} in ${entries.join(', ')}`)
  // a layer cannot be editable: no .pth pointing back into the workspace, no direct_url.json
  assert.deepEqual(
    entries.filter(e => e.endsWith('.pth')),
    []
  )
  assert.equal(
    await fs
      .access(path.join(target, 'makoto_common-0.4.0.dist-info', 'direct_url.json'))
      .then(() => true)
      .catch(() => false),
    false
  )
  const out = execFileSync(
    'python3',
    [
      '-I',
      '-c',
      'import sys; sys.path.insert(0, sys.argv[1]); import sdpure, hatchpure, makoto_common, localdep, wheeldep; ' +
        'print(sdpure.__version__, hatchpure.__version__, makoto_common.__version__, ' +
        'all(m.__file__.startswith(sys.argv[1]) for m in (sdpure, hatchpure, makoto_common)))',
      target
    ],
    { encoding: 'utf8' }
  )
  assert.equal(out.trim(), '1.0 2.1 0.4.0 True')
})

test('a C-extension sdist is refused by name: a wheel compiled on the runner would not load on Lambda', async t => {
  if (skip) return t.skip(skip)
  const ws = await workspace('cext', 'cext==0.3\n')
  const { error } = await failedDownload(ws, rt('3.12'), 'arm64')
  assert.ok(error instanceof NeedsCompilerError, String(error))
  assert.equal(error.project, 'cext')
  assert.match(error.message, /^cext 0\.3 \(from cext-0\.3\.tar\.gz\) needs a compiler/)
  assert.match(error.message, /glibc 2\.34, aarch64/)
  assert.match(error.message, /publish a manylinux wheel of cext for aarch64 and cp312/i)
  assert.match(error.message, /public\.ecr\.aws\/sam\/build-python3\.12/)
})

test('build-sdists: never refuses the pure sdist by name, and no build backend runs', async t => {
  if (skip) return t.skip(skip)
  const ws = await workspace('never', 'sdpure==1.0\n')
  const { error, log } = await failedDownload(ws, rt('3.11'), 'x86_64', 'never')
  assert.ok(error instanceof NoCompatibleWheelError, String(error))
  assert.equal(error.project, 'sdpure')
  assert.match(error.message, /^No wheel of 'sdpure'/)
  assert.match(
    error.message,
    /sdpure is there as source \(sdpure-1\.0\.tar\.gz\) and build-sdists is 'never'/
  )
  assert.match(error.message, /Set build-sdists: pure/)
  assert.doesNotMatch(log.text(), /Building a wheel/)
  await assert.rejects(fs.access(path.join(ws, '.work', 'sdists')))
})

test('a VCS requirement is an input error naming the file and line; a missing local path too', async () => {
  const ws = path.join(tmp, 'vcs')
  await fs.mkdir(ws, { recursive: true })
  const opts = (file: string): Parameters<typeof downloadWithSources>[0] => ({
    pip: { ...pipOptions(ws, rt('3.12'), 'x86_64'), requirements: path.join(ws, file) },
    buildSdists: 'pure',
    workDir: path.join(ws, '.work'),
    workspace: ws
  })
  await fs.writeFile(path.join(ws, 'requirements.txt'), 'six\n-r more.txt\n')
  await fs.writeFile(
    path.join(ws, 'more.txt'),
    '# shared\nmylib @ git+https://github.com/org/mylib@v1.2\n'
  )
  await assert.rejects(downloadWithSources(opts('requirements.txt')), (e: unknown) => {
    assert.ok(e instanceof InputError)
    assert.match(
      e.message,
      /^Input 'requirements' has an invalid value "more\.txt:2: mylib @ git\+https/
    )
    assert.match(e.message, /VCS requirement \(git\+…\)/)
    return true
  })
  await fs.writeFile(path.join(ws, 'missing.txt'), '-e ./libs/nothere\n')
  await assert.rejects(downloadWithSources(opts('missing.txt')), (e: unknown) => {
    assert.ok(e instanceof InputError)
    assert.match(e.message, /"missing\.txt:1: -e \.\/libs\/nothere"/)
    return true
  })
})

test('a local package whose C code fails to compile is refused as needing a compiler, naming it', async t => {
  if (skip) return t.skip(skip)
  const ws = await workspace('broken-c', './libs/fast\n')
  await makeSourceTree(path.join(ws, 'libs', 'fast'), {
    name: 'fastlocal',
    version: '1.0',
    backend: 'setuptools',
    cExtension: true
  })
  await fs.writeFile(path.join(ws, 'libs', 'fast', 'fastlocal', '_speed.c'), 'this is not C;\n')
  const { error } = await failedDownload(ws, rt('3.11'), 'x86_64')
  assert.ok(error instanceof NeedsCompilerError, String(error))
  assert.match(
    error.message,
    /^fastlocal \(from libs\/fast\) needs a compiler: its build failed while compiling/
  )
  assert.match(error.message, /python3\.11 \(Amazon Linux 2, glibc 2\.26, x86_64\)/)
})

test("the sdist is chosen for the target's Python, not the runner's, and built on the runner's", async t => {
  if (skip) return t.skip(skip)
  for (const [version, expected] of [
    ['3.12', 'newonly-1.0-py3-none-any.whl'],
    ['3.11', 'newonly-0.9-py3-none-any.whl']
  ]) {
    const ws = await workspace(`requires-python-${version}`, 'newonly\n')
    const log = captureLog()
    try {
      const result = await downloadWithSources({
        pip: pipOptions(ws, rt(version), 'x86_64'),
        buildSdists: 'pure',
        workDir: path.join(ws, '.work'),
        workspace: ws
      })
      assert.deepEqual(result.files, [expected])
    } finally {
      log.restore()
    }
  }
})
