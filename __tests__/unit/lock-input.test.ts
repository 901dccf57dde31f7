/**
 * Locks as hostile input: every field the readers take is type-checked (the error names the file
 * and line, the package or table, the field), a name reached twice at two versions is an error
 * naming both entries, file names must be plain base names (`../`, `..%2F`), path dependencies and
 * file: URLs must stay inside the workspace or the runner's temp folder (symlinks resolved), and a
 * locked package with no wheel for the target names the chain that pulled it in. The lock texts are
 * the fixtures of __tests__/fixtures/locks/ (each in its tool's real format, see their headers),
 * edited one field at a time, or short locks in the same formats.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { promises as fs } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { InputError } from '../../src/errors'
import { findRuntime, markerEnvironment } from '../../src/runtimes'
import { pinnedFromLock, readLock } from '../../src/resolve/locks'
import type { LockRequest } from '../../src/resolve/locks/lock'
import { NoCompatibleWheelError } from '../../src/resolve/pip-errors'
import type { AllowedRoots } from '../../src/resolve/paths'
import { LOCK_FILES, dummyFacts, renderLock, type LockKind } from '../helpers/lock-fixtures'

const FORMAT = { uv: 'uv', poetry: 'poetry', pipfile: 'pipfile', pylock: 'pylock' } as const
let tmp: string
let roots: AllowedRoots

before(async () => {
  tmp = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'layer-lock-input-')))
  roots = { workspace: path.join(tmp, 'ws'), temp: path.join(tmp, 'runner-temp') }
  await fs.mkdir(path.join(roots.workspace, 'libs', 'inside'), { recursive: true })
  await fs.mkdir(roots.temp, { recursive: true })
  await fs.mkdir(path.join(tmp, 'outside', 'pkg'), { recursive: true })
  // a link inside the workspace that leads out of it
  await fs.symlink(path.join(tmp, 'outside', 'pkg'), path.join(roots.workspace, 'libs', 'link'))
})

after(async () => {
  await fs.rm(tmp, { recursive: true, force: true })
})

const fixture = (kind: LockKind): string =>
  renderLock(kind, {
    index: 'https://pypi.example.org/simple/',
    filesUrl: 'https://files.example.org/',
    facts: dummyFacts()
  })

function request(kind: LockKind, text: string, version = '3.12'): LockRequest {
  const runtime = findRuntime(version)
  assert.ok(runtime)
  return {
    file: path.join(roots?.workspace ?? '/work/app', LOCK_FILES[kind]),
    display: LOCK_FILES[kind],
    text,
    extras: [],
    groups: [],
    env: markerEnvironment(runtime, 'x86_64'),
    indexUrl: ''
  }
}

function pin(kind: LockKind, text: string, version = '3.12') {
  const runtime = findRuntime(version)
  assert.ok(runtime)
  return pinnedFromLock(request(kind, text, version), FORMAT[kind], {
    target: { runtime, architecture: 'x86_64' },
    buildSdists: 'pure',
    roots
  })
}

/** An InputError on `requirements` whose value is `<file>:<line>` and whose message matches. */
function fails(
  kind: LockKind,
  text: string,
  line: number | string | RegExp,
  message: RegExp
): void {
  assert.throws(
    () => pin(kind, text),
    (error: unknown) => {
      assert.ok(error instanceof InputError, `${String(error)}`)
      assert.equal(error.input, 'requirements')
      if (typeof line === 'number') assert.equal(error.value, `${LOCK_FILES[kind]}:${line}`)
      else if (typeof line === 'string') assert.equal(error.value, line)
      else assert.match(error.value, line)
      assert.match(error.message, message)
      return true
    }
  )
}

function lineOf(text: string, needle: string): number {
  const at = text.indexOf(needle)
  assert.ok(at >= 0, needle)
  return text.slice(0, at).split('\n').length
}

// ---------------------------------------------------------------- issue 17: malformed locks

test('pylock.toml: version = 3 (a number) names the package, the field and its line', () => {
  const text = fixture('pylock').replace(
    "name = 'depdep'\nversion = '1.0'",
    "name = 'depdep'\nversion = 3"
  )
  fails(
    'pylock',
    text,
    lineOf(text, 'version = 3'),
    /package "depdep", field "version" must be a string; found the number 3/
  )
})

