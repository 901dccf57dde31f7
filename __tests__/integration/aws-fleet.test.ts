/**
 * Fleet operations against a real moto_server: retention, sharing, several regions, pointing
 * functions at the new version. moto answers LastUpdateStatus Successful at once and never
 * reports a statement-ID conflict; the tests that need those answers inject them and say so.
 */
import { test, before, after, beforeEach } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {
  GetLayerVersionCommand,
  GetLayerVersionPolicyCommand,
  type LambdaClient
} from '@aws-sdk/client-lambda'
import { startMoto, setEnv, MOTO_ACCOUNT, type Moto } from '../helpers/moto'
import { startFaultProxy, lambdaFault, type FaultProxy } from '../helpers/fault-proxy'
import { captureLog } from '../helpers/log'
import {
  makeZip,
  fastClients,
  createBucket,
  objectKeys,
  request,
  type TestZip,
  layerVersions,
  createLambdaRole,
  createFunction,
  publishOtherLayer,
  layersOf
} from '../helpers/aws-fixtures'
import { deliverLayer, deliverToRegions } from '../../src/deliver/deliver'
import { RegionsFailedError } from '../../src/deliver/regions'
import { FunctionUpdateError, updateFunctions } from '../../src/deliver/functions'
import { keepVersions, versionsInUse } from '../../src/deliver/retention'
import { shareLayerVersion } from '../../src/deliver/share'
import type { AwsClients } from '../../src/deliver/clients'

const US = 'us-east-1'
const EU = 'eu-west-1'
let moto: Moto
let dir: string
let zips: TestZip[]
let restoreEnv: () => void
let us: AwsClients
let eu: AwsClients
const opts = { log: () => undefined, sleep: async () => undefined }

before(async () => {
  moto = await startMoto()
  restoreEnv = setEnv({ ...moto.env, AWS_PROFILE: undefined })
  dir = await mkdtemp(path.join(os.tmpdir(), 'layer-aws-fleet-'))
  zips = await Promise.all([1, 2, 3, 4, 5].map(n => makeZip(dir, 'common', `VALUE = ${n}\n`)))
})

after(async () => {
  restoreEnv?.()
  await moto?.stop()
  await rm(dir, { recursive: true, force: true })
})

beforeEach(async () => {
  await moto.reset()
  us = fastClients(US)
  eu = fastClients(EU)
  await createBucket(us.s3, 'layers-bucket', US)
})

async function policy(
  lambda: LambdaClient,
  version: number
): Promise<{ Sid: string; Principal: unknown }[]> {
  const r = await lambda.send(
    new GetLayerVersionPolicyCommand({ LayerName: 'common-dev', VersionNumber: version })
  )
  return (JSON.parse(r.Policy ?? '{}') as { Statement: { Sid: string; Principal: unknown }[] })
    .Statement
}

test('keep-versions deletes all but the newest N; 0 keeps all', async () => {
  const deleted: number[][] = []
  for (const zip of zips.slice(0, 4)) {
    await deliverLayer(us, { ...request(zip), region: US }, opts)
    deleted.push((await keepVersions(us.lambda, 'common-dev', 2, opts)).deleted)
  }
  assert.deepEqual(deleted, [[], [], [1], [2]])
  assert.deepEqual(await layerVersions(us.lambda), [4, 3])

  await deliverLayer(us, { ...request(zips[4]), region: US }, opts)
  const none = await keepVersions(us.lambda, 'common-dev', 0, opts)
  assert.deepEqual(none, { deleted: [], remaining: [5, 4, 3] })
  assert.deepEqual(await layerVersions(us.lambda), [5, 4, 3])
})

test("retention never deletes this run's version nor one a function of update-functions uses, even outside the newest N", async () => {
  await createLambdaRole(moto)
  for (const zip of zips.slice(0, 4)) await deliverLayer(us, { ...request(zip), region: US }, opts)
  const arn = (v: number) => `arn:aws:lambda:${US}:${MOTO_ACCOUNT}:layer:common-dev:${v}`
  const other = await publishOtherLayer(us.lambda)
  await createFunction(us.lambda, 'legacy', [other, arn(1)])
  // what update-functions reports for a function left on version 1 (its layers, read from Lambda)
  const legacy = {
    name: 'legacy',
    status: 'unchanged' as const,
    layers: await layersOf(us.lambda, 'legacy')
  }
  assert.deepEqual(versionsInUse([legacy], arn(1).replace(/:\d+$/, '')), [1])
  const kept = await keepVersions(us.lambda, 'common-dev', 1, {
    protect: [2, ...versionsInUse([legacy], arn(1).replace(/:\d+$/, ''))],
    log: () => undefined
  })
  assert.deepEqual(kept, { deleted: [3], remaining: [4, 2, 1] })
  assert.deepEqual(await layerVersions(us.lambda), [4, 2, 1])
})

