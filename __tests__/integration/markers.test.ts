/**
 * Environment markers are evaluated for the Lambda target, not for the runner: real pip (this
 * machine's python3, 3.11 on x86_64) against a local index of generated wheels, for five targets.
 * Each target has packages that must be in the layer and packages that must not; the marker cases
 * are those of issue 8 (arm64-only, x86-only, backports by python_version and python_full_version,
 * Windows-only), in wheel metadata (Requires-Dist) and in requirements lines.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { promises as fs } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { findRuntime, type Architecture, type Runtime } from '../../src/runtimes'
import { downloadWheels, resolveReport } from '../../src/resolve/pip'
import { PipError } from '../../src/python/pip'
import { pinnedFromReport } from '../../src/resolve/pip-report'
import { resolveWithSources } from '../../src/resolve/sources'
import { markerEnvironment } from '../../src/runtimes'
import {
  BOOTSTRAP_FAILED,
  PIP_BOOTSTRAP,
  describeMarkerEnvironment,
  pipForTarget
} from '../../src/resolve/pip-target'
import { parseDistributionFile } from '../../src/python/wheel-tags'
import { hermeticPipEnv } from '../helpers/pip-env'
import { captureLog, type CapturedLog } from '../helpers/log'
import {
  makeIndex,
  makeWheel,
  serveIndex,
  type ServedIndex,
  type WheelSpec
} from '../helpers/wheels'

let tmp: string
let index: ServedIndex
let log: CapturedLog

const rt = (v: string): Runtime => {
  const r = findRuntime(v)
  assert.ok(r, v)
  return r
}

const pure = (name: string): WheelSpec => ({ name, version: '1.0', tags: 'py3-none-any' })

/** Every dependency below is a pure wheel: only its marker decides whether it is in the layer. */
const WHEELS: WheelSpec[] = [
  {
    name: 'markerpkg',
    version: '1.0',
    tags: 'py3-none-any',
    requires: [
      'onlyarm; platform_machine == "aarch64"',
      'onlyx86; platform_machine == "x86_64"',
      'onlyold; python_version < "3.12"',
      'newonly; python_version >= "3.13"',
      // redis' own backport: the runner's 3.11.7 and every 3.11 Lambda has had are past it
      'backport; python_full_version < "3.11.3"',
      // the runner here is 3.11.7: only a target patch level makes this true
      'patched; python_full_version >= "3.11.8" and python_version == "3.11"',
      'winonly; sys_platform == "win32"',
      'maconly; sys_platform == "darwin" or platform_system == "Darwin"',
      'linuxonly; sys_platform == "linux" and platform_system == "Linux" and os_name == "posix"',
      'cpyonly; implementation_name == "cpython" and platform_python_implementation == "CPython"',
      'pypyonly; implementation_name == "pypy"'
    ]
  },
  ...[
    'onlyarm',
    'onlyx86',
    'onlyold',
    'newonly',
    'backport',
    'patched',
    'winonly',
    'maconly',
    'linuxonly',
    'cpyonly',
    'pypyonly',
    'armdirect',
    'x86direct',
    'py313direct',
    'legacydirect'
  ].map(pure),
  // Requires-Python is judged with the runtime's patch level too (--python-version 3.12.12)
  { name: 'patchreq', version: '1.0', tags: 'py3-none-any' },
  { name: 'patchreq', version: '2.0', tags: 'py3-none-any', requiresPython: '>=3.12.5' }
]

/** Markers written in the requirements file itself. */
const REQUIREMENTS = [
  'markerpkg',
  'armdirect ; platform_machine == "aarch64"',
  'x86direct ; platform_machine == "x86_64"',
  'py313direct ; python_version >= "3.13"',
  'legacydirect ; python_version < "3.12"',
  ''
].join('\n')

/** What every target gets whatever its version and CPU. */
const ALWAYS = ['markerpkg', 'linuxonly', 'cpyonly']
/** What no Lambda target ever gets. */
const NEVER = ['winonly', 'maconly', 'pypyonly']

