/**
 * Hand-off and rollback against a real moto_server: reuse of an older identical version, the SSM
 * parameters in every region, and the health check that puts functions back. moto's Lambda runs no
 * code without Docker (and its Docker-less mode keeps functions apart from the layers they use), so
 * every Invoke answer, healthy or failing, comes from the loopback fault proxy, named so; the
 * functions, their layers and the restoration are moto's, for real.
 */
import { test, before, after, beforeEach } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {
  DeleteParameterCommand,
  GetParameterCommand,
  GetParametersByPathCommand,
  PutParameterCommand,
  type SSMClient
} from '@aws-sdk/client-ssm'
import { startMoto, setEnv, MOTO_ACCOUNT, type Moto } from '../helpers/moto'
import { startFaultProxy, lambdaFault, functionError, type Rule } from '../helpers/fault-proxy'
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
import { deliverLayer } from '../../src/deliver/deliver'
import { findIdenticalVersion } from '../../src/deliver/reuse'
import { HealthCheckError } from '../../src/deliver/outcome'
import { handOff } from '../../src/handoff'
import type { AwsClients } from '../../src/deliver/clients'
import type { ActionInputs } from '../../src/inputs'
import type { Plan } from '../../src/plan'
import type { ZipResult } from '../../src/assemble/zip'

const US = 'us-east-1'
const EU = 'eu-west-1'
let moto: Moto
let dir: string
let zips: TestZip[]
let restoreEnv: () => void
let us: AwsClients
let eu: AwsClients
const quiet = { log: () => undefined, sleep: async () => undefined }