test('pylock.toml: lock-version = 1 (a number) and wheels = "x" are field errors, not crashes', () => {
  const v = fixture('pylock').replace("lock-version = '1.0'", 'lock-version = 1')
  fails(
    'pylock',
    v,
    lineOf(v, 'lock-version = 1'),
    /the top-level table, field "lock-version" must be a non-empty string/
  )
  // the [[packages.wheels]] of depdep becomes `wheels = "x"` (its keys then sit on the package)
  const w = fixture('pylock').replace(
    "[[packages.wheels]]\n    name = 'depdep-1.0-py3-none-any.whl'",
    'wheels = "x"'
  )
  assert.notEqual(w, fixture('pylock'))
  fails(
    'pylock',
    w,
    lineOf(w, 'wheels = "x"'),
    /package "depdep", field "wheels" must be an array of tables; found the string "x"/
  )
})

test('pylock.toml: a package without a name is an error naming its [[packages]] entry', () => {
  const text = fixture('pylock').replace("name = 'depdep'\n", '')
  const header =
    text.split('\n').findIndex(
      (l, i, all) =>
        l.startsWith('[[packages]]') &&
        all[i + 1].startsWith("version = '1.0'") &&
        all
          .slice(i, i + 8)
          .join('\n')
          .includes('depdep')
    ) + 1
  fails(
    'pylock',
    text,
    header,
    /packages\[1\], field "name" must be a non-empty string \(it is required\); found nothing/
  )
})

test('uv.lock: a wrong type anywhere the reader looks is named (name, wheels, dependencies, hash)', () => {
  const base = fixture('uv')
  const cases: [string, string, RegExp][] = [
    ['name = "depdep"', 'name = 3', /a \[\[package\]\], field "name" must be a non-empty string/],
    [
      'name = "plainpkg"\nversion = "1.0"',
      'name = "plainpkg"\nversion = 1.0',
      /package "plainpkg", field "version" must be a string; found the number 1/
    ],
    [
      'wheels = [\n    { url = "https://files.example.org/depdep',
      'wheels = "x"\nX = [\n    { url = "https://files.example.org/depdep',
      /package "depdep", field "wheels" must be an array of tables; found the string "x"/
    ]
  ]
  for (const [from, to, message] of cases) {
    assert.ok(base.includes(from), from)
    const text = base.replace(from, to)
    fails('uv', text, /^uv\.lock:\d+$/, message)
  }
  const deps = base.replace(
    /dependencies = \[\n {4}\{ name = "depdep" \},?\n\]/,
    'dependencies = "depdep"'
  )
  assert.notEqual(deps, base)
  fails(
    'uv',
    deps,
    lineOf(deps, 'dependencies = "depdep"'),
    /package "plainpkg", field "dependencies" must be an array of tables/
  )
})

test('poetry.lock and Pipfile.lock: wrong types are named with the package and field', () => {
  const poetry = fixture('poetry').replace(
    'groups = ["main"]\nmarkers = "python_version < \\"3.11\\""',
    'groups = "main"\nmarkers = "python_version < \\"3.11\\""'
  )
  assert.notEqual(poetry, fixture('poetry'))
  fails(
    'poetry',
    poetry,
    lineOf(poetry, 'groups = "main"'),
    /package "backport", field "groups" must be an array of strings; found the string "main"/
  )
  const pipfile = fixture('pipfile').replace('"version": "==1.0"', '"version": 1')
  fails(
    'pipfile',
    pipfile,
    /^Pipfile\.lock:\d+$/,
    /"default" package "backport", field "version" must be a string; found the number 1/
  )
  const hashes = fixture('pipfile').replace(
    /"hashes": \[\n\s*"sha256:[0-9a-f]+"\n\s*\]/,
    '"hashes": "sha256:0"'
  )
  assert.notEqual(hashes, fixture('pipfile'))
  fails('pipfile', hashes, /^Pipfile\.lock:\d+$/, /field "hashes" must be an array of strings/)
})

const UV_HEAD = `version = 1
revision = 3
requires-python = ">=3.10"

[[package]]
name = "app"
version = "0.1.0"
source = { virtual = "." }
dependencies = [
    { name = "matplotlib" },
    { name = "pinned-old" },
]
`

const uvPackage = (
  name: string,
  version: string,
  extra = '',
  wheel = `${name.replace(/-/g, '_')}-${version}-py3-none-any.whl`
): string => `
[[package]]
name = "${name}"
version = "${version}"
source = { registry = "https://pypi.example.org/simple" }
${extra}wheels = [
    { url = "https://files.example.org/${wheel}", hash = "sha256:${'a'.repeat(64)}", size = 10 },
]
`

