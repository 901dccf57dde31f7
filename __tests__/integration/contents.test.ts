/**
 * The contents stage against moto_server: layers zipped from generated wheels by the real assemble
 * code, published by the real deliver code, then their SBOM (checked by the CycloneDX library's
 * own 1.6 validator) and the diff against another version. AWS calls go through a fault proxy in
 * front of moto (helpers/fault-proxy.ts) that counts them and, where a test says so, rewrites
 * GetLayerVersion's `Content.Location` from moto's `s3://` to the pre-signed URL AWS gives, served
 * by a loopback stand-in (helpers/presigned-standin.ts).
 */
import { test, before, after, beforeEach } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import AdmZip from 'adm-zip'
import { randomBytes } from 'node:crypto'
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { PublishLayerVersionCommand } from '@aws-sdk/client-lambda'
import { Validation } from '@cyclonedx/cyclonedx-library'
import { Version } from '@cyclonedx/cyclonedx-library/Spec'
import { getInputs, type ActionInputs } from '../../src/inputs'
import { makePlan, type Plan } from '../../src/plan'
import { mergeWheels } from '../../src/assemble/layer'
import { wheelContent } from '../../src/assemble/wheel'
import { zipLayer, type ZipResult } from '../../src/assemble/zip'
import { handOff } from '../../src/handoff'
import { HandOffError } from '../../src/handoff-steps'
import type { Wheelhouse } from '../../src/fetch/wheelhouse'
import { InputError } from '../../src/errors'
import { layerContents, type ContentsResult } from '../../src/contents/contents'
import { contentsOutputs } from '../../src/contents/outputs'
import { readRemoteZipPackages } from '../../src/contents/remote-zip'
import { fetchRange } from '../../src/contents/http-range'
import { setInputs } from '../helpers/action'
import { startMoto, setEnv, MOTO_ACCOUNT, type Moto } from '../helpers/moto'
import { createBucket, motoClients, objectKeys } from '../helpers/aws-fixtures'
import { s3Fault, startFaultProxy, type FaultProxy } from '../helpers/fault-proxy'
import {
  locationRule,
  startPresignedStandIn,
  type PresignedStandIn
} from '../helpers/presigned-standin'
import { makeWheel, normalizeName, type WheelSpec } from '../helpers/wheels'
import { captureLog, type CapturedLog } from '../helpers/log'
import type { AwsClients } from '../../src/deliver/clients'

const REGION = 'eu-west-1'
const BUCKET = 'contents-layers'
const LAYER = 'common-dev'
const arnOf = (name: string, v: number) =>
  `arn:aws:lambda:${REGION}:${MOTO_ACCOUNT}:layer:${name}:${v}`

const SPECS: WheelSpec[] = [
  {
    name: 'alpha',
    version: '1.0',
    tags: 'py3-none-any',
    requires: ['Beta>=1'],
    metadata: ['License-Expression: MIT']
  },
  {
    name: 'alpha',
    version: '1.1',
    tags: 'py3-none-any',
    requires: ['beta', 'epsilon; python_version >= "3.8"'],
    metadata: ['License: Apache-2.0']
  },
  { name: 'alpha', version: '1.2', tags: 'py3-none-any', requires: ['beta'] },
  {
    name: 'Beta',
    version: '1.0',
    tags: 'py3-none-any',
    metadata: ['Classifier: License :: OSI Approved :: MIT License']
  },
  { name: 'delta_lib', version: '1.0', tags: 'py3-none-any', metadata: ['License: BSD'] },
  { name: 'epsilon', version: '1.0', tags: 'py3-none-any' },
  { name: 'payload', version: '1.0', tags: 'py3-none-any', sizeBytes: 3 * 1024 * 1024 }
]

let tmp: string
let moto: Moto
let proxy: FaultProxy
let presigned: PresignedStandIn
let aws: AwsClients
let undoEnv: () => void
let log: CapturedLog
const wheels = new Map<string, string>()
let clock = Date.parse('2026-12-01T10:00:00Z')

