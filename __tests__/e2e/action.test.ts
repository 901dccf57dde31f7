/**
 * End to end: the bundled dist/index.js, run as the runner runs it (INPUT_* with action.yml's
 * defaults, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY read back), against real pip and a local index of
 * generated wheels, a real git repository with a bare origin, and the real moto_server.
 */
import { test, before, after, beforeEach } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import AdmZip from 'adm-zip'
import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import {
  GetLayerVersionCommand,
  GetLayerVersionPolicyCommand,
  ListLayerVersionsCommand,
  type LambdaClient
} from '@aws-sdk/client-lambda'
import { actionYml, ok, runAction, type ActionRun } from '../helpers/action'
import { startMoto, MOTO_ACCOUNT, type Moto } from '../helpers/moto'
import { createBucket, motoClients, objectKeys } from '../helpers/aws-fixtures'
import { makeIndex, makeWheel, serveIndex, type ServedIndex } from '../helpers/wheels'
import { hermeticPipEnv } from '../helpers/pip-env'
import { createSandbox, commit, git, isolateGit, type Sandbox } from '../helpers/git'
import { localPython } from '../helpers/python'
import { startCacheServer } from '../helpers/cache-server'

const REGION = 'eu-west-1'
const BUCKET = 'e2e-layers'
const PY = localPython()
const CP = `cp${PY.replace('.', '')}`

let dir: string
let home: string
let index: ServedIndex
let moto: Moto
let s3: S3Client
let lambda: LambdaClient
let sandbox: Sandbox

before(async () => {
  home = await isolateGit()
  dir = await mkdtemp(path.join(os.tmpdir(), 'layer-e2e-'))
  const wheels = path.join(dir, 'wheels')
  await makeIndex(path.join(dir, 'index'), [
    await makeWheel(wheels, {
      name: 'greeting',
      version: '1.2.0',
      tags: 'py3-none-any',
      requires: ['helper-lib>=0.1'],
      modules: {
        'greeting/__init__.py':
          'from helper_lib import shout\n\ndef hello(name):\n    return shout("hello " + name)\n',
        'greeting/tests/test_greeting.py': 'def test_x():\n    pass\n',
        'greeting/tests/conftest.py': ''
      }
    }),
    await makeWheel(wheels, {
      name: 'helper-lib',
      version: '0.3.1',
      tags: 'py3-none-any',
      modules: { 'helper_lib/__init__.py': 'def shout(s):\n    return s.upper()\n' }
    }),
    // a platform wheel: picked only because its tags fit the runtime (no real .so: it must import here)
    await makeWheel(wheels, {
      name: 'fastcore',
      version: '2.0.0',
      tags: `${CP}-${CP}-manylinux_2_17_x86_64.manylinux2014_x86_64`,
      modules: { 'fastcore/__init__.py': 'SPEED = "fast"\n' }
    }),
    await makeWheel(wheels, {
      name: 'fastcore',
      version: '2.1.0',
      tags: `${CP}-${CP}-manylinux_2_99_x86_64`,
      modules: { 'fastcore/__init__.py': 'SPEED = "too new"\n' }
    }),
    await makeWheel(wheels, {
      name: 'broken-pkg',
      version: '1.0.0',
      tags: 'py3-none-any',
      modules: { 'broken_pkg/__init__.py': 'raise RuntimeError("cannot start on Lambda")\n' }
    }),
    // issue 8's case: the markers must be evaluated for the target, not for this x86_64 3.11 runner
    await makeWheel(wheels, {
      name: 'markerdeps',
      version: '1.0.0',
      tags: 'py3-none-any',
      requires: [
        'onlyarm; platform_machine == "aarch64"',
        'onlyx86; platform_machine == "x86_64"',
        'onlyold; python_version < "3.12"'
      ]
    }),
    ...(await Promise.all(
      ['onlyarm', 'onlyx86', 'onlyold', 'grouped', 'devtool'].map(name =>
        makeWheel(wheels, { name, version: '1.0.0', tags: 'py3-none-any' })
      )
    ))
  ])
  index = await serveIndex(path.join(dir, 'index'))
  moto = await startMoto()
  ;({ s3, lambda } = motoClients(moto, REGION))
})