test('uv.lock: one name reached at two versions for the same environment is an error naming both entries', () => {
  const text =
    UV_HEAD +
    uvPackage(
      'matplotlib',
      '3.9.2',
      'dependencies = [\n    { name = "numpy", version = "2.1.0" },\n]\n'
    ) +
    uvPackage(
      'pinned-old',
      '1.0',
      'dependencies = [\n    { name = "numpy", version = "1.26.4" },\n]\n'
    ) +
    uvPackage('numpy', '1.26.4') +
    uvPackage('numpy', '2.1.0')
  // each entry is named by its [[package]] header, the line before its name
  const first = lineOf(text, 'name = "numpy"\nversion = "1.26.4"') - 1
  const second = lineOf(text, 'name = "numpy"\nversion = "2.1.0"') - 1
  fails(
    'uv',
    text,
    /^uv\.lock:\d+$/,
    new RegExp(
      `numpy (2\\.1\\.0|1\\.26\\.4) \\(uv\\.lock:(${first}|${second})\\) and numpy (1\\.26\\.4|2\\.1\\.0) \\(uv\\.lock:(${first}|${second})\\) are both required for linux/x86_64/Python 3\\.12`
    )
  )
  // forked by markers, as uv writes them: one per environment is fine
  const forked =
    UV_HEAD.replace('{ name = "pinned-old" },\n', '') +
    uvPackage(
      'matplotlib',
      '3.9.2',
      `dependencies = [\n    { name = "numpy", version = "1.26.4", marker = "python_full_version < '3.11'" },\n    { name = "numpy", version = "2.1.0", marker = "python_full_version >= '3.11'" },\n]\n`
    ) +
    uvPackage('numpy', '1.26.4') +
    uvPackage('numpy', '2.1.0')
  assert.deepEqual(
    pin('uv', forked).entries.map(e => `${e.name} ${e.version}`),
    ['matplotlib 3.9.2', 'numpy 2.1.0']
  )
})

test('pylock.toml and poetry.lock: the same name twice for the target names both entries', () => {
  const pylock =
    fixture('pylock') +
    "\n[[packages]]\nname = 'depdep'\nversion = '1.1'\nindex = 'https://pypi.example.org/simple/'\n"
  fails(
    'pylock',
    pylock,
    /^pylock\.toml:\d+$/,
    /depdep 1\.0 \(pylock\.toml:\d+\) and depdep 1\.1 \(pylock\.toml:\d+\) both apply/
  )
  const poetry =
    fixture('poetry') +
    '\n[[package]]\nname = "depdep"\nversion = "1.1"\noptional = false\ngroups = ["main"]\nfiles = []\n'
  fails(
    'poetry',
    poetry,
    /^poetry\.lock:\d+$/,
    /depdep 1\.0 \(poetry\.lock:\d+\) and depdep 1\.1 \(poetry\.lock:\d+\) both apply/
  )
})

// ---------------------------------------------------------------- issue 15: safe by construction

test('a locked file name with ../ or ..%2F is refused, naming the lock and the entry (uv, pylock, poetry)', () => {
  for (const evil of [
    '../../evil-1.0-py3-none-any.whl',
    '..%2F..%2Fevil-1.0-py3-none-any.whl',
    '..%252Fevil-1.0-py3-none-any.whl'
  ]) {
    // uv records URLs: a literal ../ is a path segment before the name, an encoded one is in it
    if (evil.includes('%')) {
      const uv =
        UV_HEAD.replace('{ name = "pinned-old" },\n', '') +
        uvPackage('matplotlib', '3.9.2', '', evil)
      fails(
        'uv',
        uv,
        `uv.lock:${lineOf(uv, 'name = "matplotlib"\nversion') - 1} (package matplotlib 3.9.2)`,
        /is not a plain file name/
      )
    }
    const pylock = fixture('pylock').replace(
      "name = 'depdep-1.0-py3-none-any.whl'",
      `name = '${evil}'`
    )
    assert.notEqual(pylock, fixture('pylock'))
    fails(
      'pylock',
      pylock,
      /^pylock\.toml:\d+ \(package depdep 1\.0\)$/,
      /is not a plain file name/
    )
    const poetry = fixture('poetry').replace(
      '{file = "depdep-1.0-py3-none-any.whl"',
      `{file = "${evil}"`
    )
    assert.notEqual(poetry, fixture('poetry'))
    fails(
      'poetry',
      poetry,
      /^poetry\.lock:\d+ \(package depdep 1\.0\)$/,
      /is not a plain file name/
    )
  }
  // Pipfile.lock records hashes, never file names: nothing to refuse there (the index page's names are fetch's)
})

