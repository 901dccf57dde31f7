/**
 * Real pip against a local PEP 503 index of generated wheels (behind basic auth, so every run also
 * proves the credentials stay out of the log): which wheel each Lambda runtime gets.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { promises as fs } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { findRuntime, type Architecture, type Runtime } from '../../src/runtimes'
import { downloadWheels } from '../../src/resolve/pip'
import { NoCompatibleWheelError } from '../../src/resolve/pip-errors'
import { PipError } from '../../src/python/pip'
import { hermeticPipEnv } from '../helpers/pip-env'
import { wheelContent } from '../../src/assemble/wheel'
import { mergeWheels } from '../../src/assemble/layer'
import { captureLog, type CapturedLog } from '../helpers/log'
import {
  makeIndex,
  makeSdist,
  makeWheel,
  serveIndex,
  type ServedIndex,
  type WheelSpec
} from '../helpers/wheels'

const PASSWORD = 'pa55-w0rd-x7Q'
const python = 'python3'
let tmp: string
let index: ServedIndex
let log: CapturedLog

const rt = (v: string): Runtime => {
  const r = findRuntime(v)
  assert.ok(r)
  return r
}

const WHEELS: WheelSpec[] = [
  { name: 'glibcpick', version: '1.0', tags: 'py3-none-manylinux_2_28_x86_64' },
  // tagged only with the PEP 600 name, no manylinux2014 alias in the file name
  { name: 'glibcpick', version: '1.0', tags: 'py3-none-manylinux_2_17_x86_64' },
  { name: 'al2edge', version: '1.0', tags: 'py3-none-manylinux_2_26_x86_64' },
  { name: 'edge', version: '1.0', tags: 'py3-none-manylinux_2_34_x86_64' },
  { name: 'edge', version: '2.0', tags: 'py3-none-manylinux_2_35_x86_64' },
  { name: 'muslpkg', version: '1.0', tags: 'py3-none-manylinux2014_x86_64' },
  { name: 'muslpkg', version: '2.0', tags: 'py3-none-musllinux_1_2_x86_64' },
  { name: 'abipkg', version: '1.0', tags: 'cp39-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64' },
  { name: 'archpkg', version: '1.0', tags: 'py3-none-manylinux_2_17_x86_64' },
  { name: 'archpkg', version: '1.0', tags: 'py3-none-manylinux_2_17_aarch64' },
  { name: 'archpkg', version: '2.0', tags: 'py3-none-manylinux_2_17_x86_64' },
  { name: 'with-dep', version: '1.0', tags: 'py3-none-any', requires: ['depdep>=1.0'] },
  { name: 'depdep', version: '0.9', tags: 'py3-none-any' },
  { name: 'depdep', version: '1.0', tags: 'py3-none-any' },
  { name: 'needs-sdist', version: '1.0', tags: 'py3-none-any', requires: ['sdistonly'] },
  { name: 'toonew', version: '1.0', tags: 'cp311-cp311-manylinux_2_28_x86_64' },
  { name: 'toonew', version: '2.0', tags: 'py3-none-manylinux_2_28_x86_64' }
]

before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'layer-wheels-'))
  const built = [
    ...(await Promise.all(WHEELS.map(w => makeWheel(path.join(tmp, 'built'), w)))),
    await makeSdist(path.join(tmp, 'built'), 'sdistonly', '1.0'),
    await makeSdist(path.join(tmp, 'built'), 'sdistonly', '1.1')
  ]
  await makeIndex(path.join(tmp, 'index'), built)
  index = await serveIndex(path.join(tmp, 'index'), {
    auth: { username: 'ci', password: PASSWORD }
  })
  log = captureLog()
})

after(async () => {
  log.restore()
  await index.close()
  await fs.rm(tmp, { recursive: true, force: true })
})

let counter = 0
async function requirements(...lines: string[]): Promise<string> {
  const file = path.join(tmp, `requirements-${++counter}.txt`)
  await fs.writeFile(file, lines.join('\n') + '\n')
  return file
}

function download(
  reqs: string,
  runtime: Runtime,
  architecture: Architecture,
  wheelhouse: string,
  env = hermeticPipEnv()
) {
  return downloadWheels({
    requirements: reqs,
    wheelhouse,
    runtime,
    architecture,
    python,
    indexUrl: index.url,
    pipArgs: [],
    env
  })
}

const wheelhouse311 = () => path.join(tmp, 'wh-311')

test('python3.11 never gets a wheel needing glibc newer than 2.26; abi3 and dependencies come along; musllinux never', async () => {
  const reqs = await requirements('glibcpick', 'al2edge', 'muslpkg', 'abipkg', 'with-dep')
  const names = await download(reqs, rt('3.11'), 'x86_64', wheelhouse311())
  assert.deepEqual(names, [
    'abipkg-1.0-cp39-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl',
    'al2edge-1.0-py3-none-manylinux_2_26_x86_64.whl',
    'depdep-1.0-py3-none-any.whl',
    'glibcpick-1.0-py3-none-manylinux_2_17_x86_64.whl',
    'muslpkg-1.0-py3-none-manylinux2014_x86_64.whl',
    'with_dep-1.0-py3-none-any.whl'
  ])
  assert.deepEqual((await fs.readdir(wheelhouse311())).sort(), names)
})

test('the layer assembled from the download holds exactly the resolved set, without bytecode', async () => {
  const reqs = await requirements('glibcpick', 'with-dep')
  const resolved = await download(reqs, rt('3.11'), 'x86_64', wheelhouse311())
  const contents = await Promise.all(resolved.map(f => wheelContent(path.join(wheelhouse311(), f))))
  const entries = mergeWheels(contents)
  assert.deepEqual([...new Set(entries.map(e => e.path.split('/')[0]))].sort(), [
    'depdep',
    'depdep-1.0.dist-info',
    'glibcpick',
    'glibcpick-1.0.dist-info',
    'with_dep',
    'with_dep-1.0.dist-info'
  ])
  assert.ok(entries.some(e => e.path === 'glibcpick-1.0.dist-info/WHEEL'))
  assert.ok(!entries.some(e => e.path.includes('__pycache__') || e.path.endsWith('.pyc')))
})

test('a wheelhouse that already holds the wheels is reused: nothing downloaded again', async () => {
  const before = index.requests.filter(r => r.startsWith('/files/')).length
  const reqs = await requirements('with-dep')
  const names = await download(reqs, rt('3.11'), 'x86_64', wheelhouse311())
  assert.deepEqual(names, ['depdep-1.0-py3-none-any.whl', 'with_dep-1.0-py3-none-any.whl'])
  assert.equal(index.requests.filter(r => r.startsWith('/files/')).length, before)
})

test('python3.12 accepts manylinux up to 2_34 but not 2_35', async () => {
  const reqs = await requirements('glibcpick', 'edge')
  const names = await download(reqs, rt('3.12'), 'x86_64', path.join(tmp, 'wh-312'))
  assert.deepEqual(names, [
    'edge-1.0-py3-none-manylinux_2_34_x86_64.whl',
    'glibcpick-1.0-py3-none-manylinux_2_28_x86_64.whl'
  ])
})

test('arm64 gets aarch64 wheels only (an older version rather than an x86_64 wheel); PIP_INDEX_URL from the environment is respected', async () => {
  const reqs = await requirements('archpkg')
  const names = await downloadWheels({
    requirements: reqs,
    wheelhouse: path.join(tmp, 'wh-arm'),
    runtime: rt('3.12'),
    architecture: 'arm64',
    python,
    pipArgs: [],
    env: hermeticPipEnv({ PIP_INDEX_URL: index.url })
  })
  assert.deepEqual(names, ['archpkg-1.0-py3-none-manylinux_2_17_aarch64.whl'])
})

test('only too-new wheels: NoCompatibleWheelError names the package, runtime, glibc, the wheels and who accepts them', async () => {
  const reqs = await requirements('toonew')
  const error = await download(reqs, rt('3.11'), 'x86_64', path.join(tmp, 'wh-fail')).then(
    () => assert.fail('expected NoCompatibleWheelError'),
    (e: unknown) => e
  )
  assert.ok(error instanceof NoCompatibleWheelError, String(error))
  assert.equal(error.project, 'toonew')
  const message = error.message
  assert.match(message, /'toonew'/)
  assert.match(message, /python3\.11 \(Amazon Linux 2, glibc 2\.26, x86_64\)/)
  assert.match(message, /toonew-2\.0-py3-none-manylinux_2_28_x86_64\.whl: python3\.12\+ \(x86_64\)/)
  assert.match(message, /toonew-1\.0-cp311-cp311-manylinux_2_28_x86_64\.whl: no Lambda runtime/)
  assert.match(message, /set python-version: '3\.12'/)
  assert.match(message, /manylinux2014/)
  assert.ok(message.indexOf('toonew-2.0') < message.indexOf('toonew-1.0'), 'newest first')
  assert.ok(message.includes(index.plainUrl.replace('http://', 'http://ci:***@')), message)
  assert.ok(!message.includes(PASSWORD), message)
})

test('a source-only dependency gets its own explanation, naming who requires it', async () => {
  const reqs = await requirements('needs-sdist')
  const error = await download(reqs, rt('3.11'), 'x86_64', path.join(tmp, 'wh-fail')).then(
    () => assert.fail('expected NoCompatibleWheelError'),
    (e: unknown) => e
  )
  assert.ok(error instanceof NoCompatibleWheelError)
  assert.equal(error.project, 'sdistonly')
  assert.match(
    error.message,
    /^No wheel of 'sdistonly' \(not asked for: it comes in through needs-sdist 1\.0 → sdistonly 1\.1\) fits python3\.11/
  )
  assert.match(error.message, /sdistonly-1\.1\.tar\.gz: source only/)
  assert.match(error.message, /only source distributions/)
  assert.ok(!error.message.includes(PASSWORD))
})

test('a missing interpreter is a PipError that says what the runner needs', async () => {
  const reqs = await requirements('glibcpick')
  await assert.rejects(
    downloadWheels({
      requirements: reqs,
      wheelhouse: path.join(tmp, 'wh-none'),
      runtime: rt('3.11'),
      architecture: 'x86_64',
      python: path.join(tmp, 'no-such-python'),
      indexUrl: index.url,
      pipArgs: [],
      env: hermeticPipEnv()
    }),
    (e: unknown) => e instanceof PipError && /needs a Python with pip/.test(e.message)
  )
})

test("any other pip failure is a PipError carrying pip's own error lines", async () => {
  const reqs = await requirements('-r does-not-exist.txt')
  await assert.rejects(
    download(reqs, rt('3.11'), 'x86_64', path.join(tmp, 'wh-fail')),
    (e: unknown) =>
      e instanceof PipError &&
      /pip could not resolve .*requirements-\d+\.txt for python3\.11/.test(e.message) &&
      /ERROR: Could not open requirements file.*does-not-exist\.txt/.test(e.message)
  )
})

test('the password never reaches the log; it is registered as a secret', () => {
  const text = log.text()
  assert.match(text, /Collecting glibcpick/, 'pip output was streamed to the log')
  const leaking = log.lines.filter(l => l.includes(PASSWORD) && !l.startsWith('::add-mask::'))
  assert.deepEqual(leaking, [])
  assert.ok(log.lines.includes(`::add-mask::${PASSWORD}`))
})
