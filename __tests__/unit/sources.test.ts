/** What the layer takes from a build on the runner, what it says when it refuses, and the summary rows. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { isPureWheel, needsCompilerMessage } from '../../src/python/build'
import { builtSection } from '../../src/report'
import { findRuntime } from '../../src/runtimes'

test('only py3-none-any and py2.py3-none-any builds count as pure', () => {
  assert.equal(isPureWheel('a-1.0-py3-none-any.whl'), true)
  assert.equal(isPureWheel('/w/a-1.0-py2.py3-none-any.whl'), true)
  // tied to the runner's Python, though no compiler ran
  assert.equal(isPureWheel('a-1.0-cp311-none-any.whl'), false)
  assert.equal(isPureWheel('a-1.0-py311-none-any.whl'), false)
  assert.equal(isPureWheel('a-1.0-py2-none-any.whl'), false)
  assert.equal(isPureWheel('a-1.0-cp311-cp311-linux_x86_64.whl'), false)
  assert.equal(isPureWheel('a-1.0.tar.gz'), false)
})

test('the needs-a-compiler error names the package, the target, why and what to do', () => {
  const message = needsCompilerMessage({
    name: 'fastthing',
    version: '2.0',
    from: 'fastthing-2.0.tar.gz',
    target: { runtime: findRuntime('3.13')!, architecture: 'arm64' },
    built: '/tmp/fastthing-2.0-cp399-cp399-linux_riscv64.whl'
  })
  assert.match(message, /^fastthing 2\.0 \(from fastthing-2\.0\.tar\.gz\) needs a compiler/)
  assert.match(message, /python3\.13 \(Amazon Linux 2023, glibc 2\.34, aarch64\)/)
  assert.match(message, /built for CPython 3\.99, not python3\.13/)
  assert.match(message, /manylinux wheel of fastthing for aarch64 and cp313/)
  assert.match(message, /public\.ecr\.aws\/sam\/build-python3\.13 \(arm64\)/)
})

test('the summary lists what was built from source, and nothing when nothing was', () => {
  assert.deepEqual(builtSection([]), [])
  const rows = builtSection([
    {
      name: 'sdpure',
      version: '1.0',
      from: 'sdpure-1.0.tar.gz',
      origin: 'sdist',
      wheel: 'sdpure-1.0-py3-none-any.whl'
    },
    {
      name: 'makoto-common',
      version: '0.4.0',
      from: 'libs/common',
      origin: 'local',
      wheel: 'makoto_common-0.4.0-py3-none-any.whl'
    }
  ]).join('\n')
  assert.match(rows, /^### Built from source/)
  assert.match(rows, /\| sdpure \| 1\.0 \| sdist <code>sdpure-1\.0\.tar\.gz<\/code> \|/)
  assert.match(rows, /\| makoto-common \| 0\.4\.0 \| local <code>libs\/common<\/code> \|/)
})
