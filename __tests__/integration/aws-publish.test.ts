/**
 * Zip → S3 object → layer version against a real moto_server. Faults moto cannot produce on demand
 * (throttling, 5xx, a bucket in another region, Lambda's AccessDeniedException) come from a loopback
 * proxy in front of it, so the SDK's real retry and error parsing run; those tests say so by name.
 */
import { test, before, after, beforeEach } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import os from 'node:os'
import path from 'node:path'
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3'
import { GetLayerVersionCommand } from '@aws-sdk/client-lambda'
import { startMoto, setEnv, MOTO_ACCOUNT, type Moto } from '../helpers/moto'
import {
  startFaultProxy,
  lambdaFault,
  s3Fault,
  isPublish,
  type FaultProxy
} from '../helpers/fault-proxy'
import {
  makeZip,
  fastClients,
  createBucket,
  objectKeys,
  request,
  sha256Base64,
  type TestZip,
  layerVersions
} from '../helpers/aws-fixtures'
import { deliverLayer } from '../../src/deliver/deliver'
import { layerObjectKey } from '../../src/deliver/names'
import { DeliveryError } from '../../src/deliver/outcome'
import { uploadZip } from '../../src/deliver/upload'
import { AwsError } from '../../src/deliver/errors'
import type { AwsClients } from '../../src/deliver/clients'

const REGION = 'us-east-1'
const BUCKET = 'layers-bucket'
let moto: Moto
let dir: string
let zip: TestZip
let zip2: TestZip
let restoreEnv: () => void
let clients: AwsClients
const log: string[] = []
const opts = { log: (line: string) => void log.push(line) }

before(async () => {
  moto = await startMoto()
  restoreEnv = setEnv({ ...moto.env, AWS_PROFILE: undefined })
  dir = await mkdtemp(path.join(os.tmpdir(), 'layer-aws-publish-'))
  zip = await makeZip(dir, 'common', 'VALUE = 1\n')
  zip2 = await makeZip(dir, 'common', 'VALUE = 2\n')
})

after(async () => {
  restoreEnv?.()
  await moto?.stop()
  await rm(dir, { recursive: true, force: true })
})

beforeEach(async () => {
  await moto.reset()
  log.length = 0
  clients = fastClients(REGION)
  await createBucket(clients.s3, BUCKET, REGION)
})

/** Runs fn with the SDK's endpoint for one service pointed at a fault proxy in front of moto. */
async function throughProxy<T>(
  service: 'LAMBDA' | 'S3',
  proxy: FaultProxy,
  fn: (c: AwsClients) => Promise<T>
): Promise<T> {
  const undo = setEnv({ [`AWS_ENDPOINT_URL_${service}`]: proxy.endpoint })
  try {
    return await fn(fastClients(REGION))
  } finally {
    undo()
  }
}

test('key has the contract shape, and the layer version holds exactly the uploaded zip', async () => {
  const key = layerObjectKey('layers', 'common-dev', new Date(Date.UTC(2026, 10, 22, 10, 45, 12)))
  assert.equal(key, 'layers/common-dev/20261122-104512/common-dev.zip')
  const long = 'x'.repeat(300)
  const r = await deliverLayer(
    clients,
    { ...request(zip, { key, description: long, licenseInfo: 'MIT' }), region: REGION },
    opts
  )

  assert.equal(r.published, true)
  assert.equal(r.version, 1)
  assert.equal(r.layerArn, `arn:aws:lambda:${REGION}:${MOTO_ACCOUNT}:layer:common-dev`)
  assert.equal(r.layerVersionArn, `${r.layerArn}:1`)
  assert.deepEqual(r.s3, { bucket: BUCKET, key })
  assert.deepEqual(await objectKeys(clients.s3, BUCKET), [key])

  const object = await clients.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))
  const bytes = await object.Body!.transformToByteArray()
  assert.equal(sha256Base64(bytes), zip.sha256, 'the object is the zip')
  assert.deepEqual(object.Metadata, { version: '1.0.0', commit: 'abc1234def', sha256: zip.sha256 })
  assert.equal(object.ContentType, 'application/zip')

  const v = await clients.lambda.send(
    new GetLayerVersionCommand({ LayerName: 'common-dev', VersionNumber: 1 })
  )
  assert.equal(v.Content?.CodeSha256, zip.sha256)
  assert.equal(r.codeSha256, zip.sha256)
  assert.deepEqual(v.CompatibleRuntimes, ['python3.12'])
  assert.deepEqual(v.CompatibleArchitectures, ['arm64'])
  assert.equal(v.LicenseInfo, 'MIT')
  assert.equal([...(v.Description ?? '')].length, 256, "cut to Lambda's 256 characters")
  assert.ok(v.Description?.endsWith('…'))
})

