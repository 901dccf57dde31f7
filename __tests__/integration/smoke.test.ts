/**
 * The smoke test with real interpreters: python3 of this machine stands for the target runtime
 * (3.11 here, 3.12 on ubuntu-24.04 runners), so the test runs wherever the suite runs; the pyenv
 * interpreters 3.8 and 3.9, where the machine has them, for the oldest runtimes.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync, promises as fs } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { findRuntime, type Architecture, type Runtime } from '../../src/runtimes'
import { SmokeTestError, smokeTest, smokeTestLayer } from '../../src/smoke/smoke'
import { layerModules, topLevelModules } from '../../src/smoke/modules'
import { smokeInterpreter } from '../../src/smoke/interpreter'
import type { LayerEntry } from '../../src/assemble/entries'
import { makeWheel } from '../helpers/wheels'
import { captureLog, type CapturedLog } from '../helpers/log'

const version = execFileSync('python3', ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'])
  .toString()
  .trim()
const machine = execFileSync('python3', ['-c', 'import platform; print(platform.machine())'])
  .toString()
  .trim()
const runtime = findRuntime(version) as Runtime
const architecture: Architecture = machine === 'aarch64' ? 'arm64' : 'x86_64'
const other: Architecture = architecture === 'arm64' ? 'x86_64' : 'arm64'
/** PATH on which `python3` is the runner's interpreter but `python3.X` may not be: the smoke test must cope */
const python3Dir = path.dirname(
  execFileSync('python3', ['-c', 'import sys; print(sys.executable)']).toString().trim()
)
const PYENV = '/root/.pyenv/versions'

/**
 * The runtime table's row for 3.8/3.9, or (until the table has them) the 3.10 row with the version
 * changed: the smoke test reads only the version and the identifier.
 */
function oldRuntime(v: '3.8' | '3.9'): Runtime {
  const row = findRuntime(v)
  if (row) return row
  const base = findRuntime('3.10') as Runtime
  return { ...base, version: v, identifier: `python${v}`, abi: `cp${v.replace('.', '')}` }
}

let tmp: string
let layerDir: string
let log: CapturedLog

async function write(file: string, content: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true })
  await fs.writeFile(file, content)
}

before(async () => {
  assert.ok(
    runtime,
    `python3 is ${version}, which is no Lambda runtime: this suite needs python3.10+ as python3`
  )
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'layer-smoke-test-'))
  layerDir = path.join(tmp, 'layer')
  const py = path.join(layerDir, 'python')
  // a generated package, unpacked as pip would install it, whose import raises
  const broken = await makeWheel(path.join(tmp, 'wheels'), {
    name: 'brokenpkg',
    version: '1.0',
    tags: 'py3-none-any',
    modules: {
      'brokenpkg/__init__.py': 'from . import inner\n',
      'brokenpkg/inner.py': 'x = 1\nraise RuntimeError("boom at import")\n'
    }
  })
  execFileSync('python3', ['-m', 'zipfile', '-e', broken.path, py])
  await write(path.join(py, 'goodpkg/__init__.py'), 'from goodmod import VALUE\n')
  await write(path.join(py, 'goodmod.py'), 'import json\nVALUE = json.dumps(1)\n')
  await write(path.join(py, 'nsonly/part.py'), 'X = 1\n')
  // proves isolation: the runner's site-packages (where pip lives) is not on sys.path
  await write(path.join(py, 'needs_pip.py'), 'import pip\n')
  await write(path.join(py, 'exits.py'), 'import sys\nsys.exit(3)\n')
  await write(path.join(py, 'crashes.py'), 'import ctypes\nctypes.string_at(0)\n')
  // what it prints must not be taken for a verdict
  await write(path.join(py, 'chatty.py'), 'print("{\\"ok\\": \\"chatty\\"}")\nprint("noise")\n')
  await write(path.join(py, 'zlast.py'), 'Z = 1\n')
  await write(path.join(py, 'bin/tool'), '#!/usr/bin/python3\n')
  await write(path.join(py, 'tests/__init__.py'), 'import pytest\n')
  await write(path.join(py, 'setup.py'), 'raise SystemExit("never run")\n')
  await write(path.join(py, 'fast.cpython-311-x86_64-linux-gnu.so'), '')
  await write(path.join(py, 'numpy.libs/libx.so'), '')
  log = captureLog()
})

