/**
 * PEP 508 markers evaluated for the Lambda target. The marker strings marked "real" are copied from
 * real lock files: python-poetry/poetry's poetry.lock (Poetry 2.4.1, lock-version 2.1), pypa/pipenv's
 * Pipfile.lock (pipfile-spec 6, with PEP 751 `dependency_groups` markers), astral-sh/uv's
 * crates/uv/tests/it/lock_conflict.rs snapshots (revision 3, conflict-encoded extras), and the
 * Pipfile.lock example of veit/jupyter-tutorial (pipenv's older markers).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { findRuntime, markerEnvironment, type Architecture } from '../../src/runtimes'
import { MarkerSyntaxError, evaluateMarker, parseMarker } from '../../src/python/markers'
import { VersionSyntaxError, specifierMatches, versionMatches } from '../../src/python/pep440'
import { tagPriority, wheelRank, parseDistributionFile } from '../../src/python/wheel-tags'

function ctx(
  version: string,
  architecture: Architecture = 'x86_64',
  sets: { extras?: string[]; groups?: string[] } = {}
) {
  const runtime = findRuntime(version)
  assert.ok(runtime, version)
  return {
    env: markerEnvironment(runtime, architecture),
    extras: new Set(sets.extras ?? []),
    groups: new Set(sets.groups ?? [])
  }
}

const holds = (marker: string, c: ReturnType<typeof ctx>): boolean => evaluateMarker(marker, c)

test('python_version and python_full_version compare as PEP 440 versions, for the target', () => {
  assert.equal(holds('python_version < "3.11"', ctx('3.10')), true)
  assert.equal(holds('python_version < "3.11"', ctx('3.11')), false)
  // 3.10 < 3.9 as strings, not as versions
  assert.equal(holds("python_version >= '3.9'", ctx('3.10')), true)
  assert.equal(holds('python_full_version < "3.11.3"', ctx('3.11')), false) // 3.11.13
  assert.equal(holds('python_full_version < "3.10.2"', ctx('3.10')), false) // real (poetry.lock)
  assert.equal(holds('python_full_version >= "3.9.0"', ctx('3.14')), true)
  assert.equal(holds('python_full_version < "3.14"', ctx('3.14')), false)
  assert.equal(holds('python_version == "3.12.*"', ctx('3.12')), true)
  assert.equal(holds('python_version != "3.12.*"', ctx('3.13')), true)
  assert.equal(holds('python_version ~= "3.12"', ctx('3.13')), true)
  assert.equal(holds('python_version ~= "3.12"', ctx('3.11')), false)
  assert.equal(holds('python_version === "3.12"', ctx('3.12')), true)
})

test('reversed operands and both quote styles', () => {
  assert.equal(holds('"3.11" > python_version', ctx('3.10')), true)
  assert.equal(holds("'3.11' > python_version", ctx('3.12')), false)
  assert.equal(holds(`"linux" == sys_platform`, ctx('3.12')), true)
  assert.equal(holds(`'x86' in platform_machine`, ctx('3.12')), true)
  assert.equal(holds(`'x86' not in platform_machine`, ctx('3.12', 'arm64')), true)
})

test('platform markers are Lambda on the target architecture, not the runner', () => {
  assert.equal(holds('platform_machine == "aarch64"', ctx('3.12', 'arm64')), true)
  assert.equal(holds('platform_machine == "aarch64"', ctx('3.12', 'x86_64')), false)
  assert.equal(holds("sys_platform == 'win32'", ctx('3.12')), false)
  assert.equal(holds('os_name == "nt"', ctx('3.12')), false) // real (poetry.lock)
  assert.equal(holds('platform_system == "Linux" and os_name == "posix"', ctx('3.13')), true)
  assert.equal(holds('implementation_name != "PyPy"', ctx('3.13')), true) // real (poetry.lock)
  // legacy spelling
  assert.equal(holds('sys.platform == "linux"', ctx('3.13')), true)
})

test('and binds tighter than or; parentheses group (real poetry.lock marker of cffi)', () => {
  const cffi =
    'platform_python_implementation != "PyPy" and sys_platform == "linux" or sys_platform == "darwin"'
  assert.equal(holds(cffi, ctx('3.12')), true)
  assert.equal(
    holds(
      'sys_platform == "darwin" or sys_platform == "win32" and python_version >= "3"',
      ctx('3.12')
    ),
    false
  )
  assert.equal(
    holds(
      '(sys_platform == "darwin" or sys_platform == "linux") and python_version < "3.12"',
      ctx('3.12')
    ),
    false
  )
})

test('real older Pipfile.lock marker: a chain of != wildcards', () => {
  const m =
    "python_version != '3.2.*' and python_version != '3.1.*' and python_version < '4' and python_version != '3.3.*' and python_version >= '2.6' and python_version != '3.0.*'"
  assert.equal(holds(m, ctx('3.11')), true)
})

test('extra is the set of requested extras (uv, Poetry), including uv conflict encodings', () => {
  assert.equal(holds('extra == "toml"', ctx('3.12', 'x86_64', { extras: ['toml'] })), true)
  assert.equal(holds('extra == "toml"', ctx('3.12')), false)
  assert.equal(holds('extra != "toml"', ctx('3.12')), true)
  // real (poetry.lock): extras compare normalised
  assert.equal(
    holds(
      'python_full_version <= "3.11.0a6" and extra == "toml"',
      ctx('3.10', 'x86_64', { extras: ['toml'] })
    ),
    true
  )
  assert.equal(
    holds('extra == "Fast_Json"', ctx('3.12', 'x86_64', { extras: ['fast-json'] })),
    true
  )
  // real (uv lock_conflict.rs snapshot)
  const uv =
    "(python_full_version < '3.13' and extra != 'extra-7-project-cpu' and extra != 'extra-7-project-cu124') or (extra == 'extra-7-project-cpu' and extra == 'extra-7-project-cu124')"
  assert.equal(holds(uv, ctx('3.12')), true)
  assert.equal(holds(uv, ctx('3.12', 'x86_64', { extras: ['extra-7-project-cpu'] })), false)
  assert.equal(holds(uv, ctx('3.13')), false)
})

test("PEP 751 sets: 'dev' in dependency_groups, 'x' in extras (real Pipfile.lock markers)", () => {
  const m = "('dev' in dependency_groups) and (python_version >= '3.10')"
  assert.equal(holds(m, ctx('3.12', 'x86_64', { groups: ['dev'] })), true)
  assert.equal(holds(m, ctx('3.12')), false)
  assert.equal(
    holds("'dev' in dependency_groups", ctx('3.12', 'x86_64', { groups: ['dev'] })),
    true
  )
  assert.equal(holds("'fast' in extras", ctx('3.12', 'x86_64', { extras: ['fast'] })), true)
  assert.equal(holds("'fast' not in extras", ctx('3.12')), true)
})

test('a marker that does not parse is a MarkerSyntaxError saying why', () => {
  for (const bad of [
    'python_version <',
    'python_versio == "3.12"',
    'python_version == "3.12',
    '"a" == "b"',
    'python_version == "3" and',
    '(python_version == "3"',
    'python_version ~ "3"',
    ''
  ]) {
    assert.throws(() => parseMarker(bad), MarkerSyntaxError, bad)
  }
  assert.throws(() => evaluateMarker('dependency_groups == "dev"', ctx('3.12')), MarkerSyntaxError)
})

test('PEP 440 versions: pre, post, dev, local, epochs', () => {
  // PEP 440: `<V` does not take V's own pre-releases
  assert.equal(versionMatches('1.0rc1', '<', '1.0'), false)
  assert.equal(versionMatches('1.0rc1', '<', '1.1'), true)
  assert.equal(versionMatches('1.0rc1', '<=', '1.0'), true)
  assert.equal(versionMatches('1.0.dev1', '<', '1.0a1'), true)
  assert.equal(versionMatches('1.0.post1', '>', '1.0'), false) // excluded by `>` per PEP 440
  assert.equal(versionMatches('1.0.post1', '>=', '1.0'), true)
  assert.equal(versionMatches('1.0+local', '==', '1.0'), true)
  assert.equal(versionMatches('1!1.0', '>', '2.0'), true)
  assert.equal(versionMatches('2.0', '==', '2'), true)
  assert.equal(versionMatches('2.1', '~=', '2.0.1'), false)
  assert.equal(specifierMatches('3.12.12', '>=3.10, <4'), true)
  assert.equal(specifierMatches('3.12.12', '== 3.12.*'), true) // real (pylock.example.toml)
  assert.equal(specifierMatches('3.13.9', '== 3.12.*'), false)
  assert.throws(() => specifierMatches('3.12', '^3.10'), VersionSyntaxError)
})

test('wheel rank follows pip: cpXY-cpXY before abi3 before none, best platform first, pure last', () => {
  const runtime = findRuntime('3.12')
  assert.ok(runtime)
  const target = { runtime, architecture: 'x86_64' as const }
  const priority = tagPriority(target)
  const rank = (f: string) => wheelRank(target, parseDistributionFile(f)!, priority)
  const files = [
    'fast-1.0-py3-none-any.whl',
    'fast-1.0-cp39-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl',
    'fast-1.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl',
    'fast-1.0-cp312-cp312-manylinux_2_28_x86_64.whl',
    'fast-1.0-cp312-cp312-musllinux_1_2_x86_64.whl',
    'fast-1.0-cp312-cp312-manylinux_2_35_x86_64.whl',
    'fast-1.0-cp313-cp313-manylinux_2_28_x86_64.whl',
    'fast-1.0-cp312-abi3-manylinux_2_28_x86_64.whl',
    'fast-1.0-py3-none-manylinux_2_17_x86_64.whl'
  ]
  const ordered = files
    .map(f => ({ f, r: rank(f) }))
    .filter(x => x.r !== undefined)
    .sort((a, b) => a.r! - b.r!)
    .map(x => x.f)
  assert.deepEqual(ordered, [
    'fast-1.0-cp312-cp312-manylinux_2_28_x86_64.whl',
    'fast-1.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl',
    'fast-1.0-cp312-abi3-manylinux_2_28_x86_64.whl',
    'fast-1.0-cp39-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl',
    'fast-1.0-py3-none-manylinux_2_17_x86_64.whl',
    'fast-1.0-py3-none-any.whl'
  ])
  assert.equal(priority[0], 'cp312-cp312-manylinux_2_34_x86_64')
  assert.equal(priority.at(-1), 'py30-none-any')
})
