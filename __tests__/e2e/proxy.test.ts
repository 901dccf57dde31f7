/**
 * End to end, the persona of a self-hosted runner whose one way out is a corporate proxy: the
 * bundled action run with HTTP_PROXY (with credentials) publishes to an AWS endpoint that only the
 * proxy can reach (`aws.example.test`, a name no resolver knows, which the recording proxy maps to
 * moto), so the S3 upload and PublishLayerVersion succeed only through the proxy. The action's own
 * downloads take the same proxy (pip reads the loopback index, which NO_PROXY names), and the proxy's password reaches no log line.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { ok, runAction } from '../helpers/action'
import { startMoto, MOTO_ACCOUNT, type Moto } from '../helpers/moto'
import { startRecordingProxy, type RecordingProxy } from '../helpers/recording-proxy'
import { createBucket, layerVersions, motoClients } from '../helpers/aws-fixtures'
import { hermeticPipEnv } from '../helpers/pip-env'
import { localPython } from '../helpers/python'
import { greetingProject, type GreetingProject } from '../helpers/greeting'

const REGION = 'eu-west-1'
const BUCKET = 'proxied-layers'
const FAKE_HOST = 'aws.example.test'
const PASSWORD = 'pr0xy-s3cret'
const PY = localPython()

let project: GreetingProject
let moto: Moto
let proxy: RecordingProxy

before(async () => {
  project = await greetingProject('layer-e2e-proxy-')
  // a dotted host is a virtual-hosted bucket to moto (`aws` of aws.example.test); path style here
  moto = await startMoto({ env: { S3_IGNORE_SUBDOMAIN_BUCKETNAME: 'true' } })
  proxy = await startRecordingProxy({
    hosts: { [`${FAKE_HOST}:${moto.port}`]: `127.0.0.1:${moto.port}` }
  })
  await createBucket(motoClients(moto, REGION).s3, BUCKET, REGION)
})

after(async () => {
  await proxy?.close()
  await moto?.stop()
  await project?.close()
})

test('behind a proxy with credentials: the index (through the look-ahead), the downloads and every AWS call go through it, and its password is masked', async () => {
  const endpoint = `http://${FAKE_HOST}:${moto.port}`
  const withCredentials = new URL(proxy.url)
  withCredentials.username = 'runner'
  withCredentials.password = PASSWORD
  const r = ok(
    await runAction({
      inputs: {
        'layer-name': 'common',
        'python-version': PY,
        'index-url': project.index.url,
        bucket: BUCKET,
        cache: 'false'
      },
      workspace: project.sandbox.work,
      env: {
        ...hermeticPipEnv(),
        ...moto.env,
        AWS_ENDPOINT_URL: endpoint,
        AWS_REGION: REGION,
        AWS_DEFAULT_REGION: REGION,
        HTTP_PROXY: withCredentials.href,
        HTTPS_PROXY: withCredentials.href,
        NO_PROXY: ''
      },
      tmp: project.dir
    })
  )

  assert.equal(r.outputs['published'], 'true')
  assert.equal(
    r.outputs['layer-version-arn'],
    `arn:aws:lambda:${REGION}:${MOTO_ACCOUNT}:layer:common:1`
  )
  assert.deepEqual(await layerVersions(motoClients(moto, REGION).lambda, 'common'), [1])

  const lines = proxy.requests.map(q => `${q.method} ${q.target}`)
  const all = lines.join('\n')
  assert.ok(
    lines.some(l => l.startsWith(`PUT ${endpoint}/${BUCKET}/`)),
    all
  )
  assert.ok(lines.includes(`POST ${endpoint}/2018-10-31/layers/common/versions`), all)
  // the index: the look-ahead's and the fetcher's requests, tunnelled (pip reads the loopback index)
  const indexHost = new URL(project.index.url).host
  assert.ok(lines.includes(`CONNECT ${indexHost}`), all)
  assert.ok(
    !lines.some(l => l.includes('localhost:')),
    `the loopback index went through the proxy:\n${all}`
  )
  assert.match(r.stdout, /pip resolves through a loopback index/)
  const auth = `Basic ${Buffer.from(`runner:${PASSWORD}`).toString('base64')}`
  const aws = proxy.requests.filter(q => q.target.startsWith(endpoint))
  assert.ok(aws.length >= 2)
  for (const q of aws) assert.equal(q.proxyAuthorization, auth, `${q.method} ${q.target}`)

  const output = `${r.stdout}\n${r.stderr}`.split('\n')
  assert.ok(output.includes(`::add-mask::${PASSWORD}`), 'the password is registered for masking')
  const leaks = output.filter(l => l.includes(PASSWORD) && !l.startsWith('::add-mask::'))
  assert.deepEqual(leaks, [])
  assert.ok(path.isAbsolute(r.outputs['zip-path']))
})