after(async () => {
  log.restore()
  await fs.rm(tmp, { recursive: true, force: true })
})

test('top-level modules: packages, modules, extensions; never dist-info, bin, *.libs, stray tests or setup.py', async () => {
  const expected = [
    'brokenpkg',
    'chatty',
    'crashes',
    'exits',
    'fast',
    'goodmod',
    'goodpkg',
    'needs_pip',
    'nsonly',
    'zlast'
  ]
  assert.deepEqual(await layerModules(path.join(layerDir, 'python')), expected)
  // the same names from the entry paths alone, before anything is extracted
  const paths = (
    await fs.readdir(path.join(layerDir, 'python'), { recursive: true, withFileTypes: true })
  )
    .filter(e => e.isFile())
    .map(e => path.relative(path.join(layerDir, 'python'), path.join(e.parentPath, e.name)))
  assert.deepEqual(topLevelModules(paths), expected)
})

test('each failing import is reported with its module and error, side by side; the good ones pass; a crash does not stop the rest', async () => {
  await fs.rm(path.join(layerDir, 'python', 'fast.cpython-311-x86_64-linux-gnu.so'))
  for (const workers of [1, 3]) {
    const result = await smokeTest({ layerDir, runtime, architecture, workers })
    assert.equal(result.skipped, undefined)
    assert.ok(result.interpreter)
    assert.equal(result.workers, workers)
    assert.deepEqual(result.modules, [
      'brokenpkg',
      'chatty',
      'crashes',
      'exits',
      'goodmod',
      'goodpkg',
      'needs_pip',
      'nsonly',
      'zlast'
    ])
    const byModule = Object.fromEntries(result.failures.map(f => [f.module, f.error]))
    // each failing module once, with its own error
    assert.deepEqual(
      result.failures.map(f => f.module),
      ['brokenpkg', 'crashes', 'exits', 'needs_pip'],
      `workers ${workers}`
    )
    assert.equal(
      byModule.brokenpkg,
      'RuntimeError: boom at import (python/brokenpkg/inner.py, line 2)'
    )
    assert.match(
      byModule.needs_pip,
      /^ModuleNotFoundError: No module named 'pip' \(python\/needs_pip\.py, line 1\)$/
    )
    assert.match(byModule.exits, /^SystemExit: 3/)
    assert.match(byModule.crashes, /crashed while importing it \(signal SIGSEGV\)/)
    // every module that ran has a timing
    assert.equal(result.timings?.length, 8)
  }
  // importing leaves no bytecode behind in the layer's directory
  const written = await fs.readdir(path.join(layerDir, 'python'), { recursive: true })
  assert.deepEqual(
    written.filter(f => f.includes('__pycache__')),
    []
  )

  const result = await smokeTest({ layerDir, runtime, architecture, workers: 2 })
  const error = new SmokeTestError(result.failures, {
    runtime,
    architecture,
    tested: result.modules.length
  })
  assert.match(error.message, /4 of 9 top-level modules did not import/)
  assert.match(error.message, /brokenpkg: RuntimeError: boom at import/)
  assert.match(error.message, /smoke-test: false/)
})

