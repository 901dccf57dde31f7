import { test } from 'node:test'
import assert from 'node:assert/strict'
import { InputError } from '../../src/errors'
import { createClients } from '../../src/deliver/clients'
import { explainAwsError, type AwsContext } from '../../src/deliver/errors'
import { functionInRegion, withLayer } from '../../src/deliver/functions'
import { layerArnOf } from '../../src/deliver/layers'
import {
  bucketForRegion,
  layerDescription,
  layerObjectKey,
  parsePrincipal,
  resolveRegion,
  validateLayerName
} from '../../src/deliver/names'

test('object key: <prefix>/<layer>/<YYYYMMDD-HHMMSS>/<layer>.zip in UTC, slashes trimmed', () => {
  const t = new Date('2026-01-02T03:04:05.678Z')
  assert.equal(layerObjectKey('layers', 'common', t), 'layers/common/20260102-030405/common.zip')
  assert.equal(layerObjectKey('', 'common', t), 'common/20260102-030405/common.zip')
  assert.equal(layerObjectKey('/a/b/', 'common', t), 'a/b/common/20260102-030405/common.zip')
})

test('layer names follow Lambda: [a-zA-Z0-9-_], 1 to 140 characters', () => {
  for (const ok of ['common', 'Common_Lib-2', 'a', 'x'.repeat(140)])
    assert.equal(validateLayerName(ok), ok)
  for (const bad of ['', 'has space', 'dot.name', 'x'.repeat(141), 'ünï']) {
    assert.throws(
      () => validateLayerName(bad),
      (e: unknown) =>
        e instanceof InputError && e.input === 'layer-name' && /1 to 140/.test(e.message)
    )
  }
  assert.throws(
    () => validateLayerName('a b', 'environment'),
    (e: unknown) => e instanceof InputError && e.input === 'environment'
  )
})

test('descriptions are cut to 256 characters, counting characters rather than UTF-16 units', () => {
  assert.equal(layerDescription('x'.repeat(256)), 'x'.repeat(256))
  const cut = layerDescription('😀'.repeat(300))
  assert.equal([...cut].length, 256)
  assert.ok(cut.endsWith('…'))
  assert.equal(
    layerArnOf('arn:aws:lambda:eu-west-1:123456789012:layer:common:12'),
    'arn:aws:lambda:eu-west-1:123456789012:layer:common'
  )
})

test('share-with principals: account, organization, everyone, with statement IDs that repeat', () => {
  assert.deepEqual(parsePrincipal('111122223333'), {
    given: '111122223333',
    principal: '111122223333',
    statementId: 'layer-action-111122223333'
  })
  assert.deepEqual(parsePrincipal('o-a1b2c3d4e5'), {
    given: 'o-a1b2c3d4e5',
    principal: '*',
    organizationId: 'o-a1b2c3d4e5',
    statementId: 'layer-action-o-a1b2c3d4e5'
  })
  assert.equal(parsePrincipal('*').statementId, 'layer-action-public')
  assert.equal(
    parsePrincipal('arn:aws:iam::111122223333:root').statementId,
    'layer-action-111122223333'
  )
  for (const bad of ['12345', 'o-SHORT', 'o-abc', 'arn:aws:iam::111122223333:user/x', 'everyone']) {
    assert.throws(
      () => parsePrincipal(bad),
      (e: unknown) => e instanceof InputError && e.input === 'share-with'
    )
  }
})

test("a function's layer list: this layer replaced in place or appended, others and their order kept", () => {
  const ours = 'arn:aws:lambda:eu-west-1:123456789012:layer:common'
  const a = 'arn:aws:lambda:eu-west-1:123456789012:layer:a:3'
  const b = 'arn:aws:lambda:eu-west-1:123456789012:layer:b:1'
  const common = 'arn:aws:lambda:eu-west-1:123456789012:layer:common-extra:9'
  assert.deepEqual(withLayer([a, `${ours}:4`, b], ours, `${ours}:5`), [a, `${ours}:5`, b])
  assert.deepEqual(
    withLayer([a, common], ours, `${ours}:5`),
    [a, common, `${ours}:5`],
    'a prefix is another layer'
  )
  assert.deepEqual(withLayer([], ours, `${ours}:5`), [`${ours}:5`])
  assert.deepEqual(withLayer([`${ours}:1`, a, `${ours}:2`], ours, `${ours}:5`), [`${ours}:5`, a])
  assert.equal(functionInRegion('api', 'eu-west-1'), true)
  assert.equal(
    functionInRegion('arn:aws:lambda:eu-west-1:123456789012:function:api', 'eu-west-1'),
    true
  )
  assert.equal(
    functionInRegion('arn:aws:lambda:us-east-1:123456789012:function:api', 'eu-west-1'),
    false
  )
})