before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'contents-it-'))
  for (const spec of SPECS)
    wheels.set(
      `${normalizeName(spec.name)}==${spec.version}`,
      (await makeWheel(path.join(tmp, 'wheels'), spec)).path
    )
  moto = await startMoto()
  proxy = await startFaultProxy(moto.endpoint)
  presigned = await startPresignedStandIn()
  aws = motoClients(moto, REGION)
  await mkdir(path.join(tmp, 'ws'), { recursive: true })
  await writeFile(path.join(tmp, 'ws', 'requirements.txt'), 'alpha\n')
  undoEnv = setEnv({
    ...moto.env,
    AWS_ENDPOINT_URL: proxy.endpoint,
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    RUNNER_TEMP: path.join(tmp, 'runner')
  })
})

after(async () => {
  undoEnv?.()
  await presigned?.close()
  await proxy?.close()
  await moto?.stop()
  await rm(tmp, { recursive: true, force: true })
})

beforeEach(async () => {
  await moto.reset()
  await createBucket(aws.s3, BUCKET, REGION)
  proxy.setRule(undefined)
  presigned.mode = 'ranges'
  presigned.served.length = 0
})

interface Build {
  inputs: ActionInputs
  plan: Plan
  zip: ZipResult
  wheelhouse: Wheelhouse
}

/** The layer of these pinned wheels (`name==version`), zipped by the action's own code. */
async function build(pins: string[], given: Record<string, string> = {}): Promise<Build> {
  const undo = setInputs({
    'layer-name': 'common',
    environment: 'dev',
    bucket: BUCKET,
    region: REGION,
    'python-version': '3.12',
    ...given
  })
  let inputs: ActionInputs
  try {
    inputs = getInputs({ ...process.env, GITHUB_WORKSPACE: path.join(tmp, 'ws') })
  } finally {
    undo()
  }
  log = captureLog()
  try {
    clock += 60_000 // a new S3 key each build, as a later run has
    const plan = await makePlan(inputs, new Date(clock))
    const files = pins.map(p => wheels.get(p) as string)
    const zip = await zipLayer(
      mergeWheels(await Promise.all(files.map(f => wheelContent(f)))),
      plan.zipPath
    )
    return { inputs, plan, zip, wheelhouse: await wheelhouseOf(pins, files) }
  } finally {
    log.restore()
  }
}

/** What fetch hands over: each wheel's SHA-256 and the graph as resolved (here, from the specs). */
async function wheelhouseOf(pins: string[], files: string[]): Promise<Wheelhouse> {
  const names = pins.map(p => p.split('==')[0])
  const specOf = (pin: string) =>
    SPECS.find(s => `${normalizeName(s.name)}==${s.version}` === pin) as WheelSpec
  const deps = new Map(
    pins.map(p => [
      p.split('==')[0],
      (specOf(p).requires ?? [])
        .map(r => normalizeName(/^[A-Za-z0-9._-]+/.exec(r)?.[0] ?? ''))
        .filter(n => names.includes(n))
    ])
  )
  return {
    dir: path.dirname(files[0]),
    wheels: await Promise.all(
      pins.map(async (p, i) => ({
        file: files[i],
        name: p.split('==')[0],
        version: p.split('==')[1],
        sha256: createHash('sha256')
          .update(await readFile(files[i]))
          .digest('hex'),
        origin: 'index' as const,
        reused: false
      }))
    ),
    pinned: {
      entries: names.map(name => ({
        name,
        version: pins.find(p => p.startsWith(`${name}==`))?.split('==')[1] ?? '',
        artifact: { kind: 'hashes' as const, hashes: {} },
        dependencies: deps.get(name) ?? [],
        requiredBy: names.filter(n => deps.get(n)?.includes(name))
      })),
      skipped: [],
      summary: ''
    },
    cache: 'off'
  }
}

/** contents, then the hand-off with the SBOM (publish, the SBOM beside the zip, …), as run() calls them. */
async function run(
  b: Build
): Promise<{ contents: ContentsResult; sbomS3Key: string; log: CapturedLog }> {
  log = captureLog()
  try {
    const contents = await layerContents(b.inputs, b.plan, b.zip, b.wheelhouse)
    const { sbomS3Key } = await handOff(b.inputs, b.plan, b.zip, { sbom: contents.sbom?.json })
    return { contents, sbomS3Key, log }
  } finally {
    log.restore()
  }
}

async function s3Text(key: string): Promise<string> {
  const r = await aws.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))
  return (await r.Body?.transformToString('utf8')) ?? ''
}