test('an import that hangs fails on its own after the timeout; the other interpreters finish their modules', async () => {
  const dir = path.join(tmp, 'hangs')
  await write(path.join(dir, 'python/ahang.py'), 'import time\ntime.sleep(600)\n')
  await write(path.join(dir, 'python/bgood.py'), 'B = 1\n')
  await write(path.join(dir, 'python/cbad.py'), 'raise ImportError("no c")\n')
  await write(path.join(dir, 'python/dgood.py'), 'D = 1\n')
  const started = Date.now()
  const result = await smokeTest({
    layerDir: dir,
    runtime,
    architecture,
    workers: 2,
    timeoutMs: 1500
  })
  assert.ok(Date.now() - started < 60000)
  assert.deepEqual(result.failures, [
    { module: 'ahang', error: 'the import did not finish within 2 s' },
    { module: 'cbad', error: 'ImportError: no c (python/cbad.py, line 1)' }
  ])
  assert.deepEqual(result.timings?.map(t => t.module).sort(), ['bgood', 'cbad', 'dgood'])
})

test('a layer of good modules passes', async () => {
  const good = path.join(tmp, 'good-layer')
  await write(path.join(good, 'python/goodmod.py'), 'VALUE = 1\n')
  await write(path.join(good, 'python/goodpkg/__init__.py'), 'from goodmod import VALUE\n')
  const result = await smokeTest({ layerDir: good, runtime, architecture })
  assert.deepEqual(result.modules, ['goodmod', 'goodpkg'])
  assert.deepEqual(result.failures, [])
  assert.equal(result.skipped, undefined)
})

test('skipped, with the reason, when the runner has no interpreter of the target Python', async () => {
  const empty = path.join(tmp, 'empty-bin')
  await fs.mkdir(empty, { recursive: true })
  const result = await smokeTest({
    layerDir,
    runtime,
    architecture,
    env: { ...process.env, PATH: empty }
  })
  assert.deepEqual(result.failures, [])
  assert.match(
    result.skipped ?? '',
    new RegExp(`no ${runtime.identifier.replace('.', '\\.')} interpreter on the runner's PATH`)
  )
  assert.match(result.skipped ?? '', /actions\/setup-python/)

  const another = findRuntime(version === '3.13' ? '3.12' : '3.13') as Runtime
  const wrongVersion = await smokeTest({
    layerDir,
    runtime: another,
    architecture,
    env: { ...process.env, PATH: python3Dir }
  })
  assert.match(
    wrongVersion.skipped ?? '',
    new RegExp(`no ${another.identifier.replace('.', '\\.')} interpreter`)
  )
})

