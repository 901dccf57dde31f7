/**
 * The AWS SDK's calls through the environment's proxy (src/aws-network.ts), against a real
 * moto_server that only the recording proxy can reach: the endpoint is a name no resolver knows
 * (`aws.example.test`), which the proxy alone maps to moto. A client that connects directly fails
 * to resolve it, so a publish that succeeds went through the proxy, and the proxy's record says
 * which calls did.
 */
import { test, before, after, beforeEach } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import http from 'node:http'
import https from 'node:https'
import type net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { startMoto, setEnv, MOTO_ACCOUNT, type Moto } from '../helpers/moto'
import { startRecordingProxy, type RecordingProxy } from '../helpers/recording-proxy'
import {
  createBucket,
  fastClients,
  layerVersions,
  makeZip,
  motoClients,
  request,
  type TestZip
} from '../helpers/aws-fixtures'
import { selfSignedCertificate } from '../helpers/presigned-standin'
import { deliverLayer } from '../../src/deliver/deliver'
import { AwsError } from '../../src/deliver/errors'
import { createCodeArtifactClient } from '../../src/resolve/codeartifact'
import { GetRepositoryEndpointCommand } from '@aws-sdk/client-codeartifact'

const REGION = 'us-east-1'
const BUCKET = 'layers-bucket'
/** a name only the proxy resolves (RFC 2606: .test never resolves) */
const FAKE_HOST = 'aws.example.test'
const PASSWORD = 'pw-s3cret/42'

let moto: Moto
let dir: string
let zip: TestZip
let proxy: RecordingProxy
let fakeEndpoint: string
let restoreEnv: () => void
let connectionsBefore = 0
const log: string[] = []
const opts = { log: (line: string) => void log.push(line) }

/** Every proxy variable unset, so the machine's own settings play no part. */
const NO_PROXY_VARIABLES = Object.fromEntries(
  ['http_proxy', 'https_proxy', 'all_proxy', 'no_proxy'].flatMap(n => [
    [n, undefined],
    [n.toUpperCase(), undefined]
  ])
)

/** Runs fn with these variables set on top of moto's (and no other proxy variable). */
async function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const undo = setEnv({ ...NO_PROXY_VARIABLES, ...vars })
  try {
    return await fn()
  } finally {
    undo()
  }
}

function publish(over: Parameters<typeof request>[1] = {}) {
  return deliverLayer(fastClients(REGION), { ...request(zip, over), region: REGION }, opts)
}

/** The proxy's record, as `METHOD target` lines. */
function recorded(): string[] {
  return proxy.requests.map(r => `${r.method} ${r.target}`)
}

before(async () => {
  // a dotted host is a virtual-hosted bucket to moto (`aws` of aws.example.test); path style here
  moto = await startMoto({ env: { S3_IGNORE_SUBDOMAIN_BUCKETNAME: 'true' } })
  restoreEnv = setEnv({ ...moto.env, AWS_PROFILE: undefined, ...NO_PROXY_VARIABLES })
  fakeEndpoint = `http://${FAKE_HOST}:${moto.port}`
  proxy = await startRecordingProxy({
    hosts: { [`${FAKE_HOST}:${moto.port}`]: `127.0.0.1:${moto.port}` }
  })
  dir = await mkdtemp(path.join(os.tmpdir(), 'layer-aws-proxy-'))
  zip = await makeZip(dir, 'common', 'VALUE = 1\n')
})

after(async () => {
  restoreEnv?.()
  await proxy?.close()
  await moto?.stop()
  await rm(dir, { recursive: true, force: true })
})

beforeEach(async () => {
  await moto.reset()
  await createBucket(motoClients(moto, REGION).s3, BUCKET, REGION)
  proxy.requests.length = 0
  connectionsBefore = proxy.connections
  log.length = 0
})

