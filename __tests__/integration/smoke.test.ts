/**
 * The smoke test with a real interpreter: python3 of this machine stands for the target runtime
 * (3.11 here, 3.12 on ubuntu-24.04 runners), so the test runs wherever the suite runs.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { promises as fs } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { findRuntime, type Architecture, type Runtime } from '../../src/runtimes'
import { SmokeTestError, layerModules, smokeTest, smokeTestLayer } from '../../src/smoke/smoke'
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
/** PATH on which `python3` is the runner's interpreter but `python3.X` may not be: the smoke test must cope */
const python3Dir = path.dirname(
  execFileSync('python3', ['-c', 'import sys; print(sys.executable)']).toString().trim()
)

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
  assert.deepEqual(await layerModules(path.join(layerDir, 'python')), [
    'brokenpkg',
    'crashes',
    'exits',
    'fast',
    'goodmod',
    'goodpkg',
    'needs_pip',
    'nsonly',
    'zlast'
  ])
})

test('each failing import is reported with its module and error; the good ones pass; a crash does not stop the rest', async () => {
  await fs.rm(path.join(layerDir, 'python', 'fast.cpython-311-x86_64-linux-gnu.so'))
  const result = await smokeTest({ layerDir, runtime, architecture })
  assert.equal(result.skipped, undefined)
  assert.ok(result.interpreter)
  assert.deepEqual(result.modules, [
    'brokenpkg',
    'crashes',
    'exits',
    'goodmod',
    'goodpkg',
    'needs_pip',
    'nsonly',
    'zlast'
  ])
  const byModule = Object.fromEntries(result.failures.map(f => [f.module, f.error]))
  assert.deepEqual(Object.keys(byModule).sort(), ['brokenpkg', 'crashes', 'exits', 'needs_pip'])
  // importing leaves no bytecode behind in the layer's directory
  const written = await fs.readdir(path.join(layerDir, 'python'), { recursive: true })
  assert.deepEqual(
    written.filter(f => f.includes('__pycache__')),
    []
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

  const error = new SmokeTestError(result.failures, {
    runtime,
    architecture,
    tested: result.modules.length
  })
  assert.match(error.message, /4 of 8 top-level modules did not import/)
  assert.match(error.message, /brokenpkg: RuntimeError: boom at import/)
  assert.match(error.message, /smoke-test: false/)
})

test('a layer of good modules passes', async () => {
  const good = path.join(tmp, 'good-layer')
  await write(path.join(good, 'python/goodmod.py'), 'VALUE = 1\n')
  await write(path.join(good, 'python/goodpkg/__init__.py'), 'from goodmod import VALUE\n')
  const result = await smokeTest({ layerDir: good, runtime, architecture })
  assert.deepEqual(result, {
    interpreter: result.interpreter,
    modules: ['goodmod', 'goodpkg'],
    failures: []
  })
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

  const other = findRuntime(version === '3.13' ? '3.12' : '3.13') as Runtime
  const wrongVersion = await smokeTest({
    layerDir,
    runtime: other,
    architecture,
    env: { ...process.env, PATH: python3Dir }
  })
  assert.match(
    wrongVersion.skipped ?? '',
    new RegExp(`no ${other.identifier.replace('.', '\\.')} interpreter`)
  )
})

test('skipped when the runner is another machine than the layer', async () => {
  const result = await smokeTest({
    layerDir,
    runtime,
    architecture: architecture === 'x86_64' ? 'arm64' : 'x86_64'
  })
  assert.match(result.skipped ?? '', /its compiled modules cannot load here/)
  assert.deepEqual(result.failures, [])
})

test('smokeTestLayer asks for an interpreter first: a layer for the other machine is never extracted', async () => {
  const other: Architecture = architecture === 'arm64' ? 'x86_64' : 'arm64'
  // an entry whose wheel does not exist: extracting it would throw
  const entries: LayerEntry[] = [
    {
      path: 'ghost/__init__.py',
      size: 10,
      executable: false,
      source: { kind: 'file', file: path.join(os.tmpdir(), 'layer-action-no-such-file.py') }
    }
  ]
  const result = await smokeTestLayer(entries, path.join(os.tmpdir(), 'never-made'), {
    runtime,
    architecture: other
  })
  assert.match(result.skipped ?? '', /its compiled modules cannot load here/)
  assert.deepEqual(result.modules, [])
})
