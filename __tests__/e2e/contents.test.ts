/**
 * End to end through dist/index.js: the SBOM (file, S3 object beside the zip, GitHub Release asset),
 * the `changes` output and summary after a second publish, and a pull-request run (publish: false,
 * compare-with: latest, pr-comment: true) that reads the live version through its pre-signed HTTPS
 * location. Against real pip and a local index, a real git origin, moto_server behind a fault proxy
 * that rewrites GetLayerVersion's `Content.Location` from moto's `s3://` to a loopback pre-signed
 * S3 stand-in over HTTPS (helpers/presigned-standin.ts, its self-signed certificate given to the
 * action through NODE_EXTRA_CA_CERTS), and the loopback GitHub stand-in (helpers/github-standin.ts).
 */
import { test, before, after, beforeEach } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { GetObjectCommand } from '@aws-sdk/client-s3'
import { Validation } from '@cyclonedx/cyclonedx-library'
import { Version } from '@cyclonedx/cyclonedx-library/Spec'
import { ok, runAction, type ActionRun } from '../helpers/action'
import { startMoto, MOTO_ACCOUNT, type Moto } from '../helpers/moto'
import { createBucket, motoClients } from '../helpers/aws-fixtures'
import type { AwsClients } from '../../src/deliver/clients'
import { makeIndex, makeWheel, serveIndex, type ServedIndex } from '../helpers/wheels'
import { hermeticPipEnv } from '../helpers/pip-env'
import { createSandbox, commit, git, isolateGit, type Sandbox } from '../helpers/git'
import { localPython } from '../helpers/python'
import { startGitHubStandIn, type GitHubStandIn } from '../helpers/github-standin'
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy'
import {
  selfSignedCertificate,
  locationRule,
  startPresignedStandIn,
  type PresignedStandIn
} from '../helpers/presigned-standin'

const REGION = 'eu-west-1'
const BUCKET = 'e2e-contents'
const TOKEN = 'ghs_e2eContentsToken0123456789abcdefABCDEF'
const READ_ONLY = 'ghs_e2eForkToken0123456789abcdefABCDEFGH'
const REPO = 'acme/layers'
const PY = localPython()
const ARN = (v: number) => `arn:aws:lambda:${REGION}:${MOTO_ACCOUNT}:layer:common:${v}`

let dir: string
let home: string
let index: ServedIndex
let moto: Moto
let proxy: FaultProxy
let presigned: PresignedStandIn
let certFile: string
let gh: GitHubStandIn
let sandbox: Sandbox
let aws: AwsClients

before(async () => {
  home = await isolateGit()
  dir = await mkdtemp(path.join(os.tmpdir(), 'layer-e2e-contents-'))
  const wheels = path.join(dir, 'wheels')
  await makeIndex(path.join(dir, 'index'), [
    await makeWheel(wheels, {
      name: 'greeting',
      version: '1.2.0',
      tags: 'py3-none-any',
      requires: ['helper-lib>=0.1'],
      metadata: ['License-Expression: MIT']
    }),
    await makeWheel(wheels, {
      name: 'greeting',
      version: '1.3.0',
      tags: 'py3-none-any',
      requires: ['helper-lib>=0.1', 'new-dep'],
      metadata: ['License-Expression: MIT']
    }),
    await makeWheel(wheels, { name: 'helper-lib', version: '0.3.1', tags: 'py3-none-any' }),
    await makeWheel(wheels, { name: 'new-dep', version: '1.0.0', tags: 'py3-none-any' }),
    await makeWheel(wheels, { name: 'gone', version: '1.0.0', tags: 'py3-none-any' })
  ])
  index = await serveIndex(path.join(dir, 'index'))
  moto = await startMoto()
  aws = motoClients(moto, REGION)
  proxy = await startFaultProxy(moto.endpoint)
  const tls = selfSignedCertificate(dir)
  certFile = tls.certFile
  presigned = await startPresignedStandIn({ tls })
})

