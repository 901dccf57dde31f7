/**
 * A release that always finishes. Each step after the publish fails once, the job is re-run, and
 * the end state must be the one a clean run leaves: tags on origin, SSM parameters in every region,
 * the GitHub Release bodies, the functions' layers, the layer versions that exist and their grants.
 *
 * Every world is the same: moto_server with two regions and two functions in each, a bare git
 * origin copied from one template (so commits are identical across worlds), a release of commit 1
 * (v1.0.0), then commit 2 (v1.1.0) with keep-versions 1. The hand-off runs as run() calls it:
 * inputs from INPUT_* variables, the plan from the clone's history. Faults moto and git cannot
 * make on demand come from loopback stand-ins, named in each title: a proxy in front of moto's
 * Lambda (it answers Invoke: moto runs no code without Docker) and SSM endpoints, a pre-receive
 * hook in origin, and the GitHub stand-in (helpers/github-standin.ts).
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { GetLayerVersionPolicyCommand, ListLayerVersionsCommand } from '@aws-sdk/client-lambda'
import { GetParametersByPathCommand } from '@aws-sdk/client-ssm'
import { startMoto, setEnv, MOTO_ACCOUNT, type Moto } from '../helpers/moto'
import {
  functionError,
  lambdaFault,
  signedRegion,
  ssmFault,
  startFaultProxy,
  type FaultProxy,
  type Rule
} from '../helpers/fault-proxy'
import { startGitHubStandIn, NOT_ACCESSIBLE, type GitHubStandIn } from '../helpers/github-standin'
import {
  createBucket,
  createFunction,
  createLambdaRole,
  fastClients,
  layersOf,
  makeZip,
  motoClients,
  objectKeys,
  publishOtherLayer,
  type TestZip
} from '../helpers/aws-fixtures'
import { commit, createSandbox, git, installHook, isolateGit, type Sandbox } from '../helpers/git'
import { captureLog } from '../helpers/log'
import { setInputs } from '../helpers/action'
import { getInputs } from '../../src/inputs'
import { makePlan } from '../../src/plan'
import { handOff, type HandOff } from '../../src/handoff'
import { HandOffError } from '../../src/handoff-steps'
import { HealthCheckError } from '../../src/deliver/outcome'
import type { AwsClients } from '../../src/deliver/clients'

const US = 'us-east-1'
const EU = 'eu-west-1'
const REGIONS = [US, EU]
const TOKEN = 'ghs_rerunStandInToken0123456789abcdefAB'
const REPO = 'acme/layers'
const INPUTS = {
  'layer-name': 'common',
  environment: 'dev',
  regions: REGIONS.join(', '),
  bucket: 'layers-{region}',
  'python-version': '3.12',
  'share-with': '111122223333',
  'update-functions': 'api, worker',
  'health-check': 'api',
  'keep-versions': '1',
  'ssm-parameter': '/layers/{layer}',
  'github-release': 'true',
  'github-token': TOKEN
}
const REJECT_TAGS = `while read old new ref; do
  case "$ref" in refs/tags/*)
    echo "error: GH013: Repository rule violations found for $ref. Cannot create ref due to creations being restricted." >&2
    exit 1;;
  esac
done`

let moto: Moto
let lambdaProxy: FaultProxy
let ssmProxy: FaultProxy
let dir: string
let home: string
let template: Sandbox
let c1: string
let c2: string
let zips: TestZip[]
let restoreEnv: () => void
let clean: State | undefined

const invocation = /^\/2015-03-31\/functions\/([^/]+)\/invocations/
/** Every Invoke answered 200 with the handler's result, as Lambda answers a healthy function. */
const healthy: Rule = req =>
  invocation.test(req.path)
    ? { respond: { status: 200, headers: { 'content-type': 'application/json' }, body: '1' } }
    : undefined

before(async () => {
  home = await isolateGit()
  moto = await startMoto()
  lambdaProxy = await startFaultProxy(moto.endpoint, healthy)
  ssmProxy = await startFaultProxy(moto.endpoint)
  restoreEnv = setEnv({
    ...moto.env,
    AWS_PROFILE: undefined,
    AWS_ENDPOINT_URL_LAMBDA: lambdaProxy.endpoint,
    AWS_ENDPOINT_URL_SSM: ssmProxy.endpoint
  })
  dir = await mkdtemp(path.join(os.tmpdir(), 'layer-aws-rerun-'))
  zips = [
    await makeZip(dir, 'common', 'HELLO = "hello"\n'),
    await makeZip(dir, 'common', 'HELLO = "bonjour"\n')
  ]
  template = await createSandbox()
  await writeFile(path.join(template.work, 'requirements.txt'), 'greeting\n')
  git(template.work, ['add', 'requirements.txt'])
  c1 = commit(template.work, 'feat: first layer')
  c2 = commit(template.work, 'feat: greet in French')
  template.publish()
})

