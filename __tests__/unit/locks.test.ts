/**
 * Reading the four lock formats (fixtures in __tests__/fixtures/locks/, each in its tool's real
 * format — see their headers and README) into what the target installs, and every bad lock as an
 * input error naming the input, the file and line, and what is allowed.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { InputError } from '../../src/errors'
import { findRuntime, markerEnvironment, type Architecture } from '../../src/runtimes'
import { readLock } from '../../src/resolve/locks'
import type { LockRequest } from '../../src/resolve/locks/lock'
import {
  LOCK_FILES,
  LOCK_FIXTURES,
  dummyFacts,
  renderLock,
  type LockKind
} from '../helpers/lock-fixtures'

const FORMAT = { uv: 'uv', poetry: 'poetry', pipfile: 'pipfile', pylock: 'pylock' } as const
const INDEX = 'https://pypi.example.org/simple/'

function text(kind: LockKind): string {
  return renderLock(kind, {
    index: INDEX,
    filesUrl: 'https://files.example.org/',
    facts: dummyFacts()
  })
}

function request(
  kind: LockKind,
  o: {
    text?: string
    extras?: string[]
    groups?: string[]
    version?: string
    architecture?: Architecture
  } = {}
): LockRequest {
  const runtime = findRuntime(o.version ?? '3.12')
  assert.ok(runtime)
  return {
    file: `/work/app/${LOCK_FILES[kind]}`,
    display: LOCK_FILES[kind],
    text: o.text ?? text(kind),
    extras: o.extras ?? [],
    groups: o.groups ?? [],
    env: markerEnvironment(runtime, o.architecture ?? 'x86_64'),
    indexUrl: ''
  }
}

const read = (kind: LockKind, o: Parameters<typeof request>[1] = {}) =>
  readLock(request(kind, o), FORMAT[kind])

function inputError(input: string, value: RegExp, allowed: RegExp) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof InputError, String(error))
    assert.equal(error.input, input)
    assert.match(error.value, value)
    assert.match(error.message, allowed)
    return true
  }
}

const KINDS: LockKind[] = ['uv', 'poetry', 'pipfile', 'pylock']

test('every format selects the main dependencies for python3.12 x86_64, and says why each other package is left out', () => {
  for (const kind of KINDS) {
    const s = read(kind)
    assert.deepEqual(
      s.packages.map(p => `${p.name} ${p.version}`).sort(),
      ['depdep 1.0', 'fastpkg 2.0', 'plainpkg 1.0'],
      kind
    )
    const skipped = s.skipped.join('\n')
    for (const name of ['winonly', 'backport', 'devtool', 'extrapkg'])
      assert.match(skipped, new RegExp(`^${name} 1\\.0: `, 'm'), `${kind} ${name}`)
    assert.match(skipped, /winonly 1\.0: .*win32/)
    // one line per package left out
    const names = s.skipped.map(l => l.split(':')[0])
    assert.deepEqual(names, [...new Set(names)], kind)
    const fast = s.packages.find(p => p.name === 'fastpkg')
    assert.ok(fast)
    // Pipfile.lock records hashes only: the files are found on the index
    if (kind === 'pipfile') assert.equal(fast.hashesOnly?.sha256?.length, 6)
    else assert.equal(fast.files.length, 6)
  }
})

test('Poetry and Pipenv name no URLs: files come from the package source, else index-url, else PyPI', () => {
  const poetry = read('poetry')
  assert.equal(poetry.packages.find(p => p.name === 'plainpkg')?.index, INDEX)
  const dev = readLock({ ...request('poetry', { groups: ['dev'] }), indexUrl: '' }, 'poetry')
  assert.equal(dev.packages.find(p => p.name === 'devtool')?.index, 'https://pypi.org/simple/')
  const withIndex = readLock(
    { ...request('poetry', { groups: ['dev'] }), indexUrl: 'https://mirror/simple/' },
    'poetry'
  )
  assert.equal(withIndex.packages.find(p => p.name === 'devtool')?.index, 'https://mirror/simple/')
  const pipfile = readLock({ ...request('pipfile'), indexUrl: 'https://mirror/simple/' }, 'pipfile')
  assert.ok(pipfile.packages.every(p => p.index === 'https://mirror/simple/'))
  assert.ok(read('pipfile').packages.every(p => p.index === INDEX))
})

test('a lock that does not parse names the file and line', () => {
  const uv = text('uv').replace('name = "fastpkg"', 'name = "fastpkg')
  const line = uv.split('\n').findIndex(l => l.startsWith('name = "fastpkg')) + 1
  assert.throws(
    () => read('uv', { text: uv }),
    inputError('requirements', new RegExp(`^uv\\.lock:${line}$`), /a uv\.lock that parses as TOML/)
  )
  const json = text('pipfile').replace('"pipfile-spec": 6,', '"pipfile-spec": 6')
  const jsonLine = json.split('\n').findIndex(l => l.includes('"pipfile-spec": 6')) + 2
  assert.throws(
    () => read('pipfile', { text: json }),
    inputError('requirements', new RegExp(`^Pipfile\\.lock:${jsonLine}$`), /parses as JSON/)
  )
})

test('an unknown lock version is an input error saying which versions are read', () => {
  assert.throws(
    () => read('uv', { text: text('uv').replace('version = 1\n', 'version = 2\n') }),
    inputError('requirements', /^uv\.lock:1$/, /version 1 .* version = 2/)
  )
  for (const v of ['2.0', '1.1', '3.0'])
    assert.throws(
      () =>
        read('poetry', {
          text: text('poetry').replace('lock-version = "2.1"', `lock-version = "${v}"`)
        }),
      inputError(
        'requirements',
        /^poetry\.lock:\d+$/,
        new RegExp(`lock-version 2\\.1 .* "${v.replace('.', '\\.')}"`)
      )
    )
  assert.ok(
    read('poetry', { text: text('poetry').replace('lock-version = "2.1"', 'lock-version = "2.2"') })
  )
  assert.throws(
    () =>
      read('pipfile', { text: text('pipfile').replace('"pipfile-spec": 6', '"pipfile-spec": 7') }),
    inputError('requirements', /^Pipfile\.lock:\d+$/, /pipfile-spec 6/)
  )
  assert.throws(
    () =>
      read('pylock', {
        text: text('pylock').replace("lock-version = '1.0'", "lock-version = '2.0'")
      }),
    inputError('requirements', /^pylock\.toml:\d+$/, /lock-version 1\.x/)
  )
})

test('a group or extra the lock does not define lists those it defines', () => {
  assert.throws(
    () => read('uv', { groups: ['docs'] }),
    inputError('groups', /^docs$/, /groups that uv\.lock defines: dev/)
  )
  assert.throws(
    () => read('uv', { extras: ['gpu'] }),
    inputError('extras', /^gpu$/, /extras that uv\.lock defines: speedups/)
  )
  assert.throws(
    () => read('poetry', { groups: ['docs', 'dev'] }),
    inputError('groups', /^docs$/, /defines: dev \(main is always installed\)/)
  )
  assert.throws(
    () => read('poetry', { extras: ['gpu'] }),
    inputError('extras', /^gpu$/, /defines: speedups/)
  )
  assert.throws(
    () => read('pipfile', { groups: ['docs'] }),
    inputError(
      'groups',
      /^docs$/,
      /categories that Pipfile\.lock defines: develop \(or dev\), speedups/
    )
  )
  assert.throws(
    () => read('pipfile', { extras: ['speedups'] }),
    inputError('extras', /^speedups$/, /records no extras/)
  )
  assert.throws(
    () => read('pylock', { groups: ['docs'] }),
    inputError('groups', /^docs$/, /defines: dev/)
  )
  assert.throws(
    () => read('pylock', { extras: ['gpu'] }),
    inputError('extras', /^gpu$/, /defines: speedups/)
  )
  // names compare normalised (PEP 685)
  assert.ok(read('uv', { extras: ['SpeedUps'] }).packages.some(p => p.name === 'extrapkg'))
  assert.ok(read('pipfile', { groups: ['dev-packages'] }).packages.some(p => p.name === 'devtool'))
})

test('a VCS requirement is an input error naming the package, in every format', () => {
  const git = 'git+https://github.com/example/plainpkg.git@0123abc'
  const texts: Record<LockKind, string> = {
    uv: text('uv').replace(
      `name = "plainpkg"\nversion = "1.0"\nsource = { registry = "${INDEX}" }`,
      `name = "plainpkg"\nversion = "1.0"\nsource = { git = "https://github.com/example/plainpkg.git?rev=main#0123abc" }`
    ),
    poetry: text('poetry').replace(
      /(name = "plainpkg"[\s\S]*?\[package\.source\]\n)type = "legacy"\nurl = "[^"]+"/,
      `$1type = "git"\nurl = "https://github.com/example/plainpkg.git"`
    ),
    pipfile: text('pipfile').replace(
      '"plainpkg": {',
      `"plainpkg": {\n            "git": "${git}",`
    ),
    pylock: text('pylock').replace(
      "name = 'plainpkg'\nversion = '1.0'\n",
      "name = 'plainpkg'\nversion = '1.0'\nvcs = {type = 'git', url = 'https://github.com/example/plainpkg.git', commit-id = '0123abc'}\n"
    )
  }
  for (const kind of KINDS) {
    assert.notEqual(texts[kind], text(kind), kind)
    assert.throws(
      () => read(kind, { text: texts[kind] }),
      inputError(
        'requirements',
        new RegExp(`^${LOCK_FILES[kind].replace('.', '\\.')}:\\d+$`),
        /plainpkg comes from version control/
      ),
      kind
    )
  }
})

test('a marker that does not parse names the file, line and package', () => {
  const uv = text('uv').replace(
    `marker = "sys_platform == 'win32'" }`,
    `marker = "sys_platform = 'win32'" }`
  )
  const line = uv.split('\n').findIndex(l => l.includes("sys_platform = 'win32'")) + 1
  assert.throws(
    () => read('uv', { text: uv }),
    inputError(
      'requirements',
      new RegExp(`^uv\\.lock:${line}$`),
      /the marker of winonly .* does not parse/
    )
  )
})

test('uv.lock: requires-python is checked against the target', () => {
  assert.throws(
    () =>
      read('uv', {
        version: '3.10',
        text: text('uv').replace('requires-python = ">=3.10"', 'requires-python = ">=3.11"')
      }),
    inputError('python-version', /^3\.10$/, /requires-python = ">=3\.11"/)
  )
})

test('pylock.toml: requires-python and environments are checked against the target', () => {
  assert.throws(
    () =>
      read('pylock', {
        text: text('pylock').replace("requires-python = '>= 3.10'", "requires-python = '>= 3.13'")
      }),
    inputError('python-version', /^3\.12$/, /requires-python = ">= 3\.13"/)
  )
  assert.throws(
    () =>
      read('pylock', {
        text: text('pylock').replace(
          `environments = ["sys_platform == 'linux'", "sys_platform == 'win32'"]`,
          `environments = ["sys_platform == 'darwin'"]`
        )
      }),
    inputError('requirements', /^pylock\.toml:\d+$/, /none of the environments/)
  )
  // extrapkg is recorded by path, relative to the lock
  const s = read('pylock', { extras: ['speedups'] })
  assert.equal(
    s.packages.find(p => p.name === 'extrapkg')?.files[0].url,
    'file:///work/app/wheels/extrapkg-1.0-py3-none-any.whl'
  )
})

test('uv.lock: workspace members and path dependencies the root reaches are built; the root project is not installed', () => {
  // shaped like uv's workspace snapshots (astral-sh/uv crates/uv/tests/it/lock.rs): a root with an
  // editable member and a directory dependency
  const lock = `version = 1
revision = 3
requires-python = ">=3.12"

[manifest]
members = ["app", "core"]

[[package]]
name = "app"
version = "0.1.0"
source = { editable = "." }
dependencies = [
    { name = "core" },
    { name = "vendored" },
]

[[package]]
name = "core"
version = "0.2.0"
source = { editable = "packages/core" }

[[package]]
name = "vendored"
version = "1.0.0"
source = { directory = "libs/vendored" }

[[package]]
name = "unused"
version = "1.0.0"
source = { directory = "libs/unused" }
`
  const s = read('uv', { text: lock })
  assert.deepEqual(
    s.packages.map(p => [p.name, p.directory]),
    [
      ['core', '/work/app/packages/core'],
      ['vendored', '/work/app/libs/vendored']
    ]
  )
  assert.match(s.skipped.join('\n'), /^unused 1\.0\.0: not required/m)
})

test('uv.lock: each package from a registry carries it as its index (where fetch looks when a URL fails)', () => {
  // real: astral-sh/uv test/packages/built-by-uv/uv.lock (fixtures/locks/real/README.md), all PyPI
  const real = readFileSync(path.join(LOCK_FIXTURES, 'real', 'uv.lock'), 'utf8')
  const s = read('uv', { text: real })
  assert.deepEqual(
    s.packages.map(p => [p.name, p.index]),
    [
      ['anyio', 'https://pypi.org/simple'],
      ['idna', 'https://pypi.org/simple'],
      ['sniffio', 'https://pypi.org/simple']
    ]
  )
  // an explicit second index, as uv writes one ([[tool.uv.index]] + [tool.uv.sources]; the shape
  // `source = { registry = "https://download.pytorch.org/whl/cpu" }` is quoted from uv.lock files
  // in astral-sh/uv#11406): that package's index is its own registry, not the first one
  const TORCH_CPU = 'https://download.pytorch.org/whl/cpu'
  const two = text('uv').replace(
    /(name = "fastpkg"\nversion = "2\.0"\nsource = \{ registry = )"[^"]*"/,
    `$1"${TORCH_CPU}"`
  )
  assert.notEqual(two, text('uv'))
  const byName = new Map(read('uv', { text: two }).packages.map(p => [p.name, p.index]))
  assert.equal(byName.get('fastpkg'), TORCH_CPU)
  assert.equal(byName.get('plainpkg'), INDEX)
  // a direct URL has no index to fall back on
  const direct = text('uv').replace(
    /(name = "plainpkg"\nversion = "1\.0"\nsource = )\{ registry = "[^"]*" \}/,
    '$1{ url = "https://files.example.org/plainpkg-1.0-py3-none-any.whl" }'
  )
  assert.notEqual(direct, text('uv'))
  const plain = read('uv', { text: direct }).packages.find(p => p.name === 'plainpkg')
  assert.equal(plain?.index, undefined)
})

test('credentials from the environment, as the tools read them: Pipenv ${VAR} in source URLs, Poetry POETRY_HTTP_BASIC_<SOURCE>_*', () => {
  const pipfile = text('pipfile').replace(
    `"url": "${INDEX}"`,
    '"url": "https://${IDX_USER}:${IDX_TOKEN}@pypi.example.org/simple/"'
  )
  const s = readLock(
    { ...request('pipfile', { text: pipfile }), environ: { IDX_USER: 'ci', IDX_TOKEN: 't0ken' } },
    'pipfile'
  )
  assert.ok(s.packages.every(p => p.index === 'https://ci:t0ken@pypi.example.org/simple/'))
  const poetry = readLock(
    {
      ...request('poetry'),
      environ: {
        POETRY_HTTP_BASIC_LAMBDA_INDEX_USERNAME: 'ci',
        POETRY_HTTP_BASIC_LAMBDA_INDEX_PASSWORD: 'p@ss'
      }
    },
    'poetry'
  )
  assert.equal(
    poetry.packages.find(p => p.name === 'plainpkg')?.index,
    'https://ci:p%40ss@pypi.example.org/simple/'
  )
})