test('identical content a second time uploads nothing, publishes nothing, points at the same version', async () => {
  const first = await deliverLayer(clients, { ...request(zip), region: REGION }, opts)
  const laterKey = 'layers/common-dev/20261123-090000/common-dev.zip'
  const second = await deliverLayer(
    clients,
    { ...request(zip, { key: laterKey, description: 'v1.0.1 def5678 dev' }), region: REGION },
    opts
  )
  assert.equal(second.published, false)
  assert.match(second.skippedReason ?? '', /unchanged/)
  assert.equal(second.s3, undefined)
  assert.equal(second.layerVersionArn, first.layerVersionArn)
  assert.equal(second.version, 1)
  assert.equal(second.codeSha256, zip.sha256)
  assert.deepEqual(await objectKeys(clients.s3, BUCKET), [request(zip).key], 'nothing uploaded')
  assert.deepEqual(await layerVersions(clients.lambda), [1], 'nothing published')

  // different content is published, so the skip above was a decision, not a no-op
  const third = await deliverLayer(
    clients,
    { ...request(zip2, { key: laterKey }), region: REGION },
    opts
  )
  assert.equal(third.published, true)
  assert.equal(third.version, 2)
  assert.deepEqual(await layerVersions(clients.lambda), [2, 1])
})

test('skip-unchanged off, or another architecture, publishes identical content again', async () => {
  await deliverLayer(clients, { ...request(zip), region: REGION }, opts)
  const again = await deliverLayer(
    clients,
    { ...request(zip, { skipUnchanged: false }), region: REGION },
    opts
  )
  assert.equal(again.version, 2)
  const otherArch = await deliverLayer(
    clients,
    { ...request(zip, { architecture: 'x86_64' }), region: REGION },
    opts
  )
  assert.equal(otherArch.published, true)
  assert.equal(otherArch.version, 3)
})

test('a missing bucket fails naming the bucket and the region, and publishes nothing', async () => {
  await assert.rejects(
    deliverLayer(
      clients,
      { ...request(zip, { bucket: 'no-such-layers-bucket' }), region: REGION },
      opts
    ),
    (e: unknown) => {
      assert.ok(e instanceof AwsError)
      assert.equal(e.kind, 'no-such-bucket')
      assert.match(e.message, /'no-such-layers-bucket' does not exist/)
      assert.match(e.message, /us-east-1/)
      return true
    }
  )
  assert.deepEqual(await layerVersions(clients.lambda), [])
})