after(async () => {
  restoreEnv?.()
  await lambdaProxy?.close()
  await ssmProxy?.close()
  await moto?.stop()
  await template?.remove()
  await rm(dir, { recursive: true, force: true })
  await rm(home, { recursive: true, force: true })
})

interface World {
  root: string
  origin: string
  gh: GitHubStandIn
  runs: number
  /** read straight from moto, not through the proxies */
  aws: Record<string, AwsClients>
}

/** A fresh account, origin and GitHub: buckets, the role, api and worker in both regions. */
async function newWorld(): Promise<World> {
  await moto.reset()
  lambdaProxy.setRule(healthy)
  ssmProxy.setRule(undefined)
  const aws = Object.fromEntries(REGIONS.map(r => [r, motoClients(moto, r)]))
  await createLambdaRole(moto)
  const other = await publishOtherLayer(aws[US].lambda)
  for (const region of REGIONS) {
    await createBucket(aws[region].s3, `layers-${region}`, region)
    await createFunction(aws[region].lambda, 'api', region === US ? [other] : undefined)
    await createFunction(aws[region].lambda, 'worker')
  }
  const root = await mkdtemp(path.join(dir, 'world-'))
  const origin = path.join(root, 'origin.git')
  await cp(template.origin, origin, { recursive: true })
  const gh = await startGitHubStandIn({ token: TOKEN, repo: REPO })
  return { root, origin, gh, runs: 0, aws }
}

async function closeWorld(w: World): Promise<void> {
  await w.gh.close()
  await rm(w.root, { recursive: true, force: true })
}

interface Run {
  result?: HandOff
  error?: unknown
  log: string
}

/** One job: a fresh clone of origin at `sha`, as actions/checkout leaves it, then the hand-off. */
async function release(w: World, sha: string, zip: TestZip): Promise<Run> {
  const workspace = path.join(w.root, `job-${++w.runs}`)
  git(w.root, ['clone', '--quiet', `file://${w.origin}`, workspace])
  git(workspace, ['checkout', '--quiet', '--detach', sha])
  const undoInputs = setInputs(INPUTS)
  const undoEnv = setEnv({
    GITHUB_WORKSPACE: workspace,
    RUNNER_TEMP: path.join(w.root, 'runner-temp'),
    GITHUB_API_URL: w.gh.apiUrl,
    GITHUB_REPOSITORY: REPO
  })
  const clients = new Map<string, AwsClients>()
  const clientsFor = (region: string) => {
    if (!clients.has(region)) clients.set(region, fastClients(region))
    return clients.get(region)!
  }
  const captured = captureLog()
  try {
    const inputs = getInputs()
    const plan = await makePlan(inputs)
    const options = { clientsFor, sleep: async () => undefined, github: { verifyMs: 1 } }
    return { result: await handOff(inputs, plan, zip, options), log: captured.text() }
  } catch (error: unknown) {
    return { error, log: captured.text() }
  } finally {
    captured.restore()
    undoEnv()
    undoInputs()
  }
}

function ok(run: Run): HandOff {
  if (run.error) assert.fail(`the run failed: ${String(run.error)}\n${run.log.slice(-3000)}`)
  return run.result!
}

function failed(run: Run): Error {
  assert.ok(run.error instanceof Error, `the run did not fail:\n${run.log.slice(-2000)}`)
  return run.error
}

interface State {
  tags: Record<string, string>
  parameters: Record<string, Record<string, string>>
  releases: Record<string, string>
  functions: Record<string, Record<string, string[]>>
  versions: Record<string, { version: number; description: string; grants: string[] }[]>
}