const CASES: { version: string; arch: Architecture; present: string[] }[] = [
  {
    version: '3.10',
    arch: 'x86_64',
    present: ['onlyx86', 'x86direct', 'onlyold', 'legacydirect', 'backport']
  },
  {
    version: '3.11',
    arch: 'arm64',
    present: ['onlyarm', 'armdirect', 'onlyold', 'legacydirect', 'patched']
  },
  { version: '3.12', arch: 'arm64', present: ['onlyarm', 'armdirect'] },
  { version: '3.13', arch: 'x86_64', present: ['onlyx86', 'x86direct', 'newonly', 'py313direct'] },
  { version: '3.14', arch: 'arm64', present: ['onlyarm', 'armdirect', 'newonly', 'py313direct'] }
]

before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'layer-markers-'))
  const built = await Promise.all(WHEELS.map(w => makeWheel(path.join(tmp, 'built'), w)))
  await makeIndex(path.join(tmp, 'index'), built)
  index = await serveIndex(path.join(tmp, 'index'))
  await fs.writeFile(path.join(tmp, 'requirements.txt'), REQUIREMENTS)
  log = captureLog()
})

after(async () => {
  log.restore()
  await index.close()
  await fs.rm(tmp, { recursive: true, force: true })
})

function resolved(files: string[]): string[] {
  return files.map(f => parseDistributionFile(f)?.project ?? f).sort()
}

for (const c of CASES) {
  test(`python${c.version} on ${c.arch}: markers in metadata and requirements are evaluated for the target, on the runner's python3`, async () => {
    const files = await downloadWheels({
      requirements: path.join(tmp, 'requirements.txt'),
      wheelhouse: path.join(tmp, `wheels-${c.version}-${c.arch}`),
      runtime: rt(c.version),
      architecture: c.arch,
      python: 'python3',
      indexUrl: index.url,
      pipArgs: [],
      env: hermeticPipEnv(),
      cwd: tmp
    })
    const expected = [...ALWAYS, ...c.present].sort()
    assert.deepEqual(resolved(files), expected)
    for (const absent of NEVER) assert.ok(!resolved(files).includes(absent), absent)

    // pip's report (what the action runs) pins exactly the files pip download fetched
    const report = await resolveReport({
      requirements: path.join(tmp, 'requirements.txt'),
      wheelhouse: path.join(tmp, `report-${c.version}-${c.arch}`),
      runtime: rt(c.version),
      architecture: c.arch,
      python: 'python3',
      indexUrl: index.url,
      pipArgs: [],
      env: hermeticPipEnv(),
      cwd: tmp
    })
    assert.ok(report !== 'no-report')
    const entries = pinnedFromReport(report, {
      env: markerEnvironment(rt(c.version), c.arch),
      indexFor: () => undefined
    })
    assert.deepEqual(
      entries.map(e => (e.artifact.kind === 'file' ? e.artifact.filename : '')).sort(),
      [...files].sort()
    )
    // each file's hash as the index gave it, and the graph for the target: markerpkg requires what its markers keep
    for (const e of entries) {
      assert.equal(e.artifact.kind, 'file')
      if (e.artifact.kind === 'file')
        assert.match(e.artifact.hashes.sha256?.[0] ?? '', /^[0-9a-f]{64}$/)
    }
    const markerpkg = entries.find(e => e.name === 'markerpkg')
    assert.deepEqual(markerpkg?.requiredBy, [])
    assert.deepEqual(
      markerpkg?.dependencies,
      expected.filter(n => n !== 'markerpkg' && !n.endsWith('direct')).sort()
    )
    for (const e of entries.filter(x => x.name !== 'markerpkg'))
      assert.deepEqual(e.requiredBy, e.name.endsWith('direct') ? [] : ['markerpkg'], e.name)
  })
}