test('share-with puts one statement per principal in the layer version policy, and a re-run does not fail', async () => {
  const shareWith = ['111122223333', 'o-abcdefghij', '*']
  const r = await deliverLayer(us, { ...request(zips[0], { shareWith }), region: US }, opts)
  assert.deepEqual(r.shared, shareWith)
  const statements = await policy(us.lambda, r.version)
  const bySid = new Map(statements.map(s => [s.Sid, s]))
  assert.deepEqual([...bySid.keys()].sort(), [
    'layer-action-111122223333',
    'layer-action-o-abcdefghij',
    'layer-action-public'
  ])
  assert.equal(bySid.get('layer-action-111122223333')?.Principal, '111122223333')
  assert.equal(bySid.get('layer-action-public')?.Principal, '*')

  // unchanged content: nothing published; the grants are read first, so nothing is added twice
  const again = await deliverLayer(us, { ...request(zips[0], { shareWith }), region: US }, opts)
  assert.equal(again.published, false)
  assert.equal(again.version, r.version)
  assert.deepEqual(again.shared, shareWith)
  assert.deepEqual(again.changes, [])
  assert.deepEqual(
    (await policy(us.lambda, r.version)).map(s => s.Sid).sort(),
    [...bySid.keys()].sort()
  )
})

test('an existing statement counts as shared (fault injected: proxy answers AddLayerVersionPermission with 409 ResourceConflictException, as AWS does for a taken statement ID)', async () => {
  const r = await deliverLayer(us, { ...request(zips[0]), region: US }, opts)
  const proxy = await startFaultProxy(moto.endpoint, req =>
    req.method === 'POST' && /\/policy(\?|$)/.test(req.path)
      ? {
          respond: lambdaFault(
            409,
            'ResourceConflictException',
            'The statement id (layer-action-111122223333) provided already exists. Please provide a new statement id, or remove the existing statement.'
          )
        }
      : undefined
  )
  const undo = setEnv({ AWS_ENDPOINT_URL_LAMBDA: proxy.endpoint })
  try {
    const shared = await shareLayerVersion(
      fastClients(US).lambda,
      'common-dev',
      r.version,
      ['111122223333'],
      {
        log: () => undefined
      }
    )
    assert.deepEqual(shared, [
      { given: '111122223333', statementId: 'layer-action-111122223333', status: 'present' }
    ])
  } finally {
    undo()
    await proxy.close()
  }
})

test('two regions both get the layer, each output matching that region', async () => {
  await createBucket(eu.s3, 'layers-eu-west-1', EU)
  await createBucket(us.s3, 'layers-us-east-1', US)
  // an older version in eu-west-1 only, so the version numbers differ per region
  await deliverLayer(eu, { ...request(zips[1], { bucket: 'layers-{region}' }), region: EU }, opts)

  const results = await deliverToRegions(
    [US, EU],
    fastClients,
    request(zips[0], { bucket: 'layers-{region}' }),
    opts
  )
  assert.deepEqual(
    results.map(r => [r.region, r.version, r.published]),
    [
      [US, 1, true],
      [EU, 2, true]
    ]
  )
  for (const [r, c] of [
    [results[0], us],
    [results[1], eu]
  ] as const) {
    assert.equal(
      r.layerVersionArn,
      `arn:aws:lambda:${r.region}:${MOTO_ACCOUNT}:layer:common-dev:${r.version}`
    )
    const v = await c.lambda.send(
      new GetLayerVersionCommand({ LayerName: 'common-dev', VersionNumber: r.version })
    )
    assert.equal(v.LayerVersionArn, r.layerVersionArn)
    assert.equal(v.Content?.CodeSha256, zips[0].sha256)
    assert.deepEqual(r.s3, { bucket: `layers-${r.region}`, key: request(zips[0]).key })
    assert.ok((await objectKeys(c.s3, `layers-${r.region}`)).includes(request(zips[0]).key))
  }
})

test('one region failing lets the other finish, then the error names it and carries the other result', async () => {
  await createBucket(us.s3, 'layers-us-east-1', US) // none for eu-west-1
  await assert.rejects(
    deliverToRegions([US, EU], fastClients, request(zips[0], { bucket: 'layers-{region}' }), opts),
    (e: unknown) => {
      assert.ok(e instanceof RegionsFailedError)
      assert.match(
        e.message,
        /failed in 1 of 2 regions: eu-west-1: S3 bucket 'layers-eu-west-1' does not exist/
      )
      assert.deepEqual(
        e.failures.map(f => f.region),
        [EU]
      )
      assert.deepEqual(
        e.results.map(r => [r.region, r.version]),
        [[US, 1]]
      )
      return true
    }
  )
  assert.deepEqual(await layerVersions(us.lambda), [1])
  assert.deepEqual(await layerVersions(eu.lambda), [])
})

async function functionsFixture(): Promise<{ a: string; b: string; old: string }> {
  await createLambdaRole(moto)
  const a = await publishOtherLayer(us.lambda, 'other-a')
  const b = await publishOtherLayer(us.lambda, 'other-b')
  const old = (await deliverLayer(us, { ...request(zips[0]), region: US }, opts)).layerVersionArn
  await createFunction(us.lambda, 'api', [a, old, b])
  await createFunction(us.lambda, 'worker', [a])
  return { a, b, old }
}