/** Everything a run leaves behind that a user sees, read straight from origin, moto and GitHub. */
async function endState(w: World): Promise<State> {
  const tags = Object.fromEntries(
    git(w.origin, ['for-each-ref', '--format=%(refname:strip=2) %(*objectname)', 'refs/tags'])
      .split('\n')
      .filter(Boolean)
      .map(line => line.split(' '))
  )
  const state: State = {
    tags,
    parameters: {},
    releases: Object.fromEntries([...w.gh.releases].map(([tag, r]) => [tag, r.body ?? ''])),
    functions: {},
    versions: {}
  }
  for (const region of REGIONS) {
    const { lambda, ssm } = w.aws[region]
    const p = await ssm.send(new GetParametersByPathCommand({ Path: '/layers', Recursive: true }))
    state.parameters[region] = Object.fromEntries(
      (p.Parameters ?? []).map(x => [x.Name ?? '', x.Value ?? ''])
    )
    state.functions[region] = {
      api: await layersOf(lambda, 'api'),
      worker: await layersOf(lambda, 'worker')
    }
    const list = await lambda.send(new ListLayerVersionsCommand({ LayerName: 'common-dev' }))
    state.versions[region] = []
    for (const v of list.LayerVersions ?? []) {
      const policy = await lambda
        .send(
          new GetLayerVersionPolicyCommand({ LayerName: 'common-dev', VersionNumber: v.Version })
        )
        .catch(() => ({ Policy: '{}' }))
      const statements = (JSON.parse(policy.Policy ?? '{}') as { Statement?: { Sid: string }[] })
        .Statement
      state.versions[region].push({
        version: v.Version ?? 0,
        description: v.Description ?? '',
        grants: (statements ?? []).map(s => s.Sid).sort()
      })
    }
  }
  return state
}

const arn = (region: string, v: number) =>
  `arn:aws:lambda:${region}:${MOTO_ACCOUNT}:layer:common-dev:${v}`

/** What a rerun after a failure in `region`'s (or every region's) last step completes. */
function settled(region: string): string[] {
  return [
    `${region}: wrote /layers/common-dev/latest`,
    `${region}: wrote /layers/common-dev/1.1.0`,
    `${region}: deleted version(s) 1`,
    `${region}: deleted /layers/common-dev/1.0.0`
  ]
}

/** The clean end state, computed once: a world where nothing fails. */
async function cleanState(): Promise<State> {
  if (clean) return clean
  const w = await newWorld()
  try {
    ok(await release(w, c1, zips[0]))
    ok(await release(w, c2, zips[1]))
    clean = await endState(w)
    return clean
  } finally {
    await closeWorld(w)
  }
}

test('a clean run: v1.1.0 tagged, published and announced in both regions, version 1 pruned with its parameter; a third run at the same commit changes nothing and says so', async () => {
  const w = await newWorld()
  try {
    ok(await release(w, c1, zips[0]))
    const second = ok(await release(w, c2, zips[1]))
    assert.deepEqual(
      second.deliveries.map(d => [d.region, d.version, d.published, d.rerun, d.deleted]),
      [
        [US, 2, true, false, [1]],
        [EU, 2, true, false, [1]]
      ]
    )
    const state = await endState(w)
    assert.deepEqual(state.tags, { 'v1.0.0': c1, 'v1.1.0': c2 })
    for (const region of REGIONS) {
      assert.deepEqual(state.parameters[region], {
        '/layers/common-dev/1.1.0': arn(region, 2),
        '/layers/common-dev/latest': arn(region, 2)
      })
      assert.deepEqual(state.versions[region], [
        {
          version: 2,
          description: `v1.1.0 ${c2.slice(0, 7)} dev [commit ${c2}]`,
          grants: ['layer-action-111122223333']
        }
      ])
      assert.deepEqual(state.functions[region].worker, [arn(region, 2)])
    }
    assert.match(state.releases['v1.1.0'], /^Release v1\.1\.0 \(since 1\.0\.0\)/)
    assert.ok(state.releases['v1.1.0'].includes(`| dev | ${EU} | \`${arn(EU, 2)}\``))
    clean ??= state

    // a third run: every step reads, finds it done, and writes nothing
    const seen = {
      lambda: lambdaProxy.requests.length,
      ssm: ssmProxy.requests.length,
      gh: w.gh.requests.length
    }
    const objects = await objectKeys(w.aws[US].s3, 'layers-us-east-1')
    const third = await release(w, c2, zips[1])
    const result = ok(third)
    assert.deepEqual(result.changes, [])
    assert.ok(result.deliveries.every(d => d.rerun && !d.published))
    assert.match(third.log, /Nothing left to do: an earlier run of this commit finished every step/)
    const writes = [
      ...lambdaProxy.requests
        .slice(seen.lambda)
        .filter(r => r.method !== 'GET' && !invocation.test(r.path))
        .map(r => `lambda ${r.method} ${r.path}`),
      ...ssmProxy.requests
        .slice(seen.ssm)
        .map(r => String(r.headers['x-amz-target']))
        .filter(t => !/^AmazonSSM\.(GetParameters|GetParametersByPath)$/.test(t)),
      ...w.gh.requests
        .slice(seen.gh)
        .filter(r => r.method !== 'GET')
        .map(r => `github ${r.method}`)
    ]
    assert.deepEqual(writes, [], 'the third run wrote nothing')
    assert.deepEqual(await objectKeys(w.aws[US].s3, 'layers-us-east-1'), objects)
    assert.deepEqual(await endState(w), state)
  } finally {
    await closeWorld(w)
  }
})