after(async () => {
  await index?.close()
  await presigned?.close()
  await proxy?.close()
  await moto?.stop()
  await gh?.close()
  await sandbox?.remove()
  await rm(dir, { recursive: true, force: true })
  await rm(home, { recursive: true, force: true })
})

beforeEach(async () => {
  await moto.reset()
  proxy.setRule(undefined)
  presigned.served.length = 0
  await gh?.close()
  gh = await startGitHubStandIn({ token: TOKEN, repo: REPO, readOnlyToken: READ_ONLY })
  await createBucket(aws.s3, BUCKET, REGION)
  await sandbox?.remove()
  sandbox = await createSandbox()
  await requirements('greeting==1.2.0\ngone\n', 'feat: first layer')
})

async function requirements(text: string, message: string): Promise<void> {
  await writeFile(path.join(sandbox.work, 'requirements.txt'), text)
  git(sandbox.work, ['add', 'requirements.txt'])
  commit(sandbox.work, message)
  sandbox.publish()
}

async function run(
  inputs: Record<string, string>,
  more: Record<string, string> = {}
): Promise<ActionRun> {
  return runAction({
    inputs: {
      'layer-name': 'common',
      'python-version': PY,
      'index-url': index.url,
      bucket: BUCKET,
      'github-token': TOKEN,
      ...inputs
    },
    workspace: sandbox.work,
    env: {
      ...hermeticPipEnv(),
      ...moto.env,
      AWS_ENDPOINT_URL: proxy.endpoint,
      AWS_REGION: REGION,
      AWS_DEFAULT_REGION: REGION,
      GITHUB_API_URL: gh.apiUrl,
      GITHUB_REPOSITORY: REPO,
      NODE_EXTRA_CA_CERTS: certFile,
      ...more
    },
    tmp: dir
  })
}

async function s3Bytes(key: string): Promise<Buffer> {
  const r = await aws.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))
  return Buffer.from(await (r.Body?.transformToByteArray() ?? new Uint8Array()))
}

