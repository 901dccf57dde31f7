/**
 * pyproject.toml → requirement lines. The fixtures follow PEP 621 (`[project]`), PEP 735
 * (`[dependency-groups]`, `{include-group = "…"}`, normalised names, cycles are errors) and the
 * Poetry 1 layout (`[tool.poetry.dependencies]`) as the specs and Poetry's docs write them.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { InputError } from '../../src/errors'
import { absolutePaths, pyprojectRequirements } from '../../src/resolve/pyproject'

const DIR = '/repo/layers/api'

const PROJECT = `
[project]
name = "Layer_API"
version = "1.0.0"
requires-python = ">=3.11"
dependencies = [
  "requests>=2.31,<3",
  "exceptiongroup; python_version < '3.11'",
]

[project.optional-dependencies]
AWS = ["boto3>=1.34"]
postgres = ["psycopg[binary]>=3.1 ; platform_machine == 'x86_64'"]
all = ["layer-api[aws,Postgres]"]

[dependency-groups]
test = ["pytest>=8", {include-group = "typing"}]
typing = ["mypy==1.11.2"]
Lambda_Runtime = ["awslambdaric", "layer-api[aws]"]

[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"
`

const req = (text: string, extras: string[] = [], groups: string[] = []): string[] =>
  pyprojectRequirements(text, {
    display: 'layers/api/pyproject.toml',
    directory: DIR,
    extras,
    groups
  })

function fails(
  text: string,
  input: string,
  pattern: RegExp,
  extras: string[] = [],
  groups: string[] = []
): void {
  assert.throws(
    () => req(text, extras, groups),
    (e: unknown) => {
      assert.ok(e instanceof InputError, String(e))
      assert.equal(e.input, input)
      assert.match(e.message, /layers\/api\/pyproject\.toml/)
      assert.match(e.message, pattern)
      return true
    }
  )
}

test('[project.dependencies] only, markers kept for pip to evaluate for the target', () => {
  assert.deepEqual(req(PROJECT), ['requests>=2.31,<3', "exceptiongroup ; python_version < '3.11'"])
})

test('extras by their normalised names (PEP 685), with their markers', () => {
  assert.deepEqual(req(PROJECT, ['aws', 'POSTGRES']), [
    'requests>=2.31,<3',
    "exceptiongroup ; python_version < '3.11'",
    'boto3>=1.34',
    "psycopg[binary]>=3.1 ; platform_machine == 'x86_64'"
  ])
})

test('an extra naming the project itself adds those extras, never the project', () => {
  const lines = req(PROJECT, ['all'])
  assert.ok(lines.includes('boto3>=1.34'))
  assert.ok(lines.includes("psycopg[binary]>=3.1 ; platform_machine == 'x86_64'"))
  assert.ok(!lines.some(l => /layer[-_]api/i.test(l)))
})

test('dependency groups with include-group, normalised names; a group naming the project adds its dependencies', () => {
  assert.deepEqual(req(PROJECT, [], ['test']), [
    'requests>=2.31,<3',
    "exceptiongroup ; python_version < '3.11'",
    'pytest>=8',
    'mypy==1.11.2'
  ])
  assert.deepEqual(req(PROJECT, [], ['lambda-runtime']), [
    'requests>=2.31,<3',
    "exceptiongroup ; python_version < '3.11'",
    'awslambdaric',
    'boto3>=1.34'
  ])
})

test('a marker on a self-reference is joined to the markers of what it adds', () => {
  const text = `
[project]
name = "me"
version = "1"
dependencies = []
[project.optional-dependencies]
arm = ["armlib; python_version >= '3.12'"]
all = ["me[arm]; platform_machine == 'aarch64'"]
`
  assert.deepEqual(req(text, ['all']), [
    "armlib ; (platform_machine == 'aarch64') and (python_version >= '3.12')"
  ])
})

test('a pyproject.toml with only [dependency-groups] (PEP 735, not a package) serves its groups', () => {
  const text = `[dependency-groups]\nlambda = ["requests", "attrs>=23"]\n`
  assert.deepEqual(req(text, [], ['lambda']), ['requests', 'attrs>=23'])
})

test('relative local references resolve against the pyproject.toml folder', () => {
  assert.equal(
    absolutePaths('common @ file:../libs/common', DIR),
    'common @ file:///repo/layers/libs/common'
  )
  assert.equal(
    absolutePaths('common @ file:///${PROJECT_ROOT}/libs/common', DIR),
    'common @ file:///repo/layers/api/libs/common'
  )
  assert.equal(
    absolutePaths('common @ {root:uri}/libs/common', DIR),
    'common @ file:///repo/layers/api/libs/common'
  )
  assert.equal(absolutePaths('common @ file:///opt/common', DIR), 'common @ file:///opt/common')
  assert.equal(absolutePaths('requests>=2', DIR), 'requests>=2')
  const text = `[project]\nname = "x"\nversion = "1"\ndependencies = ["common @ file:libs/common ; sys_platform == 'linux'"]\n`
  assert.deepEqual(req(text), [
    "common @ file:///repo/layers/api/libs/common ; sys_platform == 'linux'"
  ])
})

test('TOML that does not parse: requirements, the file and the line', () => {
  fails('[project]\nname = "x"\ndependencies = ["a",\n', 'requirements', /pyproject\.toml:\d+"/)
  fails('[project]\nname = "x"\nname = "y"\n', 'requirements', /line 3/)
})

test('no [project] table: Poetry 1 points at poetry.lock; anything else names PEP 621', () => {
  fails(
    '[tool.poetry]\nname = "x"\n[tool.poetry.dependencies]\npython = "^3.12"\nrequests = "^2.31"\n',
    'requirements',
    /\[tool\.poetry\.dependencies\].*poetry\.lock/
  )
  fails('[tool.black]\nline-length = 100\n', 'requirements', /\[project\] table \(PEP 621\)/)
})

test('dependencies listed in project.dynamic cannot be read without the build backend', () => {
  fails(
    '[project]\nname = "x"\nversion = "1"\ndynamic = ["dependencies"]\n',
    'requirements',
    /project\.dynamic/
  )
  // Poetry 2 keeps dependencies in [tool.poetry.dependencies] when project.dynamic says so
  fails(
    '[project]\nname = "x"\nversion = "1"\ndynamic = ["dependencies"]\n[tool.poetry.dependencies]\nrequests = "^2.32"\n',
    'requirements',
    /project\.dynamic.*requirements: layers\/api\/poetry\.lock/
  )
  fails(
    '[project]\nname = "x"\nversion = "1"\ndynamic = ["optional-dependencies"]\n',
    'extras',
    /project\.dynamic/,
    ['aws']
  )
})

test('an extra or a group the file does not define: the defined ones are listed', () => {
  fails(
    PROJECT,
    'extras',
    /"s3".*defines in \[project\.optional-dependencies\]: AWS, postgres, all/,
    ['s3']
  )
  fails(
    PROJECT,
    'groups',
    /"dev".*defines in \[dependency-groups\]: test, typing, Lambda_Runtime/,
    [],
    ['dev']
  )
  fails('[project]\nname = "x"\nversion = "1"\n', 'extras', /defines no extras/, ['aws'])
  fails(
    '[project]\nname = "x"\nversion = "1"\n',
    'groups',
    /defines no dependency groups/,
    [],
    ['dev']
  )
  fails(
    '[project]\nname = "x"\nversion = "1"\n[dependency-groups]\na = [{include-group = "b"}]\n',
    'groups',
    /"b".*included by group a/,
    [],
    ['a']
  )
})

test('include-group cycles, non-strings and pip options are errors', () => {
  fails(
    '[dependency-groups]\na = [{include-group = "b"}]\nb = [{include-group = "A"}]\n',
    'groups',
    /without a cycle: a → b → a/,
    [],
    ['a']
  )
  fails(
    '[project]\nname = "x"\nversion = "1"\ndependencies = "requests"\n',
    'requirements',
    /list of PEP 508/
  )
  fails(
    '[project]\nname = "x"\nversion = "1"\ndependencies = ["--index-url=https://elsewhere/simple"]\n',
    'requirements',
    /not one \(pip options/
  )
  fails('[dependency-groups]\na = [{pip = "x"}]\n', 'requirements', /include-group/, [], ['a'])
})
