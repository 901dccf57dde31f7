/**
 * End to end through dist/index.js: a matrix of two environments run at the same time with
 * github-release and ssm-parameter, against moto_server, a real git origin, a local index, and a
 * loopback stand-in for GitHub's REST release endpoints (helpers/github-standin.ts; no GitHub is
 * reachable offline), found through GITHUB_API_URL as on GitHub Enterprise.
 */
import { test, before, after, beforeEach } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { GetParametersByPathCommand } from '@aws-sdk/client-ssm'
import { ListLayerVersionsCommand } from '@aws-sdk/client-lambda'
import { ok, runAction, type ActionRun } from '../helpers/action'
import { startMoto, MOTO_ACCOUNT, type Moto } from '../helpers/moto'
import {
  createBucket,
  createFunction,
  createLambdaRole,
  layersOf,
  motoClients
} from '../helpers/aws-fixtures'
import type { AwsClients } from '../../src/deliver/clients'
import { makeIndex, makeWheel, serveIndex, type ServedIndex } from '../helpers/wheels'
import { hermeticPipEnv } from '../helpers/pip-env'
import { createSandbox, commit, git, installHook, isolateGit, type Sandbox } from '../helpers/git'
import { localPython } from '../helpers/python'
import { startGitHubStandIn, type GitHubStandIn } from '../helpers/github-standin'
import { functionError, startFaultProxy } from '../helpers/fault-proxy'

const REGION = 'eu-west-1'
const BUCKET = 'e2e-handoff'
const TOKEN = 'ghs_e2eStandInToken9876543210zyxwvuTSRQ'
const REPO = 'acme/layers'
const PY = localPython()

let dir: string
let home: string
let index: ServedIndex
let moto: Moto
let gh: GitHubStandIn
let sandbox: Sandbox
let aws: AwsClients

before(async () => {
  home = await isolateGit()
  dir = await mkdtemp(path.join(os.tmpdir(), 'layer-e2e-handoff-'))
  await makeIndex(path.join(dir, 'index'), [
    await makeWheel(path.join(dir, 'wheels'), {
      name: 'greeting',
      version: '1.2.0',
      tags: 'py3-none-any',
      modules: { 'greeting/__init__.py': 'def hello(name):\n    return "hello " + name\n' }
    })
  ])
  index = await serveIndex(path.join(dir, 'index'))
  moto = await startMoto()
  aws = motoClients(moto, REGION)
})

after(async () => {
  await index?.close()
  await moto?.stop()
  await gh?.close()
  await sandbox?.remove()
  await rm(dir, { recursive: true, force: true })
  await rm(home, { recursive: true, force: true })
})

beforeEach(async () => {
  await moto.reset()
  await gh?.close()
  gh = await startGitHubStandIn({ token: TOKEN, repo: REPO })
  await createBucket(aws.s3, BUCKET, REGION)
  await sandbox?.remove()
  sandbox = await createSandbox()
  await writeFile(path.join(sandbox.work, 'requirements.txt'), 'greeting\n')
  git(sandbox.work, ['add', 'requirements.txt'])
  commit(sandbox.work, 'feat: first layer')
  sandbox.publish()
})

async function run(
  inputs: Record<string, string>,
  workspace: string,
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
    workspace,
    env: {
      ...hermeticPipEnv(),
      ...moto.env,
      AWS_REGION: REGION,
      AWS_DEFAULT_REGION: REGION,
      GITHUB_API_URL: gh.apiUrl,
      GITHUB_REPOSITORY: REPO,
      ...more
    },
    tmp: dir
  })
}

/** Lines that carry the token, apart from the ::add-mask:: command that hides it. */
function leaks(r: ActionRun): string[] {
  return `${r.stdout}\n${r.stderr}`
    .split('\n')
    .filter(l => l.includes(TOKEN) && !l.startsWith('::add-mask::'))
}