test("publish twice: the SBOM file, the same bytes beside the zip and as the release asset; the second run's changes against the first, in the outputs and the summary", async () => {
  const first = ok(await run({ 'github-release': 'true' }))
  const sbom = await readFile(first.outputs['sbom-path'], 'utf8')
  assert.equal(path.basename(first.outputs['sbom-path']), 'common.cdx.json')
  assert.equal(await new Validation.JsonStrictValidator(Version.v1dot6).validate(sbom), null)
  const bom = JSON.parse(sbom)
  assert.deepEqual(bom.components.map((c: { purl: string }) => c.purl).sort(), [
    'pkg:pypi/gone@1.0.0',
    'pkg:pypi/greeting@1.2.0',
    'pkg:pypi/helper-lib@0.3.1'
  ])
  const deps = Object.fromEntries(
    bom.dependencies.map((d: { ref: string; dependsOn?: string[] }) => [d.ref, d.dependsOn ?? []])
  )
  assert.deepEqual(
    deps['pkg:pypi/greeting@1.2.0'],
    ['pkg:pypi/helper-lib@0.3.1'],
    'the graph from Requires-Dist'
  )
  assert.deepEqual(deps.common, ['pkg:pypi/gone@1.0.0', 'pkg:pypi/greeting@1.2.0'])
  assert.equal(first.outputs['sbom-s3-key'], first.outputs['s3-key'].replace(/\.zip$/, '.cdx.json'))
  assert.equal((await s3Bytes(first.outputs['sbom-s3-key'])).toString('utf8'), sbom)
  assert.equal(first.outputs.changes, '')
  const asset = [...gh.assets.values()].find(a => a.name === 'common-1.0.0.cdx.json')
  assert.equal(asset?.data.toString('utf8'), sbom)
  assert.match(first.summary, /### What the layer ships/)

  await requirements('greeting==1.3.0\n', 'feat: greeting 1.3')
  const second = ok(await run({}))
  assert.deepEqual(JSON.parse(second.outputs.changes), {
    'compared-with': ARN(1),
    added: [{ name: 'new-dep', version: '1.0.0' }],
    removed: [{ name: 'gone', version: '1.0.0' }],
    changed: [{ name: 'greeting', from: '1.2.0', to: '1.3.0' }]
  })
  assert.match(second.summary, /### What changed since <code>common:1<\/code>/)
  assert.match(second.summary, /\| Zipped \| [\d.]+ KB \| [\d.]+ KB \| [+−±][\d.]+ (B|KB)/)
  assert.match(second.summary, /\| greeting \| 1\.2\.0 \| 1\.3\.0 \| upgraded \|/)
  assert.match(second.summary, /\| gone \| 1\.0\.0 \| — \| removed \|/)
})

/** moto's GetLayerVersion answered with the pre-signed location AWS gives, served by the stand-in. */
function presignedLocation(name: string): void {
  proxy.setRule(locationRule(presigned.urlFor(name)))
}

test("a pull request (publish: false, compare-with: latest, pr-comment: true): the live version read through its pre-signed HTTPS location (loopback pre-signed S3 stand-in), one comment (GitHub stand-in) edited by the next push; a fork's read-only token is a warning", async () => {
  const live = ok(await run({}))
  presigned.put('live', await s3Bytes(live.outputs['s3-key']))
  presignedLocation('live')
  await requirements('greeting==1.3.0\n', 'feat: greeting 1.3')
  const event = path.join(dir, 'event.json')
  await writeFile(event, JSON.stringify({ number: 12, pull_request: { number: 12 } }))
  const pr = { GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: event }
  const inputs = { publish: 'false', 'compare-with': 'latest', 'pr-comment': 'true' }

  const opened = ok(await run(inputs, pr))
  assert.ok(
    presigned.served.length >= 1 && presigned.served.every(s => s.status === 206),
    `${JSON.stringify(presigned.served)}\n${opened.stdout
      .split('\n')
      .filter(l => /Compar|location|warning/.test(l))
      .join('\n')}`
  )
  assert.match(
    opened.stdout,
    /Compared with arn:aws:lambda:eu-west-1:123456789012:layer:common:1 \(\d+ range request\(s\)/
  )
  assert.ok(!opened.stdout.includes(presigned.signature), 'the pre-signed URL reaches no log line')
  assert.equal(JSON.parse(opened.outputs.changes).changed[0].to, '1.3.0')
  assert.equal(opened.outputs['sbom-s3-key'], '', 'publish: false uploads nothing')
  const comments = () => [...gh.comments.values()].filter(c => c.issue_number === 12)
  assert.equal(comments().length, 1)
  const body = comments()[0].body
  assert.ok(
    body.startsWith('<!-- layer-action:pr-comment common -->\n### Lambda layer `common` · python'),
    body
  )
  assert.match(body, /\| greeting \| 1\.2\.0 \| 1\.3\.0 \| upgraded \|/)
  assert.match(body, /\| new-dep \| — \| 1\.0\.0 \| added \|/)
  assert.match(body, /\| Unzipped \| [\d.]+ KB · [\d.]+% of Lambda's 250\.0 MB \|/)

  await requirements('greeting==1.3.0\ngone\n', 'fix: keep gone')
  const pushed = ok(await run(inputs, pr))
  assert.equal(comments().length, 1, 'the next push edits the comment')
  assert.notEqual(comments()[0].body, body)
  assert.doesNotMatch(comments()[0].body, /\| gone \|/)
  assert.equal(JSON.parse(pushed.outputs.changes).removed.length, 0)

  // a fork's push: a new commit, so there is something new to write
  await requirements('greeting==1.2.0\n', 'fix: back to 1.2')
  const fork = ok(await run({ ...inputs, 'github-token': READ_ONLY }, pr))
  assert.ok(
    fork.stdout
      .split('\n')
      .some(l =>
        /^::warning::No pull-request comment for common on #12: GitHub answered 403/.test(l)
      ),
    fork.stdout
      .split('\n')
      .filter(l => /comment/i.test(l))
      .join('\n')
  )
  assert.equal(comments().length, 1)
})