test('a layer for the other machine is skipped with advice that names the runner, not Python', async () => {
  const result = await smokeTest({ layerDir, runtime, architecture: other })
  assert.match(
    result.skipped ?? '',
    new RegExp(
      `the layer is for ${other} and the runner is ${machine}: its compiled modules cannot load here`
    )
  )
  assert.match(
    result.skipped ?? '',
    other === 'arm64' ? /runs-on: ubuntu-24\.04-arm/ : /runs-on: ubuntu-latest/
  )
  assert.deepEqual(result.failures, [])
  // even where the target Python is missing too: installing it would not help, so it is not the advice
  const found = await smokeInterpreter(runtime, other, {
    ...process.env,
    PATH: path.join(tmp, 'empty-bin')
  })
  assert.ok('skipped' in found)
  assert.match(found.skipped, /runs-on: /)
  assert.doesNotMatch(found.skipped, /interpreter on the runner's PATH/)
  // an arm64 runner building for x86_64 gets the mirror image of the advice
  const onArm = await smokeInterpreter(runtime, 'x86_64', process.env, 'aarch64')
  assert.ok('skipped' in onArm)
  assert.match(
    onArm.skipped,
    /the layer is for x86_64 and the runner is aarch64.*runs-on: ubuntu-latest/
  )
})

test('smokeTestLayer asks for an interpreter first: a layer for the other machine is never extracted, and the skip is a notice', async () => {
  // an entry whose file does not exist: extracting it would throw
  const entries: LayerEntry[] = [
    {
      path: 'ghost/__init__.py',
      size: 10,
      executable: false,
      source: { kind: 'file', file: path.join(os.tmpdir(), 'layer-action-no-such-file.py') }
    }
  ]
  const before = log.lines.length
  const result = await smokeTestLayer(entries, {
    runtime,
    architecture: other,
    layerDir: path.join(os.tmpdir(), 'never-made'),
    verdictDir: path.join(tmp, 'verdict'),
    cache: false
  })
  assert.match(result.skipped ?? '', /its compiled modules cannot load here/)
  assert.deepEqual(result.modules, [])
  assert.ok(
    log.lines.slice(before).some(l => /^::notice::Smoke test skipped: the layer is for/.test(l)),
    log.lines.slice(before).join('\n')
  )
})

test('an empty layer, or one without a module, passes the smoke test without extracting anything', async () => {
  const options = {
    runtime,
    architecture,
    layerDir: path.join(tmp, 'empty-layer-dir'),
    verdictDir: path.join(tmp, 'verdict'),
    cache: false
  }
  const empty = await smokeTestLayer([], options)
  assert.deepEqual(empty, {
    skipped: 'the layer has no top-level module to import',
    modules: [],
    failures: []
  })
  // only data and metadata: nothing importable
  const data: LayerEntry[] = [
    {
      path: 'README.txt',
      size: 3,
      executable: false,
      source: { kind: 'bytes', data: Buffer.from('hi\n') }
    },
    {
      path: 'x-1.0.dist-info/METADATA',
      size: 3,
      executable: false,
      source: { kind: 'bytes', data: Buffer.from('m\n\n') }
    }
  ]
  assert.equal(
    (await smokeTestLayer(data, options)).skipped,
    'the layer has no top-level module to import'
  )
  assert.equal(existsSync(options.layerDir), false)
})

for (const v of ['3.8', '3.9'] as const) {
  const bin = path.join(PYENV, `${v}.18`, 'bin')
  test(
    `python ${v}: the layer is imported by a ${v} interpreter where the runner has one, and skipped with a notice where not`,
    {
      skip: existsSync(path.join(bin, `python${v}`))
        ? false
        : `no ${bin}/python${v} on this machine`
    },
    async () => {
      const old = oldRuntime(v)
      const dir = path.join(tmp, `py${v}`)
      await write(path.join(dir, 'python/oldgood.py'), 'import typing\nX: typing.List[int] = []\n')
      // a match statement is Python 3.10 syntax: only a real 3.8/3.9 fails on it
      await write(path.join(dir, 'python/newsyntax.py'), 'match 1:\n    case 1:\n        pass\n')
      const env = { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` }
      const result = await smokeTest({ layerDir: dir, runtime: old, architecture, env })
      assert.equal(result.interpreter, path.join(bin, `python${v}`))
      assert.match(result.python ?? '', new RegExp(`^${v.replace('.', '\\.')}\\.\\d+$`))
      assert.deepEqual(
        result.failures.map(f => f.module),
        ['newsyntax']
      )
      assert.match(result.failures[0].error, /^SyntaxError: /)

      const before = log.lines.length
      const skipped = await smokeTestLayer(
        [
          {
            path: 'oldgood.py',
            size: 1,
            executable: false,
            source: { kind: 'bytes', data: Buffer.from('\n') }
          }
        ],
        {
          runtime: old,
          architecture,
          layerDir: dir,
          verdictDir: path.join(tmp, 'verdict'),
          cache: false,
          env: { ...process.env, PATH: python3Dir }
        }
      )
      assert.match(
        skipped.skipped ?? '',
        new RegExp(
          `no python${v.replace('.', '\\.')} interpreter on the runner's PATH.*python-version: '${v.replace('.', '\\.')}'`
        )
      )
      assert.ok(
        log.lines.slice(before).some(l => l.startsWith('::notice::Smoke test skipped: no python'))
      )
    }
  )
}