test('update-functions replaces this layer in place, appends it where absent, keeps the other layers in order', async () => {
  const { a, b, old } = await functionsFixture()
  assert.deepEqual(await layersOf(us.lambda, 'api'), [a, old, b])

  const r = await deliverLayer(us, { ...request(zips[1]), region: US }, opts)
  assert.equal(r.version, 2)
  const results = await updateFunctions(
    us.lambda,
    r.layerArn,
    r.layerVersionArn,
    ['api', 'worker'],
    opts
  )
  assert.deepEqual(await layersOf(us.lambda, 'api'), [a, r.layerVersionArn, b])
  assert.deepEqual(await layersOf(us.lambda, 'worker'), [a, r.layerVersionArn])
  assert.deepEqual(
    results.map(f => [f.name, f.status]),
    [
      ['api', 'updated'],
      ['worker', 'updated']
    ]
  )

  // again: the functions already use it
  const again = await updateFunctions(us.lambda, r.layerArn, r.layerVersionArn, ['api'], opts)
  assert.deepEqual(
    again.map(f => f.status),
    ['unchanged']
  )
})

test('a function that does not exist fails naming it, after the others were updated', async () => {
  await functionsFixture()
  const r = await deliverLayer(us, { ...request(zips[1]), region: US }, opts)
  const captured = captureLog()
  try {
    await assert.rejects(
      updateFunctions(us.lambda, r.layerArn, r.layerVersionArn, ['missing-fn', 'worker'], opts),
      (e: unknown) => {
        assert.ok(e instanceof FunctionUpdateError)
        assert.match(e.message, /Could not point 1 of 2 function\(s\) at .*:layer:common-dev:2/)
        assert.match(e.message, /Function 'missing-fn' does not exist in us-east-1/)
        assert.deepEqual(
          e.results.map(f => [f.name, f.status]),
          [
            ['missing-fn', 'failed'],
            ['worker', 'updated']
          ]
        )
        return true
      }
    )
  } finally {
    captured.restore()
  }
  assert.match(captured.text(), /::warning::Function missing-fn: not updated/)
  assert.equal((await layersOf(us.lambda, 'worker')).length, 2, 'worker was still updated')
})

/** GetFunctionConfiguration answers rewritten to report LastUpdateStatus, as Lambda does mid-update. */
async function statusProxy(statuses: string[], reason?: string): Promise<FaultProxy> {
  let updated = false
  return startFaultProxy(moto.endpoint, req => {
    if (req.method === 'PUT' && req.path.includes('/configuration')) updated = true
    if (!updated || req.method !== 'GET' || !req.path.includes('/configuration')) return undefined
    const status = statuses.shift()
    if (!status) return undefined
    return {
      rewrite: body =>
        JSON.stringify({
          ...(JSON.parse(body) as object),
          LastUpdateStatus: status,
          ...(reason
            ? { LastUpdateStatusReason: reason, LastUpdateStatusReasonCode: 'InvalidLayer' }
            : {})
        })
    }
  })
}

test('update-functions waits while LastUpdateStatus is InProgress (fault injected: proxy reports InProgress twice after the update)', async () => {
  const { a } = await functionsFixture()
  const proxy = await statusProxy(['InProgress', 'InProgress'])
  const undo = setEnv({ AWS_ENDPOINT_URL_LAMBDA: proxy.endpoint })
  const waits: number[] = []
  try {
    const layerVersionArn = await publishOtherLayer(us.lambda, 'common-dev')
    const results = await updateFunctions(
      fastClients(US).lambda,
      layerVersionArn.replace(/:\d+$/, ''),
      layerVersionArn,
      ['worker'],
      { sleep: async (ms: number) => void waits.push(ms), pollMs: 1000, log: () => undefined }
    )
    assert.deepEqual(results, [
      { name: 'worker', status: 'updated', layers: [a, layerVersionArn], previousLayers: [a] }
    ])
  } finally {
    undo()
    await proxy.close()
  }
  assert.deepEqual(waits, [1000, 1000])
})

test("a failed update names the function and Lambda's reason (fault injected: proxy reports LastUpdateStatus Failed)", async () => {
  await functionsFixture()
  const proxy = await statusProxy(
    ['Failed'],
    'Layer version is not compatible with architecture arm64'
  )
  const undo = setEnv({ AWS_ENDPOINT_URL_LAMBDA: proxy.endpoint })
  const captured = captureLog()
  try {
    const layerVersionArn = await publishOtherLayer(us.lambda, 'common-dev')
    await assert.rejects(
      updateFunctions(
        fastClients(US).lambda,
        layerVersionArn.replace(/:\d+$/, ''),
        layerVersionArn,
        ['worker'],
        {
          sleep: async () => undefined,
          log: () => undefined
        }
      ),
      /Could not point 1 of 1 function\(s\).*'worker': InvalidLayer: Layer version is not compatible with architecture arm64/
    )
  } finally {
    captured.restore()
    undo()
    await proxy.close()
  }
})