test('a path dependency outside the workspace and the runner temp folder is refused, naming it; a symlink pointing out too', () => {
  const dir = (p: string) =>
    UV_HEAD.replace('{ name = "pinned-old" },\n', '').replace(
      '{ name = "matplotlib" }',
      '{ name = "local" }'
    ) + `\n[[package]]\nname = "local"\nversion = "1.0"\nsource = { directory = "${p}" }\n`
  // inside the workspace: taken, symlinks resolved
  const inside = pin('uv', dir('libs/inside'))
  assert.deepEqual(inside.entries[0].artifact, {
    kind: 'directory',
    path: path.join(roots.workspace, 'libs', 'inside')
  })
  fails(
    'uv',
    dir('../outside/pkg'),
    /^uv\.lock:\d+ \(package local 1\.0\)$/,
    new RegExp(`${path.join(tmp, 'outside', 'pkg')} is outside the workspace`)
  )
  fails(
    'uv',
    dir('/etc'),
    /^uv\.lock:\d+ \(package local 1\.0\)$/,
    /\/etc is outside the workspace/
  )
  fails(
    'uv',
    dir('libs/link'),
    /^uv\.lock:\d+ \(package local 1\.0\)$/,
    new RegExp(
      `libs/link \\(it resolves to ${path.join(tmp, 'outside', 'pkg')}\\) is outside the workspace`
    )
  )
  // a file: URL in pylock.toml and a Poetry directory source, the same
  const pylock = fixture('pylock').replace(
    "url = 'https://files.example.org/depdep-1.0-py3-none-any.whl'",
    "path = '../outside/depdep-1.0-py3-none-any.whl'"
  )
  assert.notEqual(pylock, fixture('pylock'))
  fails('pylock', pylock, /^pylock\.toml:\d+ \(package depdep 1\.0\)$/, /is outside the workspace/)
})

test('a locked package with no wheel for the target names the chain from the project’s requirement (lock graph)', () => {
  const text =
    UV_HEAD.replace('{ name = "pinned-old" },\n', '') +
    uvPackage(
      'matplotlib',
      '3.9.2',
      'dependencies = [\n    { name = "contourpy" },\n]\n',
      'matplotlib-3.9.2-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl'
    ) +
    uvPackage(
      'contourpy',
      '1.3.1',
      '',
      'contourpy-1.3.1-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl'
    )
  assert.throws(
    () => pin('uv', text, '3.11'),
    (error: unknown) => {
      assert.ok(error instanceof NoCompatibleWheelError, String(error))
      assert.deepEqual(error.chain, ['matplotlib 3.9.2', 'contourpy 1.3.1'])
      assert.match(
        error.message,
        /^No wheel of 'contourpy' \(not asked for: it comes in through matplotlib 3\.9\.2 → contourpy 1\.3\.1\) fits python3\.11 \(Amazon Linux 2, glibc 2\.26, x86_64\): uv\.lock locks/
      )
      assert.match(
        error.message,
        /contourpy-1\.3\.1-cp312-cp312-manylinux_2_17_x86_64\.manylinux2014_x86_64\.whl: python3\.12 \(x86_64\)/
      )
      assert.match(
        error.message,
        /To change: matplotlib is the requirement you wrote that pulls in contourpy/
      )
      return true
    }
  )
})

test('the lock graph becomes requiredBy/dependencies; Pipfile.lock has none and says so', () => {
  const uv = pin('uv', fixture('uv'))
  const plain = uv.entries.find(e => e.name === 'plainpkg')
  const dep = uv.entries.find(e => e.name === 'depdep')
  assert.deepEqual(plain?.requiredBy, [])
  assert.deepEqual(plain?.dependencies, ['depdep'])
  assert.deepEqual(dep?.requiredBy, ['plainpkg'])
  const pipfile = pin('pipfile', fixture('pipfile'))
  assert.ok(pipfile.entries.every(e => e.dependencies.length === 0 && e.requiredBy.length === 0))
  assert.match(pipfile.notes.join('\n'), /records no dependency graph/)
  // reading alone is pure and agrees
  assert.ok(readLock(request('uv', fixture('uv')), 'uv').packages.length > 0)
})
