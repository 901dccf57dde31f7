/**
 * End to end through dist/index.js (as the runner runs it): sources and CodeArtifact.
 * - an sdist-only requirement and a local package (`-e ./libs/common`) end up in the zip with their
 *   dist-info, and the job summary lists them as built from source;
 * - a C-extension sdist fails the step naming it, before any upload (moto: no object, no layer);
 * - with codeartifact-* inputs, the index comes from a loopback stand-in for CodeArtifact (moto has
 *   none; helpers/codeartifact-standin.ts) and its token reaches no log line.
 *
 * The index carries the build backends' wheels, copied from this machine's mirror: pip's build
 * isolation installs them from the index, and hermeticPipEnv() hides the machine's pip config.
 */
import { after, before, beforeEach, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import AdmZip from 'adm-zip'
import { S3Client } from '@aws-sdk/client-s3'
import { LambdaClient, ListLayerVersionsCommand } from '@aws-sdk/client-lambda'
import { runAction, type ActionRun } from '../helpers/action'
import { startMoto, type Moto } from '../helpers/moto'
import { createBucket, objectKeys } from '../helpers/aws-fixtures'
import { makeIndex, makeWheel, serveIndex, type ServedIndex } from '../helpers/wheels'
import { hermeticPipEnv } from '../helpers/pip-env'
import { backendWheels, makeSourceDist, makeSourceTree } from '../helpers/sdists'
import { startCodeArtifactStandIn, type StandIn } from '../helpers/codeartifact-standin'
import { localPython } from '../helpers/python'

const REGION = 'eu-west-1'
const BUCKET = 'e2e-sources'
const PY = localPython()
const TOKEN = 'eyJ2ZXIiOjF9.Q29kZUFydGlmYWN0VG9rZW4tZm9yLWUyZQ.c3RhbmQtaW4'
let dir: string
let index: ServedIndex | undefined
let standIn: StandIn | undefined
let moto: Moto
let s3: S3Client
let lambda: LambdaClient
let skip: string | false = false

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'layer-e2e-sources-'))
  const backends = await backendWheels()
  if ('missing' in backends) {
    skip = `this machine's mirror lacks the build backends' wheels (${backends.missing.join(', ')}) that the test index must carry`
    return
  }
  const built = path.join(dir, 'built')
  await makeIndex(path.join(dir, 'index'), [
    ...backends.files,
    await makeSourceDist(built, { name: 'sdpure', version: '1.0', backend: 'setuptools' }),
    await makeSourceDist(built, {
      name: 'cext',
      version: '0.3',
      backend: 'setuptools',
      cExtension: true
    }),
    await makeWheel(built, { name: 'localdep', version: '3.0', tags: 'py3-none-any' }),
    await makeWheel(built, { name: 'private-lib', version: '4.2.0', tags: 'py3-none-any' })
  ])
  index = await serveIndex(path.join(dir, 'index'))
  standIn = await startCodeArtifactStandIn({
    domain: 'acme',
    domainOwner: '123456789012',
    repository: 'python-internal',
    token: TOKEN,
    indexRoot: path.join(dir, 'index')
  })
  moto = await startMoto()
  const config = {
    region: REGION,
    endpoint: moto.endpoint,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }
  }
  s3 = new S3Client({ ...config, forcePathStyle: true })
  lambda = new LambdaClient(config)
})

after(async () => {
  await index?.close()
  await standIn?.close()
  await moto?.stop()
  await rm(dir, { recursive: true, force: true })
})

beforeEach(async () => {
  if (skip) return
  await moto.reset()
  await createBucket(s3, BUCKET, REGION)
})

/** A workspace (no git: version 1.0.0, nothing to tag) with requirements and libs/common. */
async function workspace(requirements: string): Promise<string> {
  const ws = await mkdtemp(path.join(dir, 'ws-'))
  await makeSourceTree(path.join(ws, 'libs', 'common'), {
    name: 'makoto-common',
    version: '0.4.0',
    backend: 'hatchling',
    dependencies: ['localdep>=3']
  })
  await writeFile(path.join(ws, 'requirements.txt'), requirements)
  return ws
}