after(async () => {
  await index?.close()
  await moto?.stop()
  await sandbox?.remove()
  await rm(dir, { recursive: true, force: true })
  await rm(home, { recursive: true, force: true })
})

beforeEach(async () => {
  await moto.reset()
  await createBucket(s3, BUCKET, REGION)
  await sandbox?.remove()
  sandbox = await createSandbox()
  await writeFile(path.join(sandbox.work, 'requirements.txt'), 'greeting\nfastcore\n')
  git(sandbox.work, ['add', 'requirements.txt'])
  commit(sandbox.work, 'feat: first layer')
  sandbox.publish()
})

const env = () => ({
  ...hermeticPipEnv(),
  ...moto.env,
  AWS_REGION: REGION,
  AWS_DEFAULT_REGION: REGION
})
const base = (more: Record<string, string> = {}) => ({
  'layer-name': 'common',
  'python-version': PY,
  'index-url': index.url,
  bucket: BUCKET,
  ...more
})

async function run(inputs: Record<string, string>, workspace = sandbox.work): Promise<ActionRun> {
  const r = await runAction({ inputs, workspace, env: env(), tmp: dir })
  if (r.exitCode !== 0 && r.errors.length === 0)
    assert.fail(`the action failed without an ::error:: line:\n${r.stdout}\n${r.stderr}`)
  return r
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('base64')

test('publish: false builds a layer that imports with a plain interpreter, and sets the build outputs', async () => {
  const r = ok(await run(base({ publish: 'false', bucket: '' })))
  const o = r.outputs
  const zip = await readFile(o['zip-path'])
  assert.equal(o['zip-size'], String(zip.length))
  assert.equal(o['code-sha256'], sha256(zip))
  assert.equal(o['published'], 'false')
  assert.equal(o['layer-name'], 'common')
  assert.equal(o['python-version'], PY)
  assert.equal(o['architecture'], 'x86_64')
  assert.equal(o['compatible-runtimes'], `python${PY}`)
  assert.equal(o['layer-version-arn'], '')
  assert.equal(o['version'], '1.0.0')

  const entries = new AdmZip(zip).getEntries().map(e => e.entryName)
  assert.ok(
    entries.every(e => e.startsWith('python/')),
    entries.find(e => !e.startsWith('python/'))
  )
  assert.ok(entries.includes('python/greeting/__init__.py'))
  assert.ok(
    entries.some(e => /^python\/greeting-1\.2\.0\.dist-info\/METADATA$/.test(e)),
    'dist-info kept'
  )
  assert.ok(!entries.some(e => e.includes('/tests/')), 'the package test suite is slimmed')
  assert.ok(!entries.some(e => e.endsWith('.pyc')))
  const unzipped = new AdmZip(zip).getEntries().reduce((n, e) => n + e.header.size, 0)
  assert.equal(o['unzipped-size'], String(unzipped))

  const out = path.join(dir, 'unzipped')
  await rm(out, { recursive: true, force: true })
  execFileSync('unzip', ['-q', o['zip-path'], '-d', out])
  const script = [
    'import sys',
    `sys.path.insert(0, ${JSON.stringify(path.join(out, 'python'))})`,
    'import greeting, fastcore, importlib.metadata as md',
    'print(greeting.hello("lambda"), fastcore.SPEED, md.version("greeting"), md.version("helper-lib"), md.version("fastcore"))'
  ].join('\n')
  assert.equal(
    execFileSync('python3', ['-S', '-c', script], { encoding: 'utf8' }).trim(),
    'HELLO LAMBDA fast 1.2.0 0.3.1 2.0.0'
  )

  assert.match(r.summary, /Lambda layer <code>common<\/code>: built \(publish: false\)/)
  assert.match(r.summary, /test suites/)
  assert.equal(await objectKeys(s3, BUCKET).then(k => k.length), 0, 'publish: false touches no AWS')
})

test('pyproject.toml for python3.12 on arm64: its dependencies and named group, markers for the target, never the project', async () => {
  await writeFile(
    path.join(sandbox.work, 'pyproject.toml'),
    [
      '[project]',
      'name = "orders"',
      'version = "0.1.0"',
      'dependencies = ["markerdeps"]',
      '[dependency-groups]',
      'lambda = ["grouped"]',
      'dev = ["devtool"]',
      ''
    ].join('\n')
  )
  const r = ok(
    await run(
      base({
        publish: 'false',
        bucket: '',
        requirements: 'pyproject.toml',
        groups: 'lambda',
        'python-version': '3.12',
        architecture: 'arm64'
      })
    )
  )
  const packages = new AdmZip(await readFile(r.outputs['zip-path']))
    .getEntries()
    .map(e => /^python\/([a-z_]+)-[\d.]+\.dist-info\/METADATA$/.exec(e.entryName)?.[1])
    .filter(Boolean)
    .sort()
  assert.deepEqual(packages, ['grouped', 'markerdeps', 'onlyarm'])
  assert.match(
    r.stdout,
    /markers evaluated for python3\.12 on aarch64: python_version 3\.12, python_full_version 3\.12\.\d+, platform_machine aarch64/
  )
})

test('two builds of the same input give byte-identical zips', async () => {
  const a = ok(await run(base({ publish: 'false', bucket: '' })))
  const b = ok(await run(base({ publish: 'false', bucket: '' })))
  assert.notEqual(a.outputs['zip-path'], b.outputs['zip-path'])
  assert.ok((await readFile(a.outputs['zip-path'])).equals(await readFile(b.outputs['zip-path'])))
})

test("the same wheels give the same CodeSha256 on the Node that runs the tests and on LAYER_ACTION_NODE (CI: Node 24 and the machine's own)", async () => {
  // The zip's bytes depend on the wheels alone (their compressed streams are copied), not on the
  // Node or zlib that runs the action. The wheels are built once per test run, so the comparison is
  // between two Nodes on the same wheels rather than against a committed hash.
  const inputs = base({ publish: 'false', bucket: '', 'smoke-test': 'false' })
  const here = ok(
    await runAction({
      inputs,
      workspace: sandbox.work,
      env: env(),
      tmp: dir,
      node: process.execPath
    })
  )
  const other = process.env.LAYER_ACTION_NODE ?? process.execPath
  const there = ok(await run(inputs))
  const version = execFileSync(other, ['--version'], { encoding: 'utf8' }).trim()
  console.log(
    `CodeSha256 on ${process.version}: ${here.outputs['code-sha256']}; on ${version}: ${there.outputs['code-sha256']}`
  )
  assert.equal(there.outputs['code-sha256'], here.outputs['code-sha256'])
})

test('an exact cache hit runs no pip: the recorded resolution is used, and the zip is the same', async () => {
  const server = await startCacheServer()
  // every python on PATH logs its arguments, then runs the real interpreter
  const bin = path.join(dir, 'logging-python')
  const log = path.join(dir, 'python-calls.log')
  const real = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], {
    encoding: 'utf8'
  }).trim()
  await mkdir(bin, { recursive: true })
  for (const name of ['python', 'python3', `python${PY}`]) {
    await writeFile(path.join(bin, name), `#!/bin/sh\necho "$*" >> '${log}'\nexec '${real}' "$@"\n`)
    await chmod(path.join(bin, name), 0o755)
  }
  const cacheEnv = {
    ...env(),
    PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}`,
    ...server.env
  }
  const inputs = base({ publish: 'false', bucket: '', cache: 'true', 'smoke-test': 'false' })
  // one RUNNER_TEMP, as on a runner: the cache entry's version covers the wheelhouse's path
  const runnerTemp = path.join(dir, 'runner-temp')
  const again = () =>
    runAction({ inputs, workspace: sandbox.work, env: cacheEnv, tmp: dir, runnerTemp })
  try {
    const first = ok(await again())
    assert.match(first.summary, /cache: miss/)
    // pip resolves through the marker bootstrap (src/resolve/pip-target.ts): python3 -c <code> install --dry-run --report …
    assert.match(
      await readFile(log, 'utf8'),
      /pip\._internal\.cli\.main[\s\S]* install --dry-run --ignore-installed --report /
    )
    await rm(log, { force: true })
    // a new job: nothing on disk but what the cache restores
    await rm(path.join(runnerTemp, 'layer-action'), { recursive: true, force: true })

    const second = ok(await again())
    assert.match(second.summary, /cache: exact/)
    assert.match(
      second.stdout,
      /Exact cache hit: 3 wheel\(s\) as resolved before \(hashes checked\), pip not run/
    )
    const calls = await readFile(log, 'utf8').catch(() => '')
    assert.doesNotMatch(calls, /pip\._internal|-m pip/, calls)
    assert.equal(second.outputs['code-sha256'], first.outputs['code-sha256'])
    // the first run inflated every wheel entry before it saved the cache; the exact hit, holding
    // the same wheel bytes (their SHA-256 checked), does not inflate them again
    assert.match(first.stdout, /\d+ files from wheels, each checked against its CRC-32 and size\)/)
    assert.match(
      second.stdout,
      /(\d+) files from wheels, each checked against its CRC-32 and size when the same wheel bytes \(by SHA-256\) were cached\)/
    )
  } finally {
    await server.close()
  }
})

test('a record of verified entries that cannot be written (a directory in its place) is a warning: the wheels are saved all the same, and the next run checks every entry again', async () => {
  const server = await startCacheServer()
  const cacheEnv = { ...env(), ...server.env }
  const runnerTemp = path.join(dir, 'runner-temp-unwritable')
  const inputs = base({ publish: 'false', bucket: '', cache: 'true', 'smoke-test': 'false' })
  const go = () =>
    runAction({ inputs, workspace: sandbox.work, env: cacheEnv, tmp: dir, runnerTemp })
  try {
    const wheelhouse = path.join(runnerTemp, 'layer-action', 'wheels', `python${PY}-x86_64`)
    await mkdir(path.join(wheelhouse, 'layer-action-verified.json'), { recursive: true })
    const first = ok(await go())
    assert.match(
      first.stdout,
      /::warning::Could not record which wheel entries were verified \(the next run checks them again\): EISDIR/
    )
    assert.match(first.stdout, /Saved the wheels in the Actions cache/)
    assert.equal(server.entries().length, 1)

    await rm(path.join(runnerTemp, 'layer-action'), { recursive: true, force: true })
    const next = ok(await go())
    assert.match(next.summary, /cache: exact/)
    assert.match(next.stdout, /\d+ files from wheels, each checked against its CRC-32 and size\)/)
    assert.equal(next.outputs['code-sha256'], first.outputs['code-sha256'])
  } finally {
    await server.close()
  }
})

test('the wheel cache is saved beside the build: a run that fails after the fetch still leaves the wheels in the cache; a service that fails the upload is a warning, and the layer is built', async () => {
  const server = await startCacheServer()
  const cacheEnv = { ...env(), ...server.env }
  const runnerTemp = path.join(dir, 'runner-temp-save')
  const go = (inputs: Record<string, string>) =>
    runAction({ inputs, workspace: sandbox.work, env: cacheEnv, tmp: dir, runnerTemp })
  try {
    // a job whose publish fails (no such bucket) after the fetch: the save, begun beside the build, completes
    const failed = await go(base({ bucket: 'no-such-bucket', 'smoke-test': 'false' }))
    assert.notEqual(failed.exitCode, 0)
    assert.equal(failed.errors.length, 1, failed.stdout)
    assert.match(failed.errors[0], /no-such-bucket/)
    assert.equal(server.entries().length, 1, failed.stdout)
    assert.match(failed.stdout, /Saved the wheels in the Actions cache/)

    // the next job restores them all: an exact hit
    await rm(path.join(runnerTemp, 'layer-action'), { recursive: true, force: true })
    const next = ok(await go(base({ publish: 'false', bucket: '', 'smoke-test': 'false' })))
    assert.match(next.summary, /cache: exact/)
    // the failed run's zip step had verified every entry: that was kept with the wheels
    assert.match(next.stdout, /each checked against its CRC-32 and size when the same wheel bytes/)

    // changed requirements, and the service fails the upload: a warning, and the layer is built
    await writeFile(path.join(sandbox.work, 'requirements.txt'), 'greeting\n')
    server.failUploads = true
    const refused = ok(await go(base({ publish: 'false', bucket: '', 'smoke-test': 'false' })))
    assert.match(refused.summary, /cache: partial/)
    // a partial hit: greeting's wheel is the one verified before, by its SHA-256, so not inflated again
    assert.match(
      refused.stdout,
      /each checked against its CRC-32 and size when the same wheel bytes/
    )
    assert.match(refused.stdout, /::warning::Failed to save/)
    assert.ok(refused.outputs['code-sha256'])
    assert.equal(server.entries().length, 1)
  } finally {
    await server.close()
  }
})

test('publishes to moto: S3 key, CodeSha256, runtimes, architecture, every output, and the tag', async () => {
  const r = ok(await run(base({ environment: 'dev' })))
  const o = r.outputs
  for (const name of Object.keys(actionYml.outputs)) assert.ok(name in o, `output ${name} is set`)

  assert.match(o['s3-key'], /^layers\/common-dev\/\d{8}-\d{6}\/common-dev\.zip$/)
  assert.equal(o['s3-bucket'], BUCKET)
  const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: o['s3-key'] }))
  const body = Buffer.from(await object.Body!.transformToByteArray())
  assert.equal(sha256(body), o['code-sha256'])
  assert.ok(body.equals(await readFile(o['zip-path'])))

  const arn = `arn:aws:lambda:${REGION}:${MOTO_ACCOUNT}:layer:common-dev`
  assert.equal(o['layer-name'], 'common-dev')
  assert.equal(o['layer-arn'], arn)
  assert.equal(o['layer-version'], '1')
  assert.equal(o['layer-version-arn'], `${arn}:1`)
  assert.deepEqual(JSON.parse(o['layer-version-arns']), { [REGION]: `${arn}:1` })
  assert.equal(o['published'], 'true')
  const version = await lambda.send(
    new GetLayerVersionCommand({ LayerName: 'common-dev', VersionNumber: 1 })
  )
  assert.equal(version.Content?.CodeSha256, o['code-sha256'])
  assert.deepEqual(version.CompatibleRuntimes, [`python${PY}`])
  assert.deepEqual(version.CompatibleArchitectures, ['x86_64'])
  const sha = git(sandbox.work, ['rev-parse', 'HEAD'])
  // the commit is recorded last, so a rerun knows the version as its own
  assert.equal(version.Description, `v1.0.0 ${sha.slice(0, 7)} dev [commit ${sha}]`)

  assert.equal(o['version'], '1.0.0')
  assert.equal(o['previous-version'], '')
  assert.equal(o['tag'], 'v1.0.0')
  assert.match(
    git(sandbox.work, ['ls-remote', '--tags', 'origin']),
    new RegExp(`refs/tags/v1\\.0\\.0\\^\\{\\}|${sha}`)
  )
  assert.equal(git(sandbox.origin, ['rev-parse', 'v1.0.0^{commit}']), sha)
  assert.equal(git(sandbox.origin, ['cat-file', '-t', 'v1.0.0']), 'tag', 'annotated')

  const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: o['s3-key'] }))
  assert.equal(head.Metadata?.version, '1.0.0')
  assert.equal(head.Metadata?.commit, sha)
  assert.match(r.summary, /published version 1/)
  assert.match(r.summary, /first layer/)
})

test('a later commit with identical content publishes and uploads nothing, and makes no tag', async () => {
  const first = ok(await run(base()))
  commit(sandbox.work, 'fix: a typo in the docs')
  sandbox.publish()
  const second = ok(await run(base()))
  assert.equal(second.outputs['published'], 'false')
  assert.equal(second.outputs['layer-version-arn'], first.outputs['layer-version-arn'])
  assert.equal(second.outputs['code-sha256'], first.outputs['code-sha256'])
  assert.equal(second.outputs['s3-key'], '')
  // the first run's zip and its SBOM beside it (issue 18); the second run adds nothing
  assert.deepEqual(
    await objectKeys(s3, BUCKET),
    [first.outputs['s3-key'], first.outputs['sbom-s3-key']].sort()
  )
  assert.equal(second.outputs['sbom-s3-key'], first.outputs['sbom-s3-key'])
  const versions = await lambda.send(new ListLayerVersionsCommand({ LayerName: 'common' }))
  assert.equal(versions.LayerVersions?.length, 1)
  assert.equal(second.outputs['version'], '1.0.1')
  assert.equal(
    git(sandbox.work, ['ls-remote', '--tags', 'origin', 'v1.0.1']),
    '',
    'no tag without a publish'
  )
  assert.match(second.summary, /unchanged — stays at version 1/)
})

test('bad input fails with one ::error:: naming the input, before any AWS call', async () => {
  for (const [input, value, allowed] of [
    ['python-version', '3.7', /one of /],
    ['ssm-parameter', '/aws/layers/{layer}', /not under \/aws or \/ssm/]
  ] as const) {
    const r = await run(base({ [input]: value }))
    assert.equal(r.exitCode, 1)
    assert.equal(r.errors.length, 1, r.errors.join('\n'))
    assert.match(r.errors[0], new RegExp(`^Input '${input}' has an invalid value `))
    assert.match(r.errors[0], allowed)
  }
  assert.deepEqual(await objectKeys(s3, BUCKET), [])
})

test('a missing bucket fails naming it, leaves no layer version and no tag', async () => {
  const r = await run(base({ bucket: 'no-such-bucket-here' }))
  assert.equal(r.exitCode, 1)
  assert.equal(r.errors.length, 1)
  assert.match(r.errors[0], /no-such-bucket-here/)
  const versions = await lambda.send(new ListLayerVersionsCommand({ LayerName: 'common' }))
  assert.equal(versions.LayerVersions?.length ?? 0, 0)
  assert.equal(git(sandbox.work, ['ls-remote', '--tags', 'origin']), '')
})

test('a layer whose import fails is stopped by the smoke test before any upload', async () => {
  await writeFile(path.join(sandbox.work, 'requirements.txt'), 'greeting\nbroken-pkg\n')
  const r = await run(base())
  assert.equal(r.exitCode, 1)
  assert.equal(r.errors.length, 1)
  assert.match(r.errors[0], /broken_pkg/)
  assert.match(r.errors[0], /cannot start on Lambda/)
  assert.deepEqual(await objectKeys(s3, BUCKET), [])
})

test('a requirement with only too-new wheels fails naming the package, the runtime and the wheels', async () => {
  await writeFile(path.join(sandbox.work, 'requirements.txt'), 'fastcore==2.1.0\n')
  const r = await run(base())
  assert.equal(r.exitCode, 1)
  assert.equal(r.errors.length, 1)
  assert.match(r.errors[0], /fastcore/)
  assert.match(r.errors[0], new RegExp(`python${PY.replace('.', '\\.')}`))
  assert.match(r.errors[0], /manylinux_2_99_x86_64/)
  assert.deepEqual(await objectKeys(s3, BUCKET), [])
})

test('a matrix of dev, staging and prod at one commit agrees on one version and leaves one tag', async () => {
  const clones = ['dev', 'staging', 'prod'].map(e => ({
    e,
    dir: sandbox.clone(`job-${e}`, { depth: 1 })
  }))
  const runs = await Promise.all(clones.map(c => run(base({ environment: c.e }), c.dir)))
  runs.forEach(ok)
  assert.deepEqual(new Set(runs.map(r => r.outputs['version'])), new Set(['1.0.0']))
  assert.deepEqual(
    runs.map(r => r.outputs['layer-name']),
    ['common-dev', 'common-staging', 'common-prod']
  )
  assert.ok(runs.every(r => r.outputs['published'] === 'true'))
  const tags = git(sandbox.origin, ['tag', '--list'])
  assert.equal(tags, 'v1.0.0')
})

test('a second run at an already released commit keeps the version and does not fail', async () => {
  const first = ok(await run(base()))
  const second = ok(await run(base()))
  assert.equal(second.outputs['version'], first.outputs['version'])
  assert.equal(second.outputs['tag'], 'v1.0.0')
  assert.equal(second.outputs['bump'], 'none')
  // a rerun of the commit that published it: the outputs of the clean run, nothing left to do
  assert.equal(second.outputs['published'], 'true')
  assert.match(second.summary, /Nothing left to do/)
  assert.equal(second.outputs['layer-version-arn'], first.outputs['layer-version-arn'])
  assert.equal(git(sandbox.origin, ['tag', '--list']), 'v1.0.0')
})

test('a layer over 250 MB unzipped fails before any upload, naming its largest packages', async () => {
  // zeros: a 260 MB file in a wheel of a few hundred kB
  await makeIndex(path.join(dir, 'index'), [
    await makeWheel(path.join(dir, 'wheels'), {
      name: 'huge-models',
      version: '3.0.0',
      tags: 'py3-none-any',
      modules: {
        'huge_models/__init__.py': '',
        'huge_models/weights.bin': Buffer.alloc(260 * 1024 * 1024)
      }
    })
  ])
  await writeFile(path.join(sandbox.work, 'requirements.txt'), 'greeting\nhuge-models\n')
  const r = await run(base())
  assert.equal(r.exitCode, 1)
  assert.equal(r.errors.length, 1)
  assert.match(r.errors[0], /262,144,000|250(\.0)? MB/)
  assert.match(r.errors[0], /huge[-_]models/)
  assert.match(r.errors[0], /greeting/)
  assert.ok(r.errors[0].indexOf('huge') < r.errors[0].indexOf('greeting'), 'largest first')
  assert.deepEqual(await objectKeys(s3, BUCKET), [])
  assert.equal(git(sandbox.work, ['ls-remote', '--tags', 'origin']), '')
})

test('credentials in index-url reach no log line: only ::add-mask:: commands carry them', async () => {
  const secured = await serveIndex(path.join(dir, 'index'), {
    auth: { username: 'ci', password: 's3cr3t-t0ken' }
  })
  try {
    await writeFile(path.join(sandbox.work, 'requirements.txt'), 'greeting\nfastcore==2.1.0\n')
    const r = await run(base({ 'index-url': secured.url }))
    assert.equal(r.exitCode, 1, 'fails on the too-new wheel, after pip talked to the index')
    assert.ok(secured.requests.length > 0)
    const leaks = `${r.stdout}\n${r.stderr}`
      .split('\n')
      .filter(l => l.includes('s3cr3t-t0ken') && !l.startsWith('::add-mask::'))
    assert.deepEqual(leaks, [])
    assert.match(r.errors[0], /ci:\*\*\*@127\.0\.0\.1/)
  } finally {
    await secured.close()
  }
})

test('regions with {region} in the bucket: a layer in each, the ARN map, sharing, and the summary table', async () => {
  await createBucket(s3, 'e2e-layers-eu-west-1', REGION)
  await createBucket(s3, 'e2e-layers-us-east-1', 'us-east-1')
  const r = ok(
    await run(
      base({
        regions: `${REGION}, us-east-1`,
        bucket: 'e2e-layers-{region}',
        'share-with': '111122223333'
      })
    )
  )
  const arns = JSON.parse(r.outputs['layer-version-arns']) as Record<string, string>
  assert.deepEqual(Object.keys(arns), [REGION, 'us-east-1'])
  assert.equal(
    r.outputs['layer-version-arn'],
    arns[REGION],
    'single-region outputs are the first region'
  )
  assert.equal(r.outputs['s3-bucket'], `e2e-layers-${REGION}`)
  for (const region of [REGION, 'us-east-1']) {
    const client = motoClients(moto, region).lambda
    const v = await client.send(
      new GetLayerVersionCommand({ LayerName: 'common', VersionNumber: 1 })
    )
    assert.equal(v.LayerVersionArn, arns[region])
    assert.equal(v.Content?.CodeSha256, r.outputs['code-sha256'])
    const policy = await client.send(
      new GetLayerVersionPolicyCommand({ LayerName: 'common', VersionNumber: 1 })
    )
    assert.match(policy.Policy ?? '', /111122223333/)
  }
  assert.match(r.summary, /### Regions/)
  assert.match(r.summary, /\| us-east-1 \| .*common:1<\/code> \| yes \|/)
})