/**
 * Commit 1 released cleanly; commit 2 released with `fault` in place, which must fail; `heal`; then
 * commit 2 released again. The rerun must complete exactly `completed` and end in the clean state.
 */
async function failOnceThenRerun(o: {
  fault: (w: World) => Promise<void> | void
  heal: (w: World) => Promise<void> | void
  /** what the failed run says and leaves, given the state after commit 1 */
  failure: (error: Error, w: World, first: State) => Promise<void> | void
  completed: string[]
}): Promise<void> {
  const expected = await cleanState()
  const w = await newWorld()
  try {
    ok(await release(w, c1, zips[0]))
    const first = await endState(w)
    await o.fault(w)
    const run = await release(w, c2, zips[1])
    await o.heal(w)
    await o.failure(failed(run), w, first)
    const rerun = ok(await release(w, c2, zips[1]))
    assert.deepEqual(rerun.changes, o.completed)
    assert.deepEqual(await endState(w), expected)
  } finally {
    await closeWorld(w)
  }
}

const released = ['pushed tag v1.1.0', 'created the GitHub Release v1.1.0']

test('tag push rejected (origin refuses tags with a pre-receive hook, as a tag ruleset does), then a rerun pushes it and writes the release: the clean end state', () =>
  failOnceThenRerun({
    fault: w => installHook(w.origin, 'pre-receive', REJECT_TAGS),
    heal: w => rm(path.join(w.origin, 'hooks', 'pre-receive')),
    failure: async (error, w) => {
      assert.ok(error instanceof HandOffError)
      assert.equal(error.step, 'Tag')
      assert.deepEqual(error.notDone, ['GitHub Release'])
      assert.match(
        error.message,
        /^Could not push tag v1\.1\.0 to origin: .*GH013: Repository rule violations/s
      )
      assert.match(
        error.message,
        /Re-run this job: it reuses those versions and completes what is missing\.$/
      )
      assert.equal((await endState(w)).tags['v1.1.0'], undefined)
    },
    completed: released
  }))

test('SSM failing in one region (fault proxy: every PutParameter signed for eu-west-1 answered 500 InternalServerError), then a rerun writes that region, prunes it, tags and releases: the clean end state', () =>
  failOnceThenRerun({
    fault: () =>
      ssmProxy.setRule(req =>
        req.headers['x-amz-target'] === 'AmazonSSM.PutParameter' && signedRegion(req) === EU
          ? { respond: ssmFault(500, 'InternalServerError', 'Internal Server Error') }
          : undefined
      ),
    heal: () => ssmProxy.setRule(undefined),
    failure: async (error, w) => {
      assert.ok(error instanceof HandOffError)
      assert.equal(error.step, 'SSM parameters and retention')
      assert.deepEqual(error.notDone, ['Tag', 'GitHub Release'])
      assert.match(
        error.message,
        /^Retention and SSM parameters failed in 1 of 2 regions: eu-west-1: ssm:PutParameter .* failed with a server error \(HTTP 500\)/
      )
      const between = await endState(w)
      assert.deepEqual(
        between.versions[EU].map(v => v.version),
        [2, 1],
        'eu-west-1 pruned nothing: its latest still names version 1, which exists'
      )
      assert.equal(between.parameters[EU]['/layers/common-dev/latest'], arn(EU, 1))
    },
    completed: [...settled(EU), ...released]
  }))