test('the S3 upload and PublishLayerVersion go through HTTP_PROXY to an endpoint only the proxy reaches', async () => {
  const r = await withEnv({ AWS_ENDPOINT_URL: fakeEndpoint, HTTP_PROXY: proxy.url }, () =>
    publish()
  )

  assert.equal(r.published, true)
  assert.equal(r.layerArn, `arn:aws:lambda:${REGION}:${MOTO_ACCOUNT}:layer:common-dev`)
  assert.deepEqual(await layerVersions(motoClients(moto, REGION).lambda), [1])
  const lines = recorded()
  // absolute-form requests: the proxy saw each call's method and URL
  assert.ok(
    lines.some(l => l.startsWith(`PUT ${fakeEndpoint}/${BUCKET}/${request(zip).key}?`)),
    `no S3 upload through the proxy:\n${lines.join('\n')}`
  )
  assert.ok(
    lines.includes(`POST ${fakeEndpoint}/2018-10-31/layers/common-dev/versions`),
    `no PublishLayerVersion through the proxy:\n${lines.join('\n')}`
  )
  assert.ok(
    lines.every(l => l.includes(fakeEndpoint)),
    lines.join('\n')
  )
  // keep-alive: the calls share connections to the proxy
  const opened = proxy.connections - connectionsBefore
  assert.ok(opened < lines.length, `${opened} connections for ${lines.length} calls`)
})

test('NO_PROXY naming the endpoint host goes direct; without it the same endpoint takes the proxy', async () => {
  const direct = await withEnv(
    { AWS_ENDPOINT_URL: moto.endpoint, HTTP_PROXY: proxy.url, NO_PROXY: 'localhost,127.0.0.1' },
    () => publish()
  )
  assert.equal(direct.published, true)
  assert.deepEqual(recorded(), [])

  await moto.reset()
  await createBucket(motoClients(moto, REGION).s3, BUCKET, REGION)
  const proxied = await withEnv(
    { AWS_ENDPOINT_URL: moto.endpoint, HTTP_PROXY: proxy.url, NO_PROXY: 'localhost' },
    () => publish()
  )
  assert.equal(proxied.published, true)
  assert.ok(
    recorded().includes(`POST ${moto.endpoint}/2018-10-31/layers/common-dev/versions`),
    recorded().join('\n')
  )
})

