/**
 * End to end, hostile and unusual input: dist/index.js run as the runner runs it, real pip against a
 * local index serving damaged and disguised wheels (built by makeWheel, then patched as a bad mirror
 * or an attacker would: patchWheel, makeBombWheel), a real git repository, the real moto_server.
 * Each failure must be one ::error:: naming what is wrong, a job summary saying which step failed
 * and what was not done, nothing in the bucket and no layer version.
 */
import { test, before, after, beforeEach } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { S3Client } from '@aws-sdk/client-s3'
import type { LambdaClient } from '@aws-sdk/client-lambda'
import { ok, runAction, type ActionRun } from '../helpers/action'
import { startMoto, type Moto } from '../helpers/moto'
import { createBucket, layerVersions, motoClients, objectKeys } from '../helpers/aws-fixtures'
import {
  makeBombWheel,
  makeIndex,
  makeWheel,
  patchWheel,
  serveIndex,
  type BuiltWheel,
  type ServedIndex
} from '../helpers/wheels'
import { hermeticPipEnv } from '../helpers/pip-env'
import { startCacheServer } from '../helpers/cache-server'
import { createSandbox, commit, git, isolateGit, type Sandbox } from '../helpers/git'
import { readCentralDirectory } from '../../src/zip/reader'
import { openSync, closeSync } from 'node:fs'

const REGION = 'eu-west-1'
const BUCKET = 'hostile-layers'
const BOMB_BYTES = 300 * 1024 * 1024
const CODE = 'def f(x):\n    return x * 2\n'.repeat(300)

let dir: string
let home: string
let index: ServedIndex
let moto: Moto
let s3: S3Client
let lambda: LambdaClient
let sandbox: Sandbox

const pure = (name: string, modules?: Record<string, string>) =>
  makeWheel(path.join(dir, 'wheels'), {
    name,
    version: '1.0.0',
    tags: 'py3-none-any',
    modules: modules ?? { [`${name.replace(/-/g, '_')}/__init__.py`]: CODE }
  })

/** The CRC-32 the central directory gives an entry. */
function crcOf(wheel: BuiltWheel, entry: string): number {
  const fd = openSync(wheel.path, 'r')
  try {
    return readCentralDirectory(fd, wheel.filename).find(e => e.name === entry)!.crc
  } finally {
    closeSync(fd)
  }
}