test('GitHub API failing (GitHub stand-in answers every write 403 "Resource not accessible by integration"), then a rerun writes the release: the clean end state', () =>
  failOnceThenRerun({
    fault: w => w.gh.setFault(req => (req.method === 'GET' ? undefined : NOT_ACCESSIBLE)),
    heal: w => w.gh.setFault(undefined),
    failure: async (error, w) => {
      assert.ok(error instanceof HandOffError)
      assert.equal(error.step, 'GitHub Release')
      assert.match(error.message, /GitHub answered 403: Resource not accessible by integration/)
      assert.equal((await endState(w)).tags['v1.1.0'], c2, 'the tag was pushed before')
    },
    completed: ['created the GitHub Release v1.1.0']
  }))

test('a function update failing (fault proxy: UpdateFunctionConfiguration of worker in eu-west-1 answered 403 AccessDeniedException), then a rerun updates it and finishes: the clean end state', () =>
  failOnceThenRerun({
    fault: () =>
      lambdaProxy.setRule(req =>
        req.method === 'PUT' &&
        req.path.startsWith('/2015-03-31/functions/worker/configuration') &&
        signedRegion(req) === EU
          ? {
              respond: lambdaFault(
                403,
                'AccessDeniedException',
                `User: arn:aws:sts::${MOTO_ACCOUNT}:assumed-role/deploy/gha is not authorized to perform: lambda:UpdateFunctionConfiguration on resource: arn:aws:lambda:${EU}:${MOTO_ACCOUNT}:function:worker`
              )
            }
          : healthy(req)
      ),
    heal: () => lambdaProxy.setRule(healthy),
    failure: async (error, w) => {
      assert.ok(error instanceof HandOffError)
      assert.equal(error.step, 'Update functions')
      assert.deepEqual(error.notDone, [
        'Health check',
        'SSM parameters and retention',
        'Tag',
        'GitHub Release'
      ])
      assert.match(
        error.message,
        /^update-functions failed in 1 of 2 regions: eu-west-1: Could not point 1 of 2 function\(s\) at .*common-dev:2: worker: Access denied/
      )
      const between = await endState(w)
      assert.deepEqual(between.functions[EU].worker, [arn(EU, 1)], 'worker still on version 1')
      assert.deepEqual(between.functions[EU].api, [arn(EU, 2)], 'api was updated before it')
    },
    completed: [...settled(US), `${EU}: worker now uses version 2`, ...settled(EU), ...released]
  }))

test('a health check failing with keep-versions 1 (fault proxy: answers the Invoke of api with a function error) rolls back to version 1, which still exists; a healthy rerun then ends in the clean end state', () =>
  failOnceThenRerun({
    fault: () =>
      lambdaProxy.setRule(req =>
        invocation.exec(req.path)?.[1] === 'api'
          ? { respond: functionError('Runtime.ImportModuleError', "No module named 'greeting'") }
          : healthy(req)
      ),
    heal: () => lambdaProxy.setRule(healthy),
    failure: async (error, w, first) => {
      assert.ok(error instanceof HealthCheckError)
      assert.equal(error.rolledBack, true)
      const other = first.functions[US].api[0]
      assert.deepEqual(error.restored, [
        { name: `api (${US})`, layers: [other, arn(US, 1)] },
        { name: `worker (${US})`, layers: [arn(US, 1)] },
        { name: `api (${EU})`, layers: [arn(EU, 1)] },
        { name: `worker (${EU})`, layers: [arn(EU, 1)] }
      ])
      assert.match(
        error.message,
        /^Health check failed: function 'api' in us-east-1 returned: Runtime\.ImportModuleError: No module named 'greeting'\. Put 4 function\(s\) back on their previous layers: api \(us-east-1\) on arn:aws:lambda:us-east-1:123456789012:layer:other:1, arn:aws:lambda:us-east-1:123456789012:layer:common-dev:1;/
      )
      const between = await endState(w)
      // the functions are back on version 1, and version 1 still exists to be used
      assert.deepEqual(between.functions, first.functions)
      for (const region of REGIONS)
        assert.deepEqual(
          between.versions[region].map(v => v.version),
          [2, 1]
        )
      assert.deepEqual(between.parameters, first.parameters, 'no SSM parameter moved')
      assert.deepEqual(between.tags, first.tags, 'no tag')
      assert.deepEqual(between.releases, first.releases, 'no release')
    },
    completed: [
      `${US}: api now uses version 2`,
      `${US}: worker now uses version 2`,
      ...settled(US),
      `${EU}: api now uses version 2`,
      `${EU}: worker now uses version 2`,
      ...settled(EU),
      ...released
    ]
  }))