test('region: the input, then AWS_REGION, then AWS_DEFAULT_REGION; {region} in the bucket', () => {
  assert.equal(resolveRegion('eu-west-1', { AWS_REGION: 'us-east-1' }), 'eu-west-1')
  assert.equal(
    resolveRegion(' ', { AWS_REGION: 'us-east-1', AWS_DEFAULT_REGION: 'eu-north-1' }),
    'us-east-1'
  )
  assert.equal(resolveRegion('', { AWS_DEFAULT_REGION: 'eu-north-1' }), 'eu-north-1')
  assert.equal(resolveRegion('', {}), undefined)
  assert.equal(
    bucketForRegion('layers-{region}-{region}', 'eu-west-1'),
    'layers-eu-west-1-eu-west-1'
  )
})

test('clients: path-style S3 only when an endpoint is configured; user agent and attempts set', async () => {
  const plain = createClients({ region: 'eu-west-1', userAgent: 'layer-action/1.2.3', env: {} })
  assert.equal(plain.s3.config.forcePathStyle, false)
  assert.equal(await plain.lambda.config.maxAttempts(), 5)
  assert.deepEqual(plain.lambda.config.customUserAgent, [['layer-action/1.2.3']])
  const local = createClients({
    region: 'eu-west-1',
    env: { AWS_ENDPOINT_URL_S3: 'http://localhost:5000' }
  })
  assert.equal(local.s3.config.forcePathStyle, true)
  const ignored = createClients({
    region: 'eu-west-1',
    env: { AWS_ENDPOINT_URL: 'http://localhost:5000', AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' }
  })
  assert.equal(ignored.s3.config.forcePathStyle, false)
  const fromEnv = createClients({ region: 'eu-west-1', env: { AWS_MAX_ATTEMPTS: '9' } })
  assert.equal(await fromEnv.lambda.config.maxAttempts(), 9, "the workflow's AWS_MAX_ATTEMPTS wins")
})

const upload: AwsContext = {
  action: 's3:PutObject',
  resource: 'arn:aws:s3:::bkt/k.zip',
  region: 'us-east-1',
  bucket: 'bkt',
  key: 'k.zip'
}
const publish: AwsContext = {
  action: 'lambda:PublishLayerVersion',
  resource: 'arn:aws:lambda:us-east-1:123456789012:layer:common',
  region: 'us-east-1',
  bucket: 'bkt',
  key: 'k.zip'
}

/** An error shaped as the SDK throws them. */
function sdkError(
  name: string,
  message: string,
  status: number,
  extra: Record<string, unknown> = {}
) {
  return Object.assign(new Error(message), {
    name,
    $metadata: { httpStatusCode: status, attempts: 1 },
    ...extra
  })
}

test('errors: a signing-region mismatch names the bucket region from the error body', () => {
  const e = explainAwsError(
    sdkError(
      'AuthorizationHeaderMalformed',
      "The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'eu-central-1'",
      400,
      { Region: 'eu-central-1' }
    ),
    upload
  )
  assert.equal(e.kind, 'wrong-region')
  assert.match(e.message, /'bkt' is in eu-central-1, not in us-east-1/)
})

test("errors: S3 failures inside PublishLayerVersion are read from Lambda's message", () => {
  const redirect = explainAwsError(
    sdkError(
      'InvalidParameterValueException',
      'Error occurred while GetObject. S3 Error Code: PermanentRedirect. S3 Error Message: The bucket is in this region: eu-west-1. Please use this region to retry the request',
      400
    ),
    publish
  )
  assert.equal(redirect.kind, 'wrong-region')
  assert.match(redirect.message, /in eu-west-1, not in us-east-1/)
  const denied = explainAwsError(
    sdkError(
      'InvalidParameterValueException',
      'Error occurred while GetObject. S3 Error Code: AccessDenied. S3 Error Message: Access Denied',
      400
    ),
    publish
  )
  assert.equal(denied.kind, 'access-denied')
  assert.match(denied.message, /may not s3:GetObject on arn:aws:s3:::bkt\/k\.zip/)
})

test('errors: credentials, throttling after retries, and an unreachable endpoint', () => {
  assert.equal(
    explainAwsError(sdkError('ExpiredToken', 'The provided token has expired.', 400), upload).kind,
    'credentials'
  )
  assert.match(
    explainAwsError(
      Object.assign(new Error('Could not load credentials from any providers'), {
        name: 'CredentialsProviderError'
      }),
      publish
    ).message,
    /configure-aws-credentials/
  )
  const throttled = explainAwsError(
    sdkError('TooManyRequestsException', 'Rate exceeded', 429, {
      $metadata: { httpStatusCode: 429, attempts: 5 }
    }),
    publish
  )
  assert.equal(throttled.kind, 'throttled')
  assert.match(throttled.message, /after 5 attempts/)
  const refused = explainAwsError(
    Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
    upload
  )
  assert.equal(refused.kind, 'network')
  assert.match(refused.message, /AWS_ENDPOINT_URL/)
})