test('Requires-Python is judged with the runtime patch level: >=3.12.5 holds on python3.12, not on python3.11', async () => {
  await fs.writeFile(path.join(tmp, 'patchreq.txt'), 'patchreq\n')
  const pick = async (version: string) =>
    downloadWheels({
      requirements: path.join(tmp, 'patchreq.txt'),
      wheelhouse: path.join(tmp, `patchreq-${version}`),
      runtime: rt(version),
      architecture: 'x86_64',
      python: 'python3',
      indexUrl: index.url,
      pipArgs: [],
      env: hermeticPipEnv(),
      cwd: tmp
    })
  assert.deepEqual(await pick('3.12'), ['patchreq-2.0-py3-none-any.whl'])
  assert.deepEqual(await pick('3.11'), ['patchreq-1.0-py3-none-any.whl'])
  // and by pip install --dry-run --report too, on pips before 24.2 (which judge it against the
  // runner's 3.11 in install: pypa/pip#12216) as on later ones, through the bootstrap
  const report = async (version: string) => {
    const items = await resolveReport({
      requirements: path.join(tmp, 'patchreq.txt'),
      wheelhouse: path.join(tmp, `patchreq-report-${version}`),
      runtime: rt(version),
      architecture: 'x86_64',
      python: 'python3',
      indexUrl: index.url,
      pipArgs: [],
      env: hermeticPipEnv(),
      cwd: tmp
    })
    return items === 'no-report' ? items : items.map(i => `${i.name} ${i.version}`)
  }
  assert.deepEqual(await report('3.12'), ['patchreq 2.0'])
  assert.deepEqual(await report('3.11'), ['patchreq 1.0'])
})

test("pyenv's shims do not take the bootstrap for a pip install (their rehash races between parallel runs)", () => {
  // the test pyenv's pip-rehash.bash applies to the arguments of python
  assert.doesNotMatch(` -c ${PIP_BOOTSTRAP} download `, /\s-m\spip\s/)
})

test('the log line names the environment markers were evaluated for', () => {
  assert.equal(
    describeMarkerEnvironment(rt('3.12'), 'arm64'),
    `python3.12 on aarch64: python_version 3.12, python_full_version ${rt('3.12').fullVersion}, platform_machine aarch64, sys_platform linux, platform_system Linux, os_name posix, implementation_name cpython, platform_python_implementation CPython`
  )
})

test('a pip that no longer takes markers from default_environment() fails loudly, never evaluates for the runner', async () => {
  // a stand-in pip whose Marker.evaluate reads a private copy, as a future pip might
  const fake = path.join(tmp, 'future-pip')
  const files: Record<string, string> = {
    'pip/__init__.py': "__version__ = '99.0'\n",
    'pip/_vendor/__init__.py': '',
    'pip/_vendor/packaging/__init__.py': '',
    'pip/_vendor/packaging/markers.py': [
      'import platform',
      '_ENV = {"platform_machine": platform.machine()}',
      'def default_environment():',
      '    return dict(_ENV)',
      'class Marker:',
      '    def __init__(self, text):',
      '        self.text = text',
      '    def evaluate(self, environment=None):',
      '        return dict(_ENV, **(environment or {})).get("platform_machine") == "x86_64"',
      ''
    ].join('\n'),
    'pip/_internal/__init__.py': '',
    'pip/_internal/cli/__init__.py': '',
    'pip/_internal/cli/main.py': 'def main(args):\n    print("pip ran")\n    return 0\n'
  }
  for (const [file, content] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(fake, file)), { recursive: true })
    await fs.writeFile(path.join(fake, file), content)
  }
  const target = pipForTarget(rt('3.12'), 'arm64', ['download', 'x'])
  const r = spawnSync('python3', target.argv, {
    env: { ...hermeticPipEnv(), ...target.env, PYTHONPATH: fake },
    encoding: 'utf8'
  })
  assert.equal(r.status, BOOTSTRAP_FAILED)
  assert.doesNotMatch(r.stdout, /pip ran/)
  assert.match(
    r.stderr,
    /^ERROR: layer-action cannot make this pip evaluate environment markers for the Lambda target: pip 99\.0 /m
  )

  // and through downloadWheels: a PipError carrying that line
  await assert.rejects(
    downloadWheels({
      requirements: path.join(tmp, 'requirements.txt'),
      wheelhouse: path.join(tmp, 'wheels-future'),
      runtime: rt('3.12'),
      architecture: 'arm64',
      python: 'python3',
      indexUrl: index.url,
      pipArgs: [],
      env: hermeticPipEnv({ PYTHONPATH: fake }),
      cwd: tmp
    }),
    (e: unknown) =>
      e instanceof PipError && /evaluate environment markers for the Lambda target/.test(e.message)
  )
})

