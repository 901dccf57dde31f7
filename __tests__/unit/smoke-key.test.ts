/** What the smoke test imports and extracts, and what its verdict's cache key covers. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { LayerEntry } from '../../src/assemble/entries'
import type { CentralEntry } from '../../src/zip/reader'
import { findRuntime, type Runtime } from '../../src/runtimes'
import { entriesForImport, moduleWeights, topLevelModules } from '../../src/smoke/modules'
import { actionFingerprint, layerDigest, passKey, verdictKey } from '../../src/smoke/verdict'
import type { Interpreter } from '../../src/smoke/interpreter'

function wheelEntry(p: string, crc: number, size = 10, executable = false): LayerEntry {
  const entry: CentralEntry = {
    name: p,
    nameBytes: Buffer.from(p),
    method: 8,
    flags: 0,
    crc,
    compressedSize: size,
    size,
    localHeaderOffset: 0
  }
  return { path: p, size, executable, source: { kind: 'wheel', wheel: '/w/x.whl', entry } }
}

const bytes = (p: string, data: string): LayerEntry => ({
  path: p,
  size: data.length,
  executable: false,
  source: { kind: 'bytes', data: Buffer.from(data) }
})

test('the modules come from the entry names: packages, namespace folders, *.py, extensions; not metadata, libs, scripts, stubs', () => {
  assert.deepEqual(
    topLevelModules([
      'numpy/__init__.py',
      'numpy.libs/libopenblas.so',
      'numpy-2.0.dist-info/METADATA',
      'google/protobuf/__init__.py',
      'six.py',
      '_cffi_backend.cpython-311-x86_64-linux-gnu.so',
      'bin/tool',
      'pandas-stubs/__init__.pyi',
      'tests/test_x.py',
      'setup.py',
      'README.txt',
      'distutils-precedence.pth'
    ]),
    ['_cffi_backend', 'google', 'numpy', 'six']
  )
})

test('only what imports can need is extracted: module trees, *.libs, dist-info, top-level files; no sources, headers, stubs, scripts', () => {
  const entries = [
    'numpy/__init__.py',
    'numpy/core/include/numpy/ndarraytypes.h',
    'numpy/random/bit_generator.pxd',
    'numpy/random/_common.pyx',
    'numpy/core/lib/libnpymath.a',
    'numpy/_core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so',
    'numpy/__init__.pyi',
    'numpy.libs/libopenblas.so',
    'numpy-2.0.dist-info/METADATA',
    'bin/f2py',
    'pandas-stubs/core/frame.pyi',
    'six.py',
    'README.txt'
  ].map((p, i) => wheelEntry(p, i))
  assert.deepEqual(
    entriesForImport(entries, topLevelModules(entries.map(e => e.path))).map(e => e.path),
    [
      'numpy/__init__.py',
      'numpy/_core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so',
      'numpy.libs/libopenblas.so',
      'numpy-2.0.dist-info/METADATA',
      'six.py',
      'README.txt'
    ]
  )
  assert.deepEqual(
    [
      ...moduleWeights([
        wheelEntry('a/x.py', 1, 5),
        wheelEntry('a/y.py', 2, 7),
        wheelEntry('b.py', 3, 1)
      ])
    ],
    [
      ['a', 12],
      ['b', 1]
    ]
  )
})

test('the layer digest changes with any path, size, mode or content, and not with the order of the entries', async () => {
  const base = [wheelEntry('a/__init__.py', 0x1234), bytes('INSTALLER', 'layer-action\n')]
  const digest = await layerDigest(base)
  assert.match(digest, /^[0-9a-f]{64}$/)
  assert.equal(await layerDigest([...base].reverse()), digest)
  const variants: LayerEntry[][] = [
    [wheelEntry('a/__init__.py', 0x1235), base[1]],
    [wheelEntry('a/__init__.py', 0x1234, 11), base[1]],
    [wheelEntry('a/__init__.py', 0x1234, 10, true), base[1]],
    [wheelEntry('b/__init__.py', 0x1234), base[1]],
    [base[0], bytes('INSTALLER', 'layer-actioN\n')],
    [base[0]]
  ]
  for (const v of variants) assert.notEqual(await layerDigest(v), digest)

  // a file from the workspace counts by its bytes, read when the key is made
  const dir = await mkdtemp(path.join(os.tmpdir(), 'layer-digest-'))
  try {
    const file = path.join(dir, 'own.py')
    await writeFile(file, 'X = 1\n')
    const own: LayerEntry = {
      path: 'own.py',
      size: 6,
      executable: false,
      source: { kind: 'file', file }
    }
    const before = await layerDigest([own])
    await writeFile(file, 'X = 2\n')
    assert.notEqual(await layerDigest([own]), before)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('the verdict key covers the interpreter (version, build, machine, libc), the test and the action', () => {
  const runtime = findRuntime('3.11') as Runtime
  const interpreter: Interpreter = {
    path: '/usr/bin/python3.11',
    version: '3.11.7',
    build: '3.11.7 (main, Dec  8 2023) [GCC 11.4.0]',
    machine: 'x86_64',
    libc: 'glibc 2.35'
  }
  const o = {
    layer: 'ab',
    interpreter,
    runtime,
    architecture: 'x86_64' as const,
    recipe: { v: 1 },
    action: 'a1'
  }
  const key = verdictKey(o)
  assert.match(key, /^layer-action-smoke-python3\.11-x86_64-[0-9a-f]{32}$/)
  // where the interpreter lives does not matter: setup-python's path differs between runners
  assert.equal(
    verdictKey({ ...o, interpreter: { ...interpreter, path: '/opt/hostedtoolcache/python3.11' } }),
    key
  )
  const variants = [
    { ...o, layer: 'ac' },
    { ...o, interpreter: { ...interpreter, version: '3.11.8' } },
    { ...o, interpreter: { ...interpreter, build: '3.11.7 (main, Jan  1 2024) [GCC 11.4.0]' } },
    { ...o, interpreter: { ...interpreter, machine: 'aarch64' } },
    { ...o, interpreter: { ...interpreter, libc: 'glibc 2.39' } },
    { ...o, recipe: { v: 2 } },
    { ...o, action: 'a2' },
    { ...o, architecture: 'arm64' as const }
  ]
  for (const v of variants) assert.notEqual(verdictKey(v), key)
})

test("this action's fingerprint covers every script of the bundle, and is absent when the bundle cannot be read", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'layer-fingerprint-'))
  try {
    await writeFile(path.join(dir, 'index.js'), 'main')
    await writeFile(path.join(dir, '393.index.js'), 'chunk')
    await writeFile(path.join(dir, 'licenses.txt'), 'MIT')
    const first = await actionFingerprint(path.join(dir, 'index.js'))
    assert.match(first ?? '', /^[0-9a-f]{64}$/)
    await writeFile(path.join(dir, 'licenses.txt'), 'MIT, and more')
    assert.equal(await actionFingerprint(path.join(dir, 'index.js')), first)
    await writeFile(path.join(dir, '393.index.js'), 'chunk 2')
    assert.notEqual(await actionFingerprint(path.join(dir, 'index.js')), first)
    assert.equal(await actionFingerprint(path.join(dir, 'missing.js')), undefined)
    assert.equal(await actionFingerprint(undefined), undefined)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test("a pass's key adds the Python it passed on and the run; odd characters never reach the key", () => {
  assert.equal(passKey('id', '3.11.7', { GITHUB_RUN_ID: '123456789' }), 'id-3.11.7-run123456789')
  assert.equal(passKey('id', '3.14.0+', {}), 'id-3.14.0_-runlocal')
  assert.equal(passKey('id', '3.12.1', { GITHUB_RUN_ID: '1,2' }), 'id-3.12.1-runlocal')
})