/** Name and version of every python/*.dist-info/METADATA in the zip, read by another zip library. */
function distInfos(zipPath: string): string[] {
  return new AdmZip(zipPath)
    .getEntries()
    .filter(e => /^python\/[^/]+\.dist-info\/METADATA$/.test(e.entryName))
    .map(e => {
      const text = e.getData().toString('utf8')
      return `${/^Name: (.*)$/m.exec(text)?.[1]}@${/^Version: (.*)$/m.exec(text)?.[1]}`
    })
    .sort()
}

test("SBOM of a published layer (moto): valid CycloneDX 1.6, one component per dist-info of the zip, each hash the wheel's SHA-256, the graph as resolved, and the same bytes in S3 beside the zip", async () => {
  const b = await build(['alpha==1.0', 'beta==1.0', 'delta-lib==1.0'])
  const { contents, sbomS3Key } = await run(b)
  const sbom = contents.sbom!
  assert.equal(sbom.path, path.join(path.dirname(b.zip.path), `${LAYER}.cdx.json`))
  assert.equal(await readFile(sbom.path, 'utf8'), sbom.json)
  assert.equal(await new Validation.JsonStrictValidator(Version.v1dot6).validate(sbom.json), null)

  const bom = JSON.parse(sbom.json)
  assert.deepEqual(
    bom.components.map((c: { name: string; version: string }) => `${c.name}@${c.version}`).sort(),
    distInfos(b.zip.path)
  )
  for (const c of bom.components) {
    const wheel = b.wheelhouse.wheels.find(w => `pkg:pypi/${w.name}@${w.version}` === c.purl)!
    assert.deepEqual(c.hashes, [
      {
        alg: 'SHA-256',
        content: createHash('sha256')
          .update(await readFile(wheel.file))
          .digest('hex')
      }
    ])
  }
  const licenses = Object.fromEntries(
    bom.components.map((c: { name: string; licenses: unknown }) => [c.name, c.licenses])
  )
  assert.deepEqual(licenses.alpha, [{ license: { id: 'MIT', acknowledgement: 'declared' } }])
  assert.deepEqual(licenses.Beta, [{ license: { id: 'MIT', acknowledgement: 'declared' } }])
  assert.deepEqual(licenses.delta_lib, [{ license: { name: 'BSD', acknowledgement: 'declared' } }])
  const graph = Object.fromEntries(
    bom.dependencies.map((d: { ref: string; dependsOn?: string[] }) => [d.ref, d.dependsOn ?? []])
  )
  assert.deepEqual(graph[LAYER], ['pkg:pypi/alpha@1.0', 'pkg:pypi/delta-lib@1.0'])
  assert.deepEqual(graph['pkg:pypi/alpha@1.0'], ['pkg:pypi/beta@1.0'])
  const props = Object.fromEntries(
    bom.metadata.component.properties.map((p: { name: string; value: string }) => [p.name, p.value])
  )
  assert.equal(props['layer-action:code-sha256'], b.zip.sha256)
  assert.equal(props['layer-action:runtime'], 'python3.12')

  const zipKey = b.plan.s3Key
  assert.equal(sbomS3Key, zipKey.replace(/\.zip$/, '.cdx.json'))
  assert.deepEqual(await objectKeys(aws.s3, BUCKET), [sbomS3Key, zipKey].sort())
  assert.equal(
    await s3Text(sbomS3Key),
    sbom.json,
    'the object beside the zip is the file, byte for byte'
  )
  assert.deepEqual(contentsOutputs(contents, sbomS3Key), {
    'sbom-path': sbom.path,
    'sbom-s3-key': sbomS3Key,
    changes: ''
  })
  assert.equal(contents.view.notCompared, `${LAYER} has no version yet`)
})

test('the same layer built twice, in two work directories, gives byte-identical SBOMs', async () => {
  const pins = ['alpha==1.1', 'beta==1.0', 'epsilon==1.0']
  const first = await build(pins, { 'compare-with': 'none' })
  const second = await build(pins, { 'compare-with': 'none' })
  assert.notEqual(first.plan.workDir, second.plan.workDir)
  const [a, b] = [(await run(first)).contents.sbom!, (await run(second)).contents.sbom!]
  assert.notEqual(a.path, b.path)
  assert.equal(await readFile(a.path, 'utf8'), await readFile(b.path, 'utf8'))
})