test('a proxy with credentials gets Proxy-Authorization; the password is in no log line and no error', async () => {
  const withCredentials = new URL(proxy.url)
  withCredentials.username = 'layer-user'
  withCredentials.password = encodeURIComponent(PASSWORD)
  const env = { AWS_ENDPOINT_URL: fakeEndpoint, HTTP_PROXY: withCredentials.href }

  const r = await withEnv(env, () => publish())
  assert.equal(r.published, true)
  const expected = `Basic ${Buffer.from(`layer-user:${PASSWORD}`).toString('base64')}`
  assert.ok(proxy.requests.length >= 2)
  for (const req of proxy.requests)
    assert.equal(req.proxyAuthorization, expected, `${req.method} ${req.target}`)

  // a call that fails behind the proxy (no such bucket), and a proxy that is not there
  const failures: string[] = []
  await withEnv(env, () => publish({ bucket: 'no-such-bucket', skipUnchanged: false })).then(
    () => assert.fail('publishing to a missing bucket succeeded'),
    (error: Error) => void failures.push(`${error.message}\n${error.stack}`)
  )
  const closed = await closedPort()
  const dead = new URL(withCredentials)
  dead.port = String(closed)
  await withEnv({ ...env, HTTP_PROXY: dead.href }, () => publish()).then(
    () => assert.fail('publishing through a proxy that is not there succeeded'),
    (error: Error) => void failures.push(`${error.message}\n${error.stack}`)
  )
  assert.equal(failures.length, 2)
  assert.match(failures[0], /bucket 'no-such-bucket' does not exist/)
  // the proxy that is not there: a network failure whose advice names the proxy variables
  assert.match(failures[1], /Could not reach AWS .*\(ECONNREFUSED\)\..*\(HTTPS_PROXY /)
  const output = [...log, ...failures].join('\n')
  for (const secret of [PASSWORD, encodeURIComponent(PASSWORD)])
    assert.ok(!output.includes(secret), `the proxy password is in the output:\n${output}`)
})

test('the CodeArtifact client takes the same road', async () => {
  await withEnv(
    { AWS_ENDPOINT_URL_CODEARTIFACT: fakeEndpoint, HTTP_PROXY: proxy.url },
    async () => {
      const client = createCodeArtifactClient({ region: REGION, maxAttempts: 1 })
      // moto may not know the domain: any answer it gives came through the proxy
      await client
        .send(new GetRepositoryEndpointCommand({ domain: 'd', repository: 'r', format: 'pypi' }))
        .catch(() => undefined)
    }
  )
  assert.ok(
    recorded().some(l => l.startsWith(`GET ${fakeEndpoint}/v1/repository/endpoint`)),
    recorded().join('\n')
  )
})

test('https: a CONNECT tunnel through HTTPS_PROXY, verified with AWS_CA_BUNDLE; without it, the untrusted certificate is said so with what to set, and nothing is published', async () => {
  // TLS for aws.example.test in front of moto; its certificate is trusted through AWS_CA_BUNDLE only
  const tlsDir = await mkdtemp(path.join(dir, 'tls-'))
  const tls = selfSignedCertificate(tlsDir, FAKE_HOST)
  let calls = 0
  const front = https.createServer(tls, (req, res) => {
    calls++
    const up = http.request(
      `${moto.endpoint}${req.url}`,
      { method: req.method, headers: req.headers },
      answer => {
        // moto closes each connection; the front keeps its own open, as AWS does
        const { connection: _c, 'keep-alive': _k, ...headers } = answer.headers
        res.writeHead(answer.statusCode ?? 502, headers)
        answer.pipe(res)
      }
    )
    req.pipe(up)
  })
  await new Promise<void>(resolve => front.listen(0, '127.0.0.1', resolve))
  const { port } = front.address() as net.AddressInfo
  const tunnelling = await startRecordingProxy({
    hosts: { [`${FAKE_HOST}:443`]: `127.0.0.1:${port}` }
  })
  try {
    // without the bundle: the certificate is said to be untrusted, with what to set; nothing published
    await withEnv({ AWS_ENDPOINT_URL: `https://${FAKE_HOST}`, HTTPS_PROXY: tunnelling.url }, () =>
      assert.rejects(publish(), (e: unknown) => {
        assert.ok(e instanceof AwsError, String(e))
        assert.equal(e.kind, 'untrusted-certificate', e.message)
        assert.match(
          e.message,
          /^The certificate presented for lambda:ListLayerVersions in us-east-1 is not trusted \((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)\): a TLS-intercepting proxy, or an endpoint signed by a private CA\. Point AWS_CA_BUNDLE at that CA's PEM bundle/
        )
        return true
      })
    )
    assert.deepEqual(await layerVersions(motoClients(moto, REGION).lambda), [])
    const r = await withEnv(
      {
        AWS_ENDPOINT_URL: `https://${FAKE_HOST}`,
        HTTPS_PROXY: tunnelling.url,
        AWS_CA_BUNDLE: tls.certFile
      },
      () => publish()
    )
    assert.equal(r.published, true)
    assert.deepEqual(await layerVersions(motoClients(moto, REGION).lambda), [1])
    const targets = tunnelling.requests.map(q => `${q.method} ${q.target}`)
    assert.ok(targets.length > 0)
    assert.ok(
      targets.every(t => t === `CONNECT ${FAKE_HOST}:443`),
      targets.join('\n')
    )
    // keep-alive: the calls of the publish share tunnels
    assert.ok(targets.length < calls, `${targets.length} tunnels for ${calls} calls`)
  } finally {
    await tunnelling.close()
    front.closeAllConnections()
    await new Promise(resolve => front.close(resolve))
  }
})

async function closedPort(): Promise<number> {
  const server = http.createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise(resolve => server.close(resolve))
  return port
}