before(async () => {
  moto = await startMoto()
  restoreEnv = setEnv({ ...moto.env, AWS_PROFILE: undefined })
  dir = await mkdtemp(path.join(os.tmpdir(), 'layer-aws-handoff-'))
  zips = await Promise.all([1, 2, 3, 4, 5, 6, 7].map(n => makeZip(dir, 'common', `VALUE = ${n}\n`)))
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

async function parameters(ssm: SSMClient, base: string): Promise<Record<string, string>> {
  const r = await ssm.send(new GetParametersByPathCommand({ Path: base, Recursive: true }))
  return Object.fromEntries((r.Parameters ?? []).map(p => [p.Name ?? '', p.Value ?? '']))
}

const arn = (region: string, v: number) =>
  `arn:aws:lambda:${region}:${MOTO_ACCOUNT}:layer:common-dev:${v}`

test('contents A → B → C → A reuses version 1: nothing uploaded, published or pruned (keep-versions 1), the function points back at version 1', async () => {
  await createLambdaRole(moto)
  const other = await publishOtherLayer(us.lambda)
  await createFunction(us.lambda, 'api', [other])
  const keyOf = (n: number) => `layers/common-dev/2026112${n}-000000/common-dev.zip`
  const captured = captureLog()
  let back
  try {
    for (const n of [1, 2, 3]) {
      const given = inputs({ updateFunctions: ['api'] })
      await handOff(given, plan(`1.${n}.0`, keyOf(n), sha(n)), zipOf(zips[n - 1]), fast)
    }
    assert.deepEqual(await layersOf(us.lambda, 'api'), [other, arn(US, 3)])
    const given = inputs({ updateFunctions: ['api'], keepVersions: 1 })
    back = await handOff(given, plan('1.3.1', keyOf(4), sha(4)), zipOf(zips[0]), fast)
  } finally {
    captured.restore()
  }
  const d = back.deliveries[0]
  assert.deepEqual(
    [d.published, d.rerun, d.reusedVersion, d.layerVersionArn],
    [false, false, 1, arn(US, 1)]
  )
  assert.match(d.skippedReason ?? '', /^reused version 1 /)
  assert.match(captured.text(), /Reused version 1 of common-dev/)
  assert.doesNotMatch(captured.text(), /already holds/)
  assert.deepEqual(await layerVersions(us.lambda), [3, 2, 1], 'nothing published or pruned')
  assert.deepEqual(d.deleted, [], 'a reuse from another commit prunes nothing')
  assert.deepEqual(
    await objectKeys(us.s3, 'layers-bucket'),
    [keyOf(1), keyOf(2), keyOf(3)],
    'nothing uploaded'
  )
  assert.deepEqual(await layersOf(us.lambda, 'api'), [other, arn(US, 1)], 'rolled back')
  assert.deepEqual(
    d.functions.map(f => [f.name, f.status, f.previousLayers]),
    [['api', 'updated', [other, arn(US, 3)]]]
  )
  assert.equal(back.tag.status, 'skipped')

  // the latest holding the zip is "unchanged", not a reuse
  const log = captureLog()
  const same = await handOff(
    inputs(),
    plan('1.3.2', keyOf(5), sha(5)),
    zipOf(zips[2]),
    fast
  ).finally(() => log.restore())
  assert.equal(same.deliveries[0].reusedVersion, undefined)
  assert.match(same.deliveries[0].skippedReason ?? '', /^unchanged/)
})

test('re-running an older commit whose version still exists: the functions and latest go back to it, its <version> parameter is put back, retention keeps the newest N and it', async () => {
  await createLambdaRole(moto)
  await createFunction(us.lambda, 'api')
  const given = inputs({ updateFunctions: ['api'], ssmParameter: '/layers/{layer}' })
  const captured = captureLog()
  let back
  try {
    for (const n of [1, 2, 3])
      await handOff(given, plan(`1.${n}.0`, undefined, sha(n)), zipOf(zips[n - 1]), fast)
    await us.ssm.send(new DeleteParameterCommand({ Name: '/layers/common-dev/1.1.0' }))
    back = await handOff(
      { ...given, keepVersions: 1 },
      plan('1.1.0', undefined, sha(1)),
      zipOf(zips[0]),
      fast
    )
  } finally {
    captured.restore()
  }
  const d = back.deliveries[0]
  assert.deepEqual([d.published, d.rerun, d.version], [false, true, 1])
  assert.deepEqual(await layersOf(us.lambda, 'api'), [arn(US, 1)])
  assert.deepEqual(d.deleted, [2], 'the newest (3) and the one api uses (1) stay')
  assert.deepEqual(await layerVersions(us.lambda), [3, 1])
  assert.deepEqual(await parameters(us.ssm, '/layers/common-dev'), {
    '/layers/common-dev/1.1.0': arn(US, 1),
    '/layers/common-dev/1.3.0': arn(US, 3),
    '/layers/common-dev/latest': arn(US, 1)
  })
  assert.deepEqual(back.changes, [
    'api now uses version 1',
    'wrote /layers/common-dev/latest',
    'wrote /layers/common-dev/1.1.0',
    'deleted version(s) 2',
    'deleted /layers/common-dev/1.2.0'
  ])
})

test('a reuse reads only the pages it needs and compares only versions with the same targets (fault proxy: splits ListLayerVersions into pages by MaxItems/Marker as Lambda does; moto returns one page)', async () => {
  // versions 1..7; version 2 holds zips[0]; version 5 is the same zip for another architecture
  const order = [zips[1], zips[0], zips[2], zips[3], zips[0], zips[4], zips[5]]
  for (const [i, zip] of order.entries()) {
    const architecture = i === 4 ? 'x86_64' : 'arm64'
    const description = `v1.0.${i} c0ffee${i} dev`
    await deliverLayer(
      us,
      { ...request(zip, { skipUnchanged: false, architecture, description }), region: US },
      quiet
    )
  }
  const seen: string[] = []
  const proxy = await startFaultProxy(moto.endpoint, req => {
    const list = /^\/2018-10-31\/layers\/common-dev\/versions\?(.*)$/.exec(req.path)
    if (req.method !== 'GET') return undefined
    if (list) {
      const q = new URLSearchParams(list[1])
      seen.push(`list ${q.get('Marker') ?? '-'}`)
      const from = Number(q.get('Marker') ?? 0)
      const max = Number(q.get('MaxItems') ?? 50)
      return {
        rewrite: body => {
          const all = (JSON.parse(body) as { LayerVersions: unknown[] }).LayerVersions
          const next = from + max < all.length ? String(from + max) : undefined
          return JSON.stringify({
            LayerVersions: all.slice(from, from + max),
            ...(next ? { NextMarker: next } : {})
          })
        }
      }
    }
    const get = /^\/2018-10-31\/layers\/common-dev\/versions\/(\d+)/.exec(req.path)
    if (get) seen.push(`get ${get[1]}`)
    return undefined
  })
  const undo = setEnv({ AWS_ENDPOINT_URL_LAMBDA: proxy.endpoint })
  try {
    const search = await findIdenticalVersion(
      fastClients(US).lambda,
      'common-dev',
      { sha256: zips[0].sha256, compatibleRuntimes: ['python3.12'], architecture: 'arm64' },
      { pageSize: 2, concurrency: 1 }
    )
    assert.equal(search.match?.version, 2)
    assert.equal(search.latest, 7)
    // pages [7,6] [5,4] [3,2]: version 5 (x86_64) is never fetched, page [1] never listed
    assert.deepEqual(seen, [
      'list -',
      'get 7',
      'get 6',
      'list 2',
      'get 4',
      'list 4',
      'get 3',
      'get 2'
    ])
    assert.deepEqual([search.pages, search.compared], [3, 5])

    // new content: every page, every same-target version
    seen.length = 0
    const none = await findIdenticalVersion(
      fastClients(US).lambda,
      'common-dev',
      { sha256: zips[6].sha256, compatibleRuntimes: ['python3.12'], architecture: 'arm64' },
      { pageSize: 2 }
    )
    assert.equal(none.match, undefined)
    assert.deepEqual([none.pages, none.compared], [4, 6])

    // a hint (this commit in the description: a re-run) is compared first, still by CodeSha256
    seen.length = 0
    const hinted = await findIdenticalVersion(
      fastClients(US).lambda,
      'common-dev',
      {
        sha256: zips[0].sha256,
        compatibleRuntimes: ['python3.12'],
        architecture: 'arm64',
        hint: 'c0ffee1'
      },
      { concurrency: 1 }
    )
    assert.equal(hinted.match?.version, 2)
    assert.deepEqual(seen, ['list -', 'get 2'])

    // the first candidate is compared alone, whatever the concurrency: a re-run costs one call
    seen.length = 0
    const rerun = await findIdenticalVersion(fastClients(US).lambda, 'common-dev', {
      sha256: zips[0].sha256,
      compatibleRuntimes: ['python3.12'],
      architecture: 'arm64',
      hint: 'c0ffee1'
    })
    assert.equal(rerun.match?.version, 2)
    assert.deepEqual(seen, ['list -', 'get 2'])
  } finally {
    undo()
    await proxy.close()
  }
})

function inputs(over: Partial<ActionInputs> = {}): ActionInputs {
  return {
    regions: [US],
    publishedName: 'common-dev',
    bucket: 'layers-bucket',
    publish: true,
    skipUnchanged: true,
    compatibleRuntimes: ['python3.12'],
    architecture: 'arm64',
    licenseInfo: '',
    keepVersions: 0,
    shareWith: [],
    updateFunctions: [],
    healthCheck: [],
    healthCheckPayload: '{}',
    ssmParameter: '',
    tag: false,
    githubRelease: false,
    ...over
  } as unknown as ActionInputs
}

/** A commit's full sha, one per number. */
const sha = (n: number) => String(n).repeat(40).slice(0, 40)

function plan(
  version: string,
  key = 'layers/common-dev/20261122-104512/common-dev.zip',
  commit = sha(1)
): Plan {
  return {
    s3Key: key,
    sha: commit,
    description: `v${version} ${commit.slice(0, 7)} dev`,
    release: { version, tag: `v${version}`, newTag: true }
  } as unknown as Plan
}

const zipOf = (z: TestZip) => ({ path: z.path, sha256: z.sha256 }) as ZipResult
/** the hand-off with clients whose retries do not wait, and polls that do not sleep */
const fast = { clientsFor: (region: string) => fastClients(region), sleep: async () => undefined }

test('ssm-parameter writes <name>/latest and <name>/<version> in every region; a reuse moves only latest', async () => {
  await createBucket(us.s3, 'layers-us-east-1', US)
  await createBucket(eu.s3, 'layers-eu-west-1', EU)
  // an older version in eu-west-1 only, so the version numbers differ per region
  await deliverLayer(eu, { ...request(zips[2], { bucket: 'layers-{region}' }), region: EU }, quiet)
  const given = inputs({
    regions: [US, EU],
    bucket: 'layers-{region}',
    ssmParameter: '/layers/{layer}'
  })
  const captured = captureLog()
  let first, second, third
  try {
    first = (await handOff(given, plan('1.4.0', undefined, sha(1)), zipOf(zips[0]), fast))
      .deliveries
    second = (await handOff(given, plan('1.5.0', undefined, sha(2)), zipOf(zips[1]), fast))
      .deliveries
    third = (await handOff(given, plan('1.5.1', undefined, sha(3)), zipOf(zips[0]), fast))
      .deliveries
  } finally {
    captured.restore()
  }
  assert.deepEqual(
    first.map(d => [d.region, d.version]),
    [
      [US, 1],
      [EU, 2]
    ]
  )
  assert.deepEqual(first[0].parameters, ['/layers/common-dev/latest', '/layers/common-dev/1.4.0'])
  assert.deepEqual(
    third.map(d => d.reusedVersion),
    [1, 2]
  )
  assert.deepEqual(third[0].parameters, ['/layers/common-dev/latest'])
  assert.equal(second.length, 2)

  assert.deepEqual(await parameters(us.ssm, '/layers/common-dev'), {
    '/layers/common-dev/1.4.0': arn(US, 1),
    '/layers/common-dev/1.5.0': arn(US, 2),
    '/layers/common-dev/latest': arn(US, 1)
  })
  assert.deepEqual(await parameters(eu.ssm, '/layers/common-dev'), {
    '/layers/common-dev/1.4.0': arn(EU, 2),
    '/layers/common-dev/1.5.0': arn(EU, 3),
    '/layers/common-dev/latest': arn(EU, 2)
  })
  assert.match(captured.text(), /Reused version 1 of common-dev/)
})

test('keep-versions with ssm-parameter: a deleted version takes its <name>/<version> with it, a parameter the user named otherwise stays, and what is right is not written again', async () => {
  const given = inputs({ ssmParameter: '/layers/{layer}', keepVersions: 1 })
  const captured = captureLog()
  try {
    await handOff(given, plan('1.0.0', undefined, sha(1)), zipOf(zips[0]), fast)
    const other = await publishOtherLayer(us.lambda)
    for (const [name, value] of [
      ['/layers/common-dev/pinned', arn(US, 1)],
      ['/layers/common-dev/0.9.0', other]
    ])
      await us.ssm.send(new PutParameterCommand({ Name: name, Value: value, Type: 'String' }))
    const second = await handOff(given, plan('1.1.0', undefined, sha(2)), zipOf(zips[1]), fast)
    assert.deepEqual(second.deliveries[0].deleted, [1])
    assert.deepEqual(second.changes, [
      'published version 2',
      'wrote /layers/common-dev/latest',
      'wrote /layers/common-dev/1.1.0',
      'deleted version(s) 1',
      'deleted /layers/common-dev/1.0.0'
    ])
    assert.deepEqual(await parameters(us.ssm, '/layers/common-dev'), {
      '/layers/common-dev/0.9.0': other,
      '/layers/common-dev/1.1.0': arn(US, 2),
      '/layers/common-dev/latest': arn(US, 2),
      '/layers/common-dev/pinned': arn(US, 1)
    })
    const versionOf = async () =>
      (await us.ssm.send(new GetParameterCommand({ Name: '/layers/common-dev/latest' }))).Parameter
        ?.Version
    const before = await versionOf()
    const again = await handOff(given, plan('1.1.0', undefined, sha(2)), zipOf(zips[1]), fast)
    assert.equal(again.deliveries[0].rerun, true)
    assert.deepEqual(again.changes, [])
    assert.equal(await versionOf(), before, 'latest was not written again')
    assert.match(
      captured.text(),
      /SSM \/layers\/common-dev\/latest, \/layers\/common-dev\/1\.1\.0 = .*:2 \(already\)/
    )
  } finally {
    captured.restore()
  }
})

const invocation = /^\/2015-03-31\/functions\/([^/]+)\/invocations/

/** Every Invoke answered 200 with the handler's result, as Lambda answers a healthy function. */
const healthyInvoke: Rule = req =>
  invocation.test(req.path)
    ? {
        respond: {
          status: 200,
          headers: { 'content-type': 'application/json' },
          body: '{"statusCode": 200}'
        }
      }
    : undefined

/** Invoke of `name` answered as Lambda answers a function that raised (X-Amz-Function-Error). */
function failingInvoke(name: string, errorMessage: string): Rule {
  return req =>
    invocation.exec(req.path)?.[1] === name
      ? { respond: functionError('ImportModuleError', errorMessage) }
      : healthyInvoke(req)
}

async function fleet(): Promise<{ other: string }> {
  await createLambdaRole(moto)
  const other = await publishOtherLayer(us.lambda)
  await deliverLayer(us, { ...request(zips[0]), region: US }, quiet)
  await createFunction(us.lambda, 'api', [other, arn(US, 1)])
  await createFunction(us.lambda, 'worker', [other])
  return { other }
}

test('a failed health check puts every updated function back, fails naming the function and its error, and leaves the version published (fault proxy: answers the Invoke of api with a function error)', async () => {
  const { other } = await fleet()
  const proxy = await startFaultProxy(
    moto.endpoint,
    failingInvoke(
      'api',
      "Unable to import module 'app': No module named 'pydantic_core._pydantic_core'"
    )
  )
  const undo = setEnv({ AWS_ENDPOINT_URL_LAMBDA: proxy.endpoint })
  const captured = captureLog()
  try {
    await assert.rejects(
      handOff(
        inputs({
          updateFunctions: ['api', 'worker'],
          healthCheck: ['worker', 'api'],
          healthCheckPayload: '{"ping": true}',
          ssmParameter: '/layers/{layer}',
          keepVersions: 1
        }),
        plan('1.1.0', undefined, sha(2)),
        zipOf(zips[1]),
        fast
      ),
      (e: unknown) => {
        assert.ok(e instanceof HealthCheckError)
        assert.equal(e.rolledBack, true)
        assert.match(
          e.message,
          /^Health check failed: function 'api' in us-east-1 returned: ImportModuleError: Unable to import module 'app': No module named 'pydantic_core._pydantic_core'\./
        )
        assert.ok(
          e.message.includes(
            `Put 2 function(s) back on their previous layers: api (us-east-1) on ${other}, ${arn(US, 1)}; worker (us-east-1) on ${other}.`
          ),
          e.message
        )
        assert.match(
          e.message,
          /common-dev:2 stays published: the next run with the same zip reuses it, and keep-versions prunes it like any other version\. This run deleted no old version and wrote no SSM parameter, tag or GitHub Release\.$/
        )
        assert.deepEqual(e.restored, [
          { name: 'api (us-east-1)', layers: [other, arn(US, 1)] },
          { name: 'worker (us-east-1)', layers: [other] }
        ])
        return true
      }
    )
  } finally {
    captured.restore()
    undo()
    await proxy.close()
  }
  // the payload reached the function, worker first (it passed)
  const invokes = proxy.requests.filter(r => r.path.includes('/invocations'))
  assert.deepEqual(
    invokes.map(r => [r.path.split('/')[3], r.body]),
    [
      ['worker', '{"ping": true}'],
      ['api', '{"ping": true}']
    ]
  )
  assert.deepEqual(await layersOf(us.lambda, 'api'), [other, arn(US, 1)], 'api restored')
  assert.deepEqual(await layersOf(us.lambda, 'worker'), [other], 'worker restored')
  assert.deepEqual(
    await layerVersions(us.lambda),
    [2, 1],
    'keep-versions 1 deleted nothing: version 1, which api went back to, still exists'
  )
  assert.deepEqual(await parameters(us.ssm, '/layers/common-dev'), {}, 'no SSM after a rollback')
})

test('an invocation that fails rolls back too; a healthy one changes nothing (fault proxy: answers the Invoke of worker with 404 ResourceNotFoundException, then every Invoke with 200)', async () => {
  const { other } = await fleet()
  const proxy = await startFaultProxy(moto.endpoint, req =>
    invocation.exec(req.path)?.[1] === 'worker'
      ? { respond: lambdaFault(404, 'ResourceNotFoundException', 'Function not found: worker') }
      : healthyInvoke(req)
  )
  const undo = setEnv({ AWS_ENDPOINT_URL_LAMBDA: proxy.endpoint })
  const captured = captureLog()
  try {
    await assert.rejects(
      handOff(
        inputs({ updateFunctions: ['api', 'worker'], healthCheck: ['api', 'worker'] }),
        plan('1.1.0', undefined, sha(2)),
        zipOf(zips[1]),
        fast
      ),
      /function 'worker' in us-east-1 returned: lambda:InvokeFunction on .*function:worker: not found.*Function not found: worker/
    )
  } finally {
    captured.restore()
    undo()
    await proxy.close()
  }
  assert.deepEqual(await layersOf(us.lambda, 'worker'), [other])

  // healthy: the functions keep the new version
  const healthy = await startFaultProxy(moto.endpoint, healthyInvoke)
  const back = setEnv({ AWS_ENDPOINT_URL_LAMBDA: healthy.endpoint })
  const log = captureLog()
  const ok = await handOff(
    inputs({ updateFunctions: ['api', 'worker'], healthCheck: ['api', 'worker'] }),
    plan('1.1.0', undefined, sha(2)),
    zipOf(zips[1]),
    fast
  ).finally(async () => {
    log.restore()
    back()
    await healthy.close()
  })
  assert.match(log.text(), /Health check: worker \(us-east-1\) answered without a function error/)
  assert.equal(ok.deliveries[0].rerun, true, 'a rerun of the same commit reuses version 2')
  assert.equal(ok.deliveries[0].version, 2)
  assert.deepEqual(await layersOf(us.lambda, 'api'), [other, arn(US, 2)])
})