async function run(ws: string, inputs: Record<string, string>, env = {}): Promise<ActionRun> {
  const r = await runAction({
    inputs: { 'layer-name': 'common', 'python-version': PY, ...inputs },
    workspace: ws,
    env: { ...hermeticPipEnv(), ...moto.env, AWS_REGION: REGION, ...env },
    tmp: dir
  })
  if (r.exitCode !== 0 && r.errors.length === 0)
    assert.fail(`the action failed without an ::error:: line:\n${r.stdout}\n${r.stderr}`)
  return r
}

test('an sdist-only requirement and a local package end up in the zip with their dist-info; the summary lists them', async t => {
  if (skip) return t.skip(skip)
  const ws = await workspace('sdpure==1.0\n-e ./libs/common\n')
  const r = await run(ws, { 'index-url': index!.url, publish: 'false', bucket: '' })
  assert.equal(r.exitCode, 0, r.errors.join('\n') + r.stdout.slice(-3000))
  const entries = new AdmZip(r.outputs['zip-path']).getEntries().map(e => e.entryName)
  for (const d of ['sdpure-1.0', 'makoto_common-0.4.0', 'localdep-3.0'])
    assert.ok(entries.includes(`python/${d}.dist-info/METADATA`), `${d}.dist-info in the zip`)
  const out = path.join(dir, 'unzipped')
  await rm(out, { recursive: true, force: true })
  execFileSync('unzip', ['-q', r.outputs['zip-path'], '-d', out])
  const script = `import sys; sys.path.insert(0, ${JSON.stringify(path.join(out, 'python'))}); import sdpure, makoto_common; print(sdpure.__version__, makoto_common.__version__)`
  assert.equal(
    execFileSync('python3', ['-S', '-c', script], { encoding: 'utf8' }).trim(),
    '1.0 0.4.0'
  )
  assert.match(
    r.stdout,
    /Built from source on the runner: sdpure 1\.0 from sdpure-1\.0\.tar\.gz \(sdist\)/
  )
  assert.match(r.summary, /### Built from source/)
  assert.match(r.summary, /\| makoto-common \| 0\.4\.0 \| local <code>libs\/common<\/code> \|/)
})

test('a C-extension sdist fails the step naming it, before any upload', async t => {
  if (skip) return t.skip(skip)
  const ws = await workspace('cext==0.3\n')
  const r = await run(ws, { 'index-url': index!.url, bucket: BUCKET, region: REGION })
  assert.equal(r.exitCode, 1)
  assert.equal(r.errors.length, 1)
  assert.match(r.errors[0], /^cext 0\.3 \(from cext-0\.3\.tar\.gz\) needs a compiler/)
  assert.match(r.errors[0], /manylinux wheel of cext/)
  assert.deepEqual(await objectKeys(s3, BUCKET), [])
  const versions = await lambda.send(new ListLayerVersionsCommand({ LayerName: 'common' }))
  assert.equal(versions.LayerVersions?.length ?? 0, 0)
})

test('codeartifact-* inputs: the stand-in gives the index, pip resolves from it, the token reaches no log line', async t => {
  if (skip) return t.skip(skip)
  const ws = await workspace('private-lib==4.2.0\n')
  const r = await run(
    ws,
    {
      'codeartifact-domain': 'acme',
      'codeartifact-repository': 'python-internal',
      'codeartifact-domain-owner': '123456789012',
      publish: 'false',
      bucket: ''
    },
    { AWS_ENDPOINT_URL_CODEARTIFACT: standIn!.endpoint }
  )
  assert.equal(r.exitCode, 0, r.errors.join('\n') + r.stdout.slice(-3000))
  const entries = new AdmZip(r.outputs['zip-path']).getEntries().map(e => e.entryName)
  assert.ok(entries.includes('python/private_lib/__init__.py'))
  const lines = `${r.stdout}\n${r.stderr}\n${r.summary}`.split('\n')
  assert.ok(lines.includes(`::add-mask::${TOKEN}`), 'the token is registered as a secret')
  assert.deepEqual(
    lines.filter(l => l.includes(TOKEN) && !l.startsWith('::add-mask::')),
    []
  )
  assert.match(
    r.stdout,
    /Index: http:\/\/aws:\*\*\*@127\.0\.0\.1:\d+\/pypi\/python-internal\/simple\//
  )
})