before(async () => {
  home = await isolateGit()
  dir = await mkdtemp(path.join(os.tmpdir(), 'layer-hostile-'))
  const sound = await pure('sound')
  const badcrc = await pure('badcrc')
  await patchWheel(badcrc.path, 'badcrc/__init__.py', {
    crc: crcOf(badcrc, 'badcrc/__init__.py') ^ 0x1
  })
  const deflate = await pure('brokendeflate')
  await patchWheel(deflate.path, 'brokendeflate/__init__.py', { data: b => (b[0] = 0x07) })
  const bomb = await makeBombWheel(
    path.join(dir, 'wheels'),
    { name: 'bomb', version: '1.0.0', tags: 'py3-none-any' },
    { real: BOMB_BYTES, declared: 1000 }
  )
  const traversal = await pure('traversal', {
    'traversal/__init__.py': '',
    'tr/xxxxx/evil.py': 'print("owned")\n'
  })
  await patchWheel(traversal.path, 'tr/xxxxx/evil.py', { name: Buffer.from('../../../evil.py') })
  const absolute = await pure('absolute', {
    'absolute/__init__.py': '',
    'xtmp/layer-action-evil.py': 'print("owned")\n'
  })
  await patchWheel(absolute.path, 'xtmp/layer-action-evil.py', {
    name: Buffer.from('/tmp/layer-action-evil.py')
  })
  const cp437 = await pure('cp437pkg', {
    'cp437pkg/__init__.py': '',
    'cp437pkg/cafX.py': 'A = 1\n'
  })
  const name = Buffer.from('cp437pkg/cafX.py')
  name[name.indexOf('X')] = 0x82
  await patchWheel(cp437.path, 'cp437pkg/cafX.py', { name, flags: f => f & ~0x0800 })
  // one per deprecated runtime: a wheel for glibc 2.17 (fits Amazon Linux 2) and a newer one for 2.28 (does not)
  const old: BuiltWheel[] = []
  for (const cp of ['cp38', 'cp39']) {
    for (const [version, platform] of [
      ['1.0.0', 'manylinux_2_17_x86_64.manylinux2014_x86_64'],
      ['2.0.0', 'manylinux_2_28_x86_64']
    ])
      old.push(
        await makeWheel(path.join(dir, 'wheels'), {
          name: `old${cp}`,
          version,
          tags: `${cp}-${cp}-${platform}`,
          modules: { [`old${cp}/__init__.py`]: `V = "${version}"\n` }
        })
      )
  }
  await makeIndex(path.join(dir, 'index'), [
    sound,
    badcrc,
    deflate,
    bomb,
    traversal,
    absolute,
    cp437,
    ...old
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
  commit(sandbox.work, 'feat: first layer')
  sandbox.publish()
})

async function requirements(text: string): Promise<void> {
  await writeFile(path.join(sandbox.work, 'requirements.txt'), text)
}

const env = () => ({
  ...hermeticPipEnv(),
  ...moto.env,
  AWS_REGION: REGION,
  AWS_DEFAULT_REGION: REGION
})

const base = (more: Record<string, string> = {}) => ({
  'layer-name': 'common',
  'python-version': '3.11',
  'index-url': index.url,
  bucket: BUCKET,
  ...more
})

/** A run in a runner temp folder of its own (`r.tmp`), so a test can look at what it left there. */
async function run(
  inputs: Record<string, string>,
  more: NodeJS.ProcessEnv = {}
): Promise<ActionRun & { tmp: string }> {
  const tmp = await mkdtemp(path.join(dir, 'run-'))
  const r = await runAction({ inputs, workspace: sandbox.work, env: { ...env(), ...more }, tmp })
  if (r.exitCode !== 0 && r.errors.length === 0)
    assert.fail(`the action failed without an ::error:: line:\n${r.stdout}\n${r.stderr}`)
  return { ...r, tmp }
}

/** The entry names of a zip as Python's zipfile reads them. */
function zipNames(zip: string): string[] {
  const r = spawnSync(
    'python3',
    ['-c', 'import sys, zipfile; print("\\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))', zip],
    { encoding: 'utf8' }
  )
  assert.equal(r.status, 0, r.stderr)
  return r.stdout.trim().split('\n')
}

/** One ::error::, a summary naming the failed step, nothing uploaded, no layer version, no tag. */
async function failedBeforeUpload(
  r: ActionRun & { tmp: string },
  step: string,
  error: RegExp
): Promise<void> {
  assert.equal(r.exitCode, 1)
  assert.equal(r.errors.length, 1, r.errors.join('\n'))
  assert.match(r.errors[0], error)
  assert.match(
    r.summary,
    new RegExp(`^## Lambda layer <code>common</code>: failed in the ${step} step`)
  )
  assert.match(r.summary, /\| Uploaded to S3 \| no( \(the run stopped before publishing\))? \|/)
  assert.match(
    r.summary,
    /\| Layer version published \| no( \(the run stopped before publishing\))? \|/
  )
  assert.match(r.summary, /\| Tag pushed \| no \|/)
  assert.deepEqual(await objectKeys(s3, BUCKET), [])
  assert.deepEqual(await layerVersions(lambda, 'common'), [])
  assert.equal(git(sandbox.work, ['ls-remote', '--tags', 'origin']), '')
  const left = (await readdir(r.tmp, { recursive: true })).filter(f => /\.zip|spill/.test(f))
  assert.deepEqual(left, [], 'no layer zip is left in the runner temp folder')
}

test('a wheel whose entry fails its CRC-32: refused in the zip step, naming wheel and entry; nothing uploaded', async () => {
  await requirements('sound\nbadcrc\n')
  const r = await run(base())
  await failedBeforeUpload(
    r,
    'zip',
    /^The wheel badcrc-1\.0\.0-py3-none-any\.whl is damaged: its entry badcrc\/__init__\.py does not match its CRC-32/
  )
  assert.match(r.summary, /\| zip \| \*\*failed\*\* \|/)
  assert.match(r.summary, /\| smoke \| (stopped unfinished when the zip step failed|done) \|/)
  assert.match(r.summary, /\| assemble \| done \|/)
})

test('a wheel that fails its CRC-32 is never kept in the wheel cache (it is saved only once the zip step verified it); a sound one is', async () => {
  const server = await startCacheServer()
  const cache = server.env
  try {
    await requirements('sound\nbadcrc\n')
    const bad = await run(base({ 'smoke-test': 'false' }), cache)
    await failedBeforeUpload(bad, 'zip', /badcrc\/__init__\.py does not match its CRC-32/)
    assert.doesNotMatch(bad.stdout, /Saved the wheels/)
    assert.deepEqual(server.entries(), [])

    await requirements('sound\n')
    const good = ok(await run(base({ 'smoke-test': 'false', publish: 'false', bucket: '' }), cache))
    assert.match(good.stdout, /Saved the wheels in the Actions cache/)
    assert.equal(server.entries().length, 1)
  } finally {
    await server.close()
  }
})

test('a damaged deflate stream: refused, naming wheel and entry; nothing uploaded', async () => {
  await requirements('brokendeflate\n')
  const r = await run(base({ 'smoke-test': 'false' }))
  await failedBeforeUpload(
    r,
    'zip',
    /^The wheel brokendeflate-1\.0\.0-py3-none-any\.whl is damaged: its entry brokendeflate\/__init__\.py has a damaged deflate stream/
  )
})

test('a 300 MB bomb declared as 1000 bytes: refused before upload, the action never holding 300 MB', async t => {
  await requirements('bomb\n')
  // the action's own peak memory (VmHWM, worker threads included), written when it exits
  const peakFile = path.join(dir, 'peak-rss')
  const preload = path.join(dir, 'peak.cjs')
  await writeFile(
    preload,
    `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(peakFile)}, ` +
      `/VmHWM:\\s+(\\d+)/.exec(require('fs').readFileSync('/proc/self/status', 'utf8'))[1]))\n`
  )
  const r = await run(base({ 'smoke-test': 'false' }), { NODE_OPTIONS: `--require ${preload}` })
  await failedBeforeUpload(
    r,
    'zip',
    /^The wheel bomb-1\.0\.0-py3-none-any\.whl is damaged: its entry bomb\/_bomb\.bin inflates to more than the 1000 bytes its central directory declares/
  )
  const peakMiB = Number(await readFile(peakFile, 'utf8')) / 1024
  t.diagnostic(`the action's peak RSS: ${peakMiB.toFixed(0)} MiB`)
  assert.ok(peakMiB < 250, `the action's peak RSS was ${peakMiB.toFixed(0)} MiB`)
})

test('the same bomb with the smoke test on: its extraction stops at the declared size too; refused, nothing uploaded, memory bounded', async () => {
  await requirements('bomb\n')
  const peakFile = path.join(dir, 'peak-rss-smoke')
  const preload = path.join(dir, 'peak-smoke.cjs')
  await writeFile(
    preload,
    `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(peakFile)}, ` +
      `/VmHWM:\\s+(\\d+)/.exec(require('fs').readFileSync('/proc/self/status', 'utf8'))[1]))\n`
  )
  const r = await run(base(), { NODE_OPTIONS: `--require ${preload}` })
  assert.equal(r.exitCode, 1)
  assert.equal(r.errors.length, 1, r.errors.join('\n'))
  assert.match(r.errors[0], /bomb-1\.0\.0-py3-none-any\.whl/)
  assert.match(r.errors[0], /bomb\/_bomb\.bin/)
  assert.deepEqual(await objectKeys(s3, BUCKET), [])
  const peakMiB = Number(await readFile(peakFile, 'utf8')) / 1024
  assert.ok(peakMiB < 250, `the action's peak RSS was ${peakMiB.toFixed(0)} MiB`)
})

for (const [pkg, name] of [
  ['traversal', '../../../evil.py'],
  ['absolute', '/tmp/layer-action-evil.py']
]) {
  test(`a wheel entry named '${name}' is refused in assemble, naming it; nothing written outside`, async () => {
    await requirements(`${pkg}\n`)
    const r = await run(base())
    await failedBeforeUpload(
      r,
      'assemble',
      new RegExp(
        `The wheel ${pkg}-1\\.0\\.0-py3-none-any\\.whl holds an entry '${name.replace(/\./g, '\\.')}' that would be written outside python/`
      )
    )
    for (const where of [path.dirname(sandbox.work), dir, os.tmpdir(), '/tmp'])
      assert.ok(
        !(await readdir(where)).some(f => f === 'evil.py' || f === 'layer-action-evil.py'),
        where
      )
  })
}

test('a CP437 entry name (é as 0x82) lands in the layer as é, in UTF-8', async () => {
  await requirements('cp437pkg\n')
  const r = ok(await run(base({ publish: 'false', bucket: '' })))
  const names = zipNames(r.outputs['zip-path'])
  assert.ok(names.includes('python/cp437pkg/café.py'), names.join(', '))
})

test('an include holding a symlink out of the workspace: an error naming the link, nothing uploaded', async () => {
  await requirements('sound\n')
  const secret = path.join(dir, 'home-of-runner/.aws/credentials')
  await mkdir(path.dirname(secret), { recursive: true })
  await writeFile(secret, '[default]\naws_secret_access_key = not-for-a-layer\n')
  await mkdir(path.join(sandbox.work, 'src/mylib'), { recursive: true })
  await writeFile(path.join(sandbox.work, 'src/mylib/__init__.py'), 'X = 1\n')
  await symlink(secret, path.join(sandbox.work, 'src/mylib/creds'))
  const r = await run(base({ include: 'src/mylib' }))
  await failedBeforeUpload(
    r,
    'assemble',
    /^Input 'include' has an invalid value "src\/mylib": files inside the workspace: src\/mylib\/creds is a symlink to .*\.aws\/credentials, outside the workspace/
  )
  assert.doesNotMatch(r.stdout, /not-for-a-layer/)
})

test('an empty requirements file with include builds a layer of the included code (a link inside the workspace followed)', async () => {
  await requirements('# nothing from an index yet\n\n')
  await mkdir(path.join(sandbox.work, 'src/mylib'), { recursive: true })
  await writeFile(path.join(sandbox.work, 'src/mylib/__init__.py'), 'X = 1\n')
  await writeFile(path.join(sandbox.work, 'VERSION'), '1.0\n')
  await symlink('../../VERSION', path.join(sandbox.work, 'src/mylib/VERSION'))
  const r = ok(await run(base({ include: 'src/mylib', publish: 'false', bucket: '' })))
  const names = zipNames(r.outputs['zip-path'])
  assert.deepEqual(names, [
    'python/',
    'python/mylib/',
    'python/mylib/VERSION',
    'python/mylib/__init__.py'
  ])
  assert.match(r.stdout, /2 files, .* unzipped, from 0 wheels and 'include'/)
})

test('nothing at all to install: one clear error, nothing uploaded', async () => {
  await requirements('# only a comment\n')
  const r = await run(base())
  await failedBeforeUpload(
    r,
    'assemble',
    /^Nothing to put in the layer: requirements\.txt installs no package and 'include' names no path/
  )
})

for (const version of ['3.8', '3.9']) {
  test(`python-version ${version} builds for Amazon Linux 2 (glibc 2.26), with a warning naming AWS's date`, async () => {
    const cp = `cp${version.replace('.', '')}`
    await requirements(`old${cp}\n`)
    const r = ok(
      await run(
        base({ 'python-version': version, publish: 'false', bucket: '', 'smoke-test': 'false' })
      )
    )
    assert.equal(r.outputs['python-version'], version)
    assert.equal(r.outputs['compatible-runtimes'], `python${version}`)
    const warnings = r.stdout.split('\n').filter(l => l.startsWith('::warning::'))
    const date = version === '3.8' ? '2024-10-14' : '2025-12-15'
    assert.ok(
      warnings.some(w => w.includes(`python${version} is deprecated from ${date}`)),
      warnings.join('\n')
    )
    assert.match(
      r.stdout,
      new RegExp(`python${version.replace('.', '\\.')} \\(Amazon Linux 2, glibc 2\\.26, x86_64\\)`)
    )
    // 2.0.0 needs glibc 2.28: the 1.0.0 wheel for glibc 2.17 is the one that loads on Amazon Linux 2
    assert.ok(zipNames(r.outputs['zip-path']).includes(`python/old${cp}-1.0.0.dist-info/METADATA`))
  })
}