test('a large zip goes up in parts, with a few progress lines and not one per part', async () => {
  const big = path.join(dir, 'big.zip')
  const bytes = randomBytes(12 * 1024 * 1024)
  await writeFile(big, bytes)
  let clock = 0
  const lines: string[] = []
  const seen: string[] = []
  const proxy = await startFaultProxy(moto.endpoint, req => {
    seen.push(`${req.method} ${req.path}`)
    return undefined
  })
  try {
    await throughProxy('S3', proxy, c =>
      uploadZip(
        c.s3,
        {
          bucket: BUCKET,
          key: 'big/big.zip',
          file: big,
          sha256: sha256Base64(bytes),
          metadata: {}
        },
        // each reading of the clock is 3 s later: progress is due every other event
        {
          partSize: 5 * 1024 * 1024,
          queueSize: 1,
          now: () => (clock += 3000),
          log: l => void lines.push(l)
        }
      )
    )
  } finally {
    await proxy.close()
  }
  assert.equal(seen.filter(s => s.includes('uploadId=')).length, 4, '3 parts and the completion')
  const progress = lines.filter(l => /^\s+\d+%/.test(l))
  assert.ok(progress.length >= 1 && progress.length < 3, lines.join('\n'))
  assert.match(lines.at(-1) ?? '', /^Uploaded s3:\/\/layers-bucket\/big\/big\.zip in \d+ s$/)
  const head = await clients.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'big/big.zip' }))
  assert.equal(head.ContentLength, bytes.length)
})

test('the user agent names layer-action and its version', async () => {
  const proxy = await startFaultProxy(moto.endpoint)
  try {
    await throughProxy('LAMBDA', proxy, c =>
      deliverLayer(c, { ...request(zip), region: REGION }, opts)
    )
  } finally {
    await proxy.close()
  }
  assert.ok(proxy.requests.length > 0)
  for (const r of proxy.requests)
    assert.match(String(r.headers['user-agent']), /layer-action\/0\.0\.0-test/)
})

test('throttled and unavailable PublishLayerVersion is retried, then succeeds (fault injected: proxy answers 429 TooManyRequestsException, then 503)', async () => {
  let publishes = 0
  const proxy = await startFaultProxy(moto.endpoint, req => {
    if (!isPublish(req)) return undefined
    publishes++
    if (publishes === 1)
      return { respond: lambdaFault(429, 'TooManyRequestsException', 'Rate exceeded') }
    if (publishes === 2)
      return { respond: lambdaFault(503, 'ServiceException', 'Service unavailable') }
    return undefined
  })
  try {
    const r = await throughProxy('LAMBDA', proxy, c =>
      deliverLayer(c, { ...request(zip), region: REGION }, opts)
    )
    assert.equal(r.published, true)
    assert.equal(r.version, 1)
  } finally {
    await proxy.close()
  }
  assert.equal(publishes, 3)
  assert.deepEqual(await layerVersions(clients.lambda), [1], 'published once')
})

test('a persistent 5xx on PublishLayerVersion fails naming the S3 object left behind (fault injected: proxy answers every publish with 500 ServiceException)', async () => {
  let publishes = 0
  const proxy = await startFaultProxy(moto.endpoint, req => {
    if (!isPublish(req)) return undefined
    publishes++
    return { respond: lambdaFault(500, 'ServiceException', 'Internal failure') }
  })
  const key = request(zip).key
  try {
    await assert.rejects(
      throughProxy('LAMBDA', proxy, c =>
        deliverLayer(c, { ...request(zip), region: REGION }, opts)
      ),
      (e: unknown) => {
        assert.ok(e instanceof DeliveryError)
        assert.match(e.message, /server error \(HTTP 500\) after 5 attempts/)
        assert.ok(e.message.includes(`left at s3://${BUCKET}/${key}`), e.message)
        assert.ok(e.message.includes(`aws s3 rm s3://${BUCKET}/${key}`))
        return true
      }
    )
  } finally {
    await proxy.close()
  }
  assert.equal(publishes, 5, 'the SDK tried maxAttempts times')
  assert.deepEqual(await objectKeys(clients.s3, BUCKET), [key], 'the object is really there')
  assert.deepEqual(await layerVersions(clients.lambda), [])
})