test('a folder named pip in the working directory does not shadow pip', async () => {
  const cwd = path.join(tmp, 'shadow')
  await fs.mkdir(path.join(cwd, 'pip'), { recursive: true })
  await fs.writeFile(
    path.join(cwd, 'pip', '__init__.py'),
    'raise SystemExit("the workspace pip ran")\n'
  )
  const target = pipForTarget(rt('3.13'), 'x86_64', ['--version'])
  const r = spawnSync('python3', target.argv, {
    env: { ...hermeticPipEnv(), ...target.env },
    cwd,
    encoding: 'utf8'
  })
  assert.equal(r.status, 0, r.stderr)
  assert.match(r.stdout, /^pip \d+/)
})

test('a pip without --dry-run --report (before 22.2; a stand-in: this pip with the two options taken out) falls back to pip download and pins the same files', async () => {
  // sitecustomize removes --report and --dry-run from pip install, so this real pip answers as pip 22.1 does
  const old = path.join(tmp, 'old-pip')
  await fs.mkdir(old, { recursive: true })
  await fs.writeFile(
    path.join(old, 'sitecustomize.py'),
    [
      'from pip._internal.commands import install',
      'original = install.InstallCommand.add_options',
      'def add_options(self):',
      '    original(self)',
      '    for flag in ("--report", "--dry-run"):',
      '        self.cmd_opts.remove_option(flag)',
      'install.InstallCommand.add_options = add_options',
      ''
    ].join('\n')
  )
  const runtime = rt('3.12')
  const pip = {
    requirements: path.join(tmp, 'requirements.txt'),
    wheelhouse: path.join(tmp, 'fallback'),
    runtime,
    architecture: 'arm64' as const,
    python: 'python3',
    indexUrl: index.url,
    pipArgs: [],
    cwd: tmp
  }
  const resolveBoth = async (env: NodeJS.ProcessEnv) => {
    const { items, via } = await resolveWithSources({
      pip: { ...pip, env },
      buildSdists: 'never',
      workDir: path.join(tmp, `fallback-work-${via0++}`),
      workspace: tmp
    })
    const entries = pinnedFromReport(items, {
      env: markerEnvironment(runtime, 'arm64'),
      indexFor: () => undefined
    })
    return { via, entries }
  }
  let via0 = 0
  const old22 = await resolveBoth(hermeticPipEnv({ PYTHONPATH: old }))
  const current = await resolveBoth(hermeticPipEnv())
  assert.equal(old22.via, 'download')
  assert.equal(current.via, 'report')
  const files = (r: typeof current) =>
    r.entries.map(e => (e.artifact.kind === 'file' ? e.artifact.filename : '')).sort()
  assert.deepEqual(files(old22), files(current))
  // the fallback pins its downloads by file: URL and SHA-256, with the graph read from their METADATA
  for (const e of old22.entries) {
    assert.ok(e.artifact.kind === 'file' && e.artifact.url?.startsWith('file:'), e.name)
    if (e.artifact.kind === 'file')
      assert.match(e.artifact.hashes.sha256?.[0] ?? '', /^[0-9a-f]{64}$/)
  }
  assert.deepEqual(
    old22.entries.find(e => e.name === 'markerpkg')?.dependencies,
    current.entries.find(e => e.name === 'markerpkg')?.dependencies
  )
})