test('a rerun after the SBOM upload was lost: the unchanged version gets the SBOM beside the zip an earlier run uploaded', async () => {
  const pins = ['alpha==1.0', 'beta==1.0']
  const first = await run(await build(pins))
  await aws.s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: first.sbomS3Key }))
  const again = await run(await build(pins))
  assert.equal(again.sbomS3Key, first.sbomS3Key, 'beside the first zip: the rerun uploaded no zip')
  assert.equal(await s3Text(first.sbomS3Key), again.contents.sbom!.json)
  assert.equal((await objectKeys(aws.s3, BUCKET)).length, 2)
  // a third run finds it there and writes nothing
  const third = await run(await build(pins))
  assert.equal(third.sbomS3Key, first.sbomS3Key)
  assert.match(third.log.text(), /already there/)
})

test('the SBOM upload denied after the publish (fault proxy: 403 on the .cdx.json PUT) fails the hand-off saying the version is in place; the rerun puts the SBOM beside the first zip', async () => {
  const pins = ['alpha==1.0', 'beta==1.0']
  proxy.setRule(req =>
    req.method === 'PUT' && req.path.includes('.cdx.json')
      ? { respond: s3Fault(403, 'AccessDenied', 'Access Denied') }
      : undefined
  )
  const failed = await build(pins)
  await assert.rejects(
    () => run(failed),
    (e: unknown) =>
      e instanceof HandOffError &&
      /s3:PutObject/.test(e.message) &&
      e.message.includes(`SBOM beside the zip failed; ${arnOf(LAYER, 1)} is in place`) &&
      /Re-run this job/.test(e.message)
  )
  const zipKey = failed.plan.s3Key
  assert.deepEqual(await objectKeys(aws.s3, BUCKET), [zipKey], 'the zip and the version, no SBOM')
  proxy.setRule(undefined)
  const rerun = await run(await build(pins))
  assert.equal(rerun.sbomS3Key, zipKey.replace(/\.zip$/, '.cdx.json'))
  assert.equal(await s3Text(rerun.sbomS3Key), rerun.contents.sbom!.json)
})

test('compare-with auto when publishing: changed, added and removed against the latest version, read from the SBOM beside its zip (moto answers s3://), then from the zip itself with range requests', async () => {
  await run(await build(['alpha==1.0', 'beta==1.0', 'delta-lib==1.0', 'payload==1.0']))
  const next = await build(['alpha==1.1', 'beta==1.0', 'epsilon==1.0', 'payload==1.0'])
  const expected = {
    'compared-with': arnOf(LAYER, 1),
    added: [{ name: 'epsilon', version: '1.0' }],
    removed: [{ name: 'delta-lib', version: '1.0' }],
    changed: [{ name: 'alpha', from: '1.0', to: '1.1' }]
  }
  log = captureLog()
  let fromSbom, fromZip
  try {
    fromSbom = await layerContents(next.inputs, next.plan, next.zip, next.wheelhouse)
    const keys = await objectKeys(aws.s3, BUCKET)
    await aws.s3.send(
      new DeleteObjectCommand({ Bucket: BUCKET, Key: keys.find(k => k.endsWith('.cdx.json')) })
    )
    fromZip = await layerContents(next.inputs, next.plan, next.zip, next.wheelhouse)
  } finally {
    log.restore()
  }
  assert.equal(fromSbom.compared?.source, 'own-sbom')
  assert.deepEqual(fromSbom.changes, expected)
  assert.equal(fromZip.compared?.source, 'own-zip')
  assert.deepEqual(fromZip.changes, expected)
  // the directory in the first range, then one range per METADATA outside it; never the payload
  const read = fromZip.compared?.read
  assert.ok(read && read.requests >= 2 && read.bytes < read.total / 2, JSON.stringify(read))
  assert.equal(fromZip.compared?.unzippedSize, fromSbom.compared?.unzippedSize)
  assert.equal(JSON.parse(contentsOutputs(fromZip).changes)['compared-with'], arnOf(LAYER, 1))
})