test('a bucket in another region says where it is and what to do (fault injected: proxy answers PutObject with 301 PermanentRedirect and x-amz-bucket-region)', async () => {
  const proxy = await startFaultProxy(moto.endpoint, req =>
    req.method === 'PUT'
      ? {
          respond: s3Fault(
            301,
            'PermanentRedirect',
            'The bucket you are attempting to access must be addressed using the specified endpoint.',
            { Endpoint: `${BUCKET}.s3.eu-west-1.amazonaws.com`, Bucket: BUCKET },
            { 'x-amz-bucket-region': 'eu-west-1' }
          )
        }
      : undefined
  )
  try {
    await assert.rejects(
      throughProxy('S3', proxy, c => deliverLayer(c, { ...request(zip), region: REGION }, opts)),
      (e: unknown) => {
        assert.ok(e instanceof AwsError)
        assert.equal(e.kind, 'wrong-region')
        assert.match(e.message, /'layers-bucket' is in eu-west-1, not in us-east-1/)
        assert.match(e.message, /set 'region' to eu-west-1/)
        assert.match(e.message, /\{region\}/)
        return true
      }
    )
  } finally {
    await proxy.close()
  }
  assert.deepEqual(await layerVersions(clients.lambda), [])
})

test('PutObject denied by IAM names s3:PutObject on the object ARN (moto enforcing a real IAM policy)', async () => {
  await moto.iam('CreateUser', { UserName: 'ci' })
  const policy = {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['lambda:ListLayerVersions', 'lambda:GetLayerVersion'],
        Resource: '*'
      }
    ]
  }
  await moto.iam('PutUserPolicy', {
    UserName: 'ci',
    PolicyName: 'no-s3',
    PolicyDocument: JSON.stringify(policy)
  })
  const keyXml = await moto.iam('CreateAccessKey', { UserName: 'ci' })
  const id = /<AccessKeyId>([^<]+)</.exec(keyXml)?.[1]
  const secret = /<SecretAccessKey>([^<]+)</.exec(keyXml)?.[1]
  assert.ok(id && secret)
  const undo = setEnv({ AWS_ACCESS_KEY_ID: id, AWS_SECRET_ACCESS_KEY: secret })
  await moto.enforceIam(true)
  try {
    await assert.rejects(
      deliverLayer(fastClients(REGION), { ...request(zip), region: REGION }, opts),
      (e: unknown) => {
        assert.ok(e instanceof AwsError)
        assert.equal(e.kind, 'access-denied')
        assert.ok(
          e.message.includes(`s3:PutObject on arn:aws:s3:::${BUCKET}/${request(zip).key}`),
          e.message
        )
        return true
      }
    )
  } finally {
    await moto.enforceIam(false)
    undo()
  }
  assert.deepEqual(await objectKeys(clients.s3, BUCKET), [])
})

test("PublishLayerVersion denied names lambda:PublishLayerVersion on the layer ARN and the object left behind (fault injected: proxy answers with Lambda's AccessDeniedException)", async () => {
  const layerArn = `arn:aws:lambda:${REGION}:${MOTO_ACCOUNT}:layer:common-dev`
  const proxy = await startFaultProxy(moto.endpoint, req =>
    isPublish(req)
      ? {
          respond: lambdaFault(
            403,
            'AccessDeniedException',
            `User: arn:aws:sts::${MOTO_ACCOUNT}:assumed-role/ci/gha is not authorized to perform: ` +
              `lambda:PublishLayerVersion on resource: ${layerArn} because no identity-based policy allows the lambda:PublishLayerVersion action`
          )
        }
      : undefined
  )
  try {
    await assert.rejects(
      throughProxy('LAMBDA', proxy, c =>
        deliverLayer(c, { ...request(zip), region: REGION }, opts)
      ),
      (e: unknown) => {
        assert.ok(e instanceof DeliveryError)
        assert.ok(
          e.message.includes(`may not lambda:PublishLayerVersion on ${layerArn}.`),
          e.message
        )
        assert.ok(e.message.includes(`left at s3://${BUCKET}/${request(zip).key}`))
        return true
      }
    )
  } finally {
    await proxy.close()
  }
  assert.equal(proxy.requests.filter(isPublish).length, 1, 'access denied is not retried')
})