test('a matrix of dev and prod at the same time: one GitHub Release with both rows, release-url, SSM parameters per environment, the token in no log line', async () => {
  const jobs = ['dev', 'prod'].map(e => ({ e, dir: sandbox.clone(`job-${e}`, { depth: 1 }) }))
  const runs = await Promise.all(
    jobs.map(j =>
      run({ environment: j.e, 'github-release': 'true', 'ssm-parameter': '/layers/{layer}' }, j.dir)
    )
  )
  runs.forEach(ok)
  assert.equal(git(sandbox.origin, ['tag', '--list']), 'v1.0.0')
  assert.equal(gh.releases.size, 1)
  const release = gh.releases.get('v1.0.0')!
  assert.equal(release.name, 'v1.0.0')
  const arn = (e: string) => `arn:aws:lambda:${REGION}:${MOTO_ACCOUNT}:layer:common-${e}:1`
  assert.match(release.body ?? '', /^Release v1\.0\.0\n\n### Features\n- feat: first layer/)
  for (const e of ['dev', 'prod'])
    assert.ok(
      (release.body ?? '').includes(`| ${e} | ${REGION} | \`${arn(e)}\``),
      `${e}'s row is missing:\n${release.body}`
    )
  for (const r of runs) {
    assert.equal(r.outputs['release-url'], 'https://github.example/acme/layers/releases/tag/v1.0.0')
    assert.equal(r.outputs['rolled-back'], 'false')
    assert.match(r.summary, /\| GitHub Release \| \[v1\.0\.0\]\(<https:\/\/github\.example/)
    assert.match(
      r.summary,
      /\| SSM parameters \| <code>\/layers\/common-(dev|prod)\/latest<\/code>/
    )
    assert.deepEqual(leaks(r), [])
  }
  for (const e of ['dev', 'prod']) {
    const p = await aws.ssm.send(
      new GetParametersByPathCommand({ Path: `/layers/common-${e}`, Recursive: true })
    )
    assert.deepEqual(Object.fromEntries((p.Parameters ?? []).map(x => [x.Name, x.Value])), {
      [`/layers/common-${e}/1.0.0`]: arn(e),
      [`/layers/common-${e}/latest`]: arn(e)
    })
  }
})

test('github-release false (the default) makes no GitHub API call', async () => {
  const r = ok(await run({}, sandbox.work))
  assert.equal(r.outputs['published'], 'true')
  assert.equal(r.outputs['release-url'], '')
  assert.deepEqual(gh.requests, [])
  assert.deepEqual(leaks(r), [])
})

test('a failed health check fails the step naming the function and its error, puts the function back, sets rolled-back (fault proxy: answers the Invoke of api with a function error; moto runs no code)', async () => {
  await createLambdaRole(moto, 'fn')
  await createFunction(aws.lambda, 'api', undefined, 'fn')
  const proxy = await startFaultProxy(moto.endpoint, req =>
    req.path.startsWith('/2015-03-31/functions/api/invocations')
      ? {
          respond: functionError('Runtime.ImportModuleError', "No module named 'greeting.missing'")
        }
      : undefined
  )
  try {
    const r = await run(
      { 'update-functions': 'api', 'health-check': 'api', 'ssm-parameter': '/layers/{layer}' },
      sandbox.work,
      { AWS_ENDPOINT_URL_LAMBDA: proxy.endpoint }
    )
    assert.equal(r.exitCode, 1)
    assert.equal(r.errors.length, 1, r.errors.join('\n'))
    assert.match(
      r.errors[0],
      /^Health check failed: function 'api' in eu-west-1 returned: Runtime\.ImportModuleError: No module named 'greeting\.missing'\. Put 1 function\(s\) back/
    )
    assert.equal(r.outputs['rolled-back'], 'true')
    assert.equal(
      r.outputs['layer-version-arn'],
      `arn:aws:lambda:${REGION}:${MOTO_ACCOUNT}:layer:common:1`
    )
    assert.match(r.summary, /## Health check failed: rolled back/)
  } finally {
    await proxy.close()
  }
  assert.deepEqual(await layersOf(aws.lambda, 'api'), [], 'api is back on no layers')
  assert.equal(
    git(sandbox.origin, ['tag', '--list']),
    '',
    'no tag for a release that failed its health check'
  )
  const p = await aws.ssm.send(new GetParametersByPathCommand({ Path: '/layers', Recursive: true }))
  assert.deepEqual(p.Parameters ?? [], [], 'no SSM parameter names a rolled-back version')
})

test('the tag push refused by origin (a pre-receive hook), then the job re-run: the rerun reuses the version, pushes the tag, writes the release, outputs published true and says what it completed; a third run has nothing left to do', async () => {
  await installHook(
    sandbox.origin,
    'pre-receive',
    'while read old new ref; do case "$ref" in refs/tags/*) echo "GH013: Repository rule violations found for $ref." >&2; exit 1;; esac; done'
  )
  const inputs = { 'ssm-parameter': '/layers/{layer}', 'github-release': 'true' }
  const job = sandbox.clone('job-1')
  const first = await run(inputs, job)
  assert.equal(first.exitCode, 1)
  assert.equal(first.errors.length, 1, first.errors.join('\n'))
  assert.match(first.errors[0], /^Could not push tag v1\.0\.0 to origin: .*GH013/s)
  assert.match(
    first.errors[0],
    /\nTag failed; arn:aws:lambda:eu-west-1:\d+:layer:common:1 is in place, not done: GitHub Release\. Re-run this job: it reuses that version and completes what is missing\.$/
  )
  assert.equal(git(sandbox.origin, ['tag', '--list']), '')
  assert.equal(gh.releases.size, 0)

  git(sandbox.origin, ['config', 'core.hooksPath', '/dev/null'])
  const rerun = ok(await run(inputs, sandbox.clone('job-2')))
  assert.equal(rerun.outputs['published'], 'true', 'as after a clean run')
  assert.equal(rerun.outputs['layer-version'], '1')
  assert.equal(
    rerun.outputs['release-url'],
    'https://github.example/acme/layers/releases/tag/v1.0.0'
  )
  assert.match(
    rerun.summary,
    /## Lambda layer <code>common<\/code>: version 1, published from this commit by an earlier run/
  )
  assert.match(
    rerun.summary,
    /This rerun completed what an earlier run of this commit left undone:\n\n- pushed tag v1\.0\.0\n- created the GitHub Release v1\.0\.0\n/
  )
  assert.match(git(sandbox.origin, ['tag', '--list']), /^v1\.0\.0$/)

  // the first job's workspace again (a self-hosted runner keeps it): nothing left to do
  const writes = gh.requests.length
  const third = ok(await run(inputs, job))
  assert.match(
    third.summary,
    /Nothing left to do: an earlier run of this commit had finished every step\./
  )
  assert.match(
    third.stdout,
    /Nothing left to do: an earlier run of this commit finished every step\./
  )
  // the release, then its assets: the SBOM asset is there with the same digest (issue 18)
  assert.deepEqual(
    gh.requests.slice(writes).map(r => r.method),
    ['GET', 'GET'],
    'the release was only read'
  )
  const versions = await aws.lambda.send(new ListLayerVersionsCommand({ LayerName: 'common' }))
  assert.deepEqual(
    (versions.LayerVersions ?? []).map(v => v.Version),
    [1],
    'one version for the three runs'
  )
})