test('compare-with an explicit ARN (not the latest), none, and an ARN that does not exist', async () => {
  await run(await build(['alpha==1.0', 'beta==1.0']))
  await run(await build(['alpha==1.1', 'beta==1.0', 'epsilon==1.0']))
  const pins = ['alpha==1.2', 'beta==1.0']
  const explicit = await run(
    await build(pins, { 'compare-with': arnOf(LAYER, 1), publish: 'false' })
  )
  assert.deepEqual(explicit.contents.changes, {
    'compared-with': arnOf(LAYER, 1),
    added: [],
    removed: [],
    changed: [{ name: 'alpha', from: '1.0', to: '1.2' }]
  })
  const latest = await run(await build(pins, { 'compare-with': 'latest', publish: 'false' }))
  assert.equal(latest.contents.changes?.['compared-with'], arnOf(LAYER, 2))

  const none = await run(await build(pins, { 'compare-with': 'none', publish: 'false' }))
  assert.equal(none.contents.changes, undefined)
  assert.equal(contentsOutputs(none.contents).changes, '')

  const missing = await build(pins, { 'compare-with': arnOf(LAYER, 9), publish: 'false' })
  await assert.rejects(
    () => run(missing),
    (e: unknown) => e instanceof InputError && /Input 'compare-with'.*:9".*does not/.test(e.message)
  )
})

test('publish: false with compare-with auto makes no AWS call; the same zip as the latest version is not read at all', async () => {
  const pins = ['alpha==1.0', 'beta==1.0']
  await run(await build(pins))
  const before = proxy.requests.length
  const quiet = await run(await build(pins, { publish: 'false', bucket: '' }))
  assert.equal(proxy.requests.length, before, 'no request reached AWS')
  assert.match(quiet.contents.view.notCompared ?? '', /compares only when publishing/)

  const same = await run(await build(pins, { publish: 'false', 'compare-with': 'latest' }))
  assert.equal(same.contents.compared?.source, 'identical')
  assert.deepEqual(same.contents.changes, {
    'compared-with': arnOf(LAYER, 1),
    added: [],
    removed: [],
    changed: []
  })
})

/** A layer zipped by hand the way other tools lay it out (site-packages), published from another bucket. */
async function handmadeLayer(): Promise<{ arn: string; bytes: Buffer }> {
  const zip = new AdmZip()
  const site = 'python/lib/python3.12/site-packages'
  zip.addFile(`${site}/zeta/__init__.py`, Buffer.from('X = 1\n'))
  zip.addFile(
    `${site}/zeta-2.0.dist-info/METADATA`,
    Buffer.from('Metadata-Version: 2.1\nName: Zeta\nVersion: 2.0\n\nlong description\n')
  )
  zip.addFile(`${site}/big_model/weights.bin`, randomBytes(6 * 1024 * 1024))
  zip.addFile(
    `${site}/alpha-1.0.dist-info/METADATA`,
    Buffer.from('Metadata-Version: 2.1\nName: alpha\nVersion: 1.0\n')
  )
  zip.addFile('python/notes.txt', Buffer.from('not a package\n'))
  const bytes = zip.toBuffer()
  await createBucket(aws.s3, 'someone-else', REGION)
  await aws.s3.send(
    new PutObjectCommand({ Bucket: 'someone-else', Key: 'handmade.zip', Body: bytes })
  )
  const v = await aws.lambda.send(
    new PublishLayerVersionCommand({
      LayerName: 'handmade',
      Content: { S3Bucket: 'someone-else', S3Key: 'handmade.zip' },
      CompatibleRuntimes: ['python3.12']
    })
  )
  return { arn: v.LayerVersionArn as string, bytes }
}

/** moto's GetLayerVersion answered with the pre-signed location AWS gives, served by the stand-in. */
function locationAt(name: string): void {
  proxy.setRule(locationRule(presigned.urlFor(name)))
}

test('a layer this action did not build, read through its pre-signed location (loopback pre-signed S3 stand-in): only the directory and the METADATA entries are fetched, and the signature reaches no log line', async () => {
  const { arn, bytes } = await handmadeLayer()
  presigned.put('handmade', bytes)
  locationAt('handmade')
  const r = await run(
    await build(['alpha==1.1', 'beta==1.0', 'epsilon==1.0'], {
      'compare-with': arn,
      publish: 'false'
    })
  )
  assert.equal(r.contents.compared?.source, 'location')
  assert.deepEqual(r.contents.changes, {
    'compared-with': arn,
    added: [
      { name: 'beta', version: '1.0' },
      { name: 'epsilon', version: '1.0' }
    ],
    removed: [{ name: 'zeta', version: '2.0' }],
    changed: [{ name: 'alpha', from: '1.0', to: '1.1' }]
  })
  const served = presigned.served.reduce((n, s) => n + s.bytes, 0)
  assert.ok(served < bytes.length / 4, `read ${served} of ${bytes.length} bytes`)
  assert.ok(presigned.served.every(s => s.status === 206 && s.range))
  assert.equal(
    r.contents.compared?.unzippedSize,
    new AdmZip(bytes).getEntries().reduce((n, e) => n + e.header.size, 0)
  )
  assert.ok(!r.log.text().includes(presigned.signature))
})

test('pre-signed location stand-in misbehaving: a server that ignores Range works (one whole download); an expired URL or a cut-short range falls back to S3 and, finding no upload of this action there, is a warning without the signature, never a failure', async () => {
  const { arn, bytes } = await handmadeLayer()
  presigned.put('handmade', bytes)
  locationAt('handmade')
  const pins = ['alpha==1.1', 'beta==1.0']
  presigned.mode = 'ignore-range'
  const whole = await run(await build(pins, { 'compare-with': arn, publish: 'false' }))
  assert.equal(whole.contents.compared?.read?.requests, 1)
  assert.equal(whole.contents.changes?.removed[0]?.name, 'zeta')

  for (const mode of ['expired', 'short'] as const) {
    presigned.mode = mode
    const r = await run(await build(pins, { 'compare-with': arn, publish: 'false' }))
    assert.equal(r.contents.compared, undefined, mode)
    const warning = r.log.lines.find(l => l.startsWith('::warning::')) ?? ''
    assert.match(
      warning,
      /not compared.*s3:\/\/contents-layers\/layers\/handmade\/ holds no zip/,
      mode
    )
    assert.match(warning, mode === 'expired' ? /HTTP 403/ : /asked for bytes/, mode)
    assert.ok(!r.log.text().includes(presigned.signature), mode)
  }
})

test('the remote reader fetches the end of the file again, twice as much each time, until the central directory is all there (loopback pre-signed S3 stand-in)', async () => {
  const zip = new AdmZip()
  for (let i = 0; i < 400; i++)
    zip.addFile(`python/pkg${i}/module_with_a_long_name_${i}.py`, Buffer.from(`x = ${i}\n`))
  zip.addFile('python/pkg-1.0.dist-info/METADATA', Buffer.from('Name: pkg\nVersion: 1.0\n'))
  // hostile or broken entries: skipped with the reason, never inflated into memory or guessed at
  zip.addFile(
    'python/bomb-1.0.dist-info/METADATA',
    Buffer.concat([Buffer.from('Name: bomb\nVersion: 1.0\n\n'), Buffer.alloc(9 * 1024 * 1024, 97)])
  )
  zip.addFile('python/noname-1.0.dist-info/METADATA', Buffer.from('Summary: no name here\n'))
  const bytes = zip.toBuffer()
  presigned.put('many', bytes)
  const read = await readRemoteZipPackages(
    range => fetchRange(presigned.urlFor('many'), range),
    'many',
    tmp,
    { tail: 64 }
  )
  assert.deepEqual(
    read.packages.map(p => `${p.key}@${p.metadata.version}`),
    ['pkg@1.0']
  )
  assert.deepEqual(read.skipped, [
    'python/bomb-1.0.dist-info/METADATA: 9437209 bytes, more than any METADATA holds',
    'python/noname-1.0.dist-info/METADATA: no Name or no Version field'
  ])
  assert.ok(read.read.requests >= 5, `${read.read.requests} requests`)
  assert.ok(read.read.bytes < bytes.length, 'the file bodies are never fetched')

  presigned.put('not-a-zip', randomBytes(300_000))
  await assert.rejects(
    () =>
      readRemoteZipPackages(
        range => fetchRange(presigned.urlFor('not-a-zip'), range),
        'not-a-zip',
        tmp,
        { tail: 1024 }
      ),
    /not-a-zip is not a usable zip file: no end of central directory/
  )
})
