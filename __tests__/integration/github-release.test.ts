/**
 * github-release against a loopback stand-in for GitHub's REST release endpoints (no GitHub is
 * reachable offline; see helpers/github-standin.ts for the shapes and where they come from), with
 * @actions/github's real Octokit pointed at it through GITHUB_API_URL, as on GitHub Enterprise.
 * The stand-in holds requests at a barrier to force the races two matrix jobs meet.
 */
import { test, beforeEach, afterEach } from 'node:test'
import assert from 'node:assert/strict'
import { startGitHubStandIn, barrier, type GitHubStandIn } from '../helpers/github-standin'
import { captureLog } from '../helpers/log'
import { setEnv } from '../helpers/moto'
import { releaseOnGitHub, type GitHubReleaseRequest } from '../../src/release/github'
import { mergeReleaseBody } from '../../src/release/github-release'
import type { DeliveryResult } from '../../src/deliver/deliver'
import type { VersionDecision } from '../../src/release/bump'

const TOKEN = 'ghs_standInToken0123456789abcdefABCDEF'
const REPO = 'acme/layers'
let gh: GitHubStandIn
let undoEnv: () => void

beforeEach(async () => {
  gh = await startGitHubStandIn({ token: TOKEN, repo: REPO })
  undoEnv = setEnv({ GITHUB_API_URL: gh.apiUrl, GITHUB_REPOSITORY: REPO })
})

afterEach(async () => {
  undoEnv()
  await gh.close()
})

const arn = (region: string, env: string, v: number) =>
  `arn:aws:lambda:${region}:123456789012:layer:common-${env}:${v}`

const decision = {
  version: '1.4.0',
  previousVersion: '1.3.2',
  bump: 'minor',
  tag: 'v1.4.0',
  newTag: true,
  changes: {
    breaking: [],
    features: [{ sha: 'a'.repeat(40), type: 'feat', subject: 'add <pandas>' }],
    fixes: [],
    other: []
  }
} as unknown as VersionDecision

function job(
  environment: string,
  regions: [string, number][],
  over: Partial<GitHubReleaseRequest> = {}
) {
  return {
    token: TOKEN,
    environment,
    layerName: `common-${environment}`,
    release: decision,
    tag: { tag: 'v1.4.0', status: 'exists' },
    deliveries: regions.map(
      ([region, v]) => ({ region, layerVersionArn: arn(region, environment, v) }) as DeliveryResult
    ),
    ...over
  } as GitHubReleaseRequest
}

// verification waits of a few ms: the stand-in answers at once
const fast = { verifyMs: 5, log: () => undefined }

test("two matrix jobs at once, no release yet: one release titled by the tag with the changelog and both jobs' rows (GitHub stand-in: both first reads held until both arrived, so both create)", async () => {
  gh.setGate(barrier(2, r => r.method === 'GET'))
  const [dev, prod] = await Promise.all([
    releaseOnGitHub(
      job(
        'dev',
        [
          ['us-east-1', 3],
          ['eu-west-1', 5]
        ],
        { tag: { tag: 'v1.4.0', status: 'created' } }
      ),
      fast
    ),
    releaseOnGitHub(job('prod', [['us-east-1', 7]]), fast)
  ])
  assert.equal(gh.releases.size, 1)
  const release = gh.releases.get('v1.4.0')!
  assert.equal(release.name, 'v1.4.0')
  const posts = gh.requests.filter(r => r.method === 'POST').length
  assert.equal(posts, 2, 'both tried to create it; one got 422 already_exists')
  assert.deepEqual([dev.outcome?.status, prod.outcome?.status].sort(), ['created', 'updated'])
  assert.equal(dev.outcome?.url, 'https://github.example/acme/layers/releases/tag/v1.4.0')
  // what a release asset (the SBOM) is uploaded to: this release's own upload_url
  assert.equal(dev.outcome?.id, release.id)
  assert.equal(dev.outcome?.uploadUrl, release.upload_url)
  assert.match(release.upload_url, /\/releases\/\d+\/assets\{\?name,label\}$/)
  const body = release.body ?? ''
  assert.match(
    body,
    /^Release v1\.4\.0 \(since 1\.3\.2\)\n\n### Features\n- feat: add &lt;pandas&gt; \(aaaaaaa\)/
  )
  const rows = body.split('\n').filter(l => l.startsWith('| ') && l.includes('arn:'))
  assert.deepEqual(rows, [
    '| dev | eu-west-1 | `' +
      arn('eu-west-1', 'dev', 5) +
      '` <!-- layer-action:row common-dev eu-west-1 --> |',
    '| dev | us-east-1 | `' +
      arn('us-east-1', 'dev', 3) +
      '` <!-- layer-action:row common-dev us-east-1 --> |',
    '| prod | us-east-1 | `' +
      arn('us-east-1', 'prod', 7) +
      '` <!-- layer-action:row common-prod us-east-1 --> |'
  ])
  // the client honoured GITHUB_API_URL (the /api/v3 prefix of GitHub Enterprise) and sent the token
  assert.ok(gh.requests.every(r => r.path.startsWith('/api/v3/repos/acme/layers/releases')))
  assert.ok(gh.requests.every(r => r.authorization === `token ${TOKEN}`))
})

test('two matrix jobs read the same release, both write: the one written over notices and merges again; text by hand is kept (GitHub stand-in: both reads and both writes held at barriers)', async () => {
  gh.releases.set('v1.4.0', {
    id: 41,
    tag_name: 'v1.4.0',
    name: 'v1.4.0 (hand-edited)',
    body: 'Notes written by hand.\n',
    draft: false,
    prerelease: false,
    html_url: 'https://github.example/acme/layers/releases/tag/v1.4.0',
    url: `${gh.apiUrl}/repos/acme/layers/releases/41`,
    upload_url: `${gh.apiUrl}/repos/acme/layers/releases/41/assets{?name,label}`,
    created_at: '',
    published_at: ''
  })
  const reads = barrier(2, r => r.method === 'GET')
  const writes = barrier(2, r => r.method === 'PATCH')
  gh.setGate(async r => {
    await reads(r)
    await writes(r)
  })
  const results = await Promise.all([
    releaseOnGitHub(job('staging', [['us-east-1', 2]]), fast),
    releaseOnGitHub(job('prod', [['us-east-1', 7]]), fast)
  ])
  const patches = gh.requests.filter(r => r.method === 'PATCH').length
  assert.equal(patches, 3, 'two stale writes, then the job written over merged again')
  assert.deepEqual(results.map(r => r.outcome?.writes).sort(), [1, 2])
  const release = gh.releases.get('v1.4.0')!
  assert.equal(release.name, 'v1.4.0 (hand-edited)', 'an existing title is left alone')
  assert.match(release.body ?? '', /^Notes written by hand\.\n\n<!-- layer-action:layers:begin -->/)
  assert.match(release.body ?? '', /common-staging:2/)
  assert.match(release.body ?? '', /common-prod:7/)
})

test('a job run again replaces only its own rows; a job with nothing new to say writes nothing', async () => {
  await releaseOnGitHub(job('dev', [['us-east-1', 3]]), fast)
  await releaseOnGitHub(job('prod', [['us-east-1', 7]]), fast)
  await releaseOnGitHub(job('dev', [['us-east-1', 4]]), fast)
  const body = gh.releases.get('v1.4.0')!.body ?? ''
  assert.doesNotMatch(body, /common-dev:3/)
  assert.match(body, /common-dev:4/)
  assert.match(body, /common-prod:7/)
  const before = gh.requests.length
  const again = await releaseOnGitHub(job('prod', [['us-east-1', 7]]), fast)
  assert.equal(again.outcome?.status, 'unchanged')
  assert.deepEqual(
    gh.requests.slice(before).map(r => r.method),
    ['GET']
  )
})

test('no tag on origin: no release and no GitHub call', async () => {
  const r = await releaseOnGitHub(
    job('dev', [['us-east-1', 3]], {
      tag: { tag: 'v1.4.0', status: 'skipped', reason: 'no new layer version was published' }
    }),
    fast
  )
  assert.match(r.skipped ?? '', /no tag v1\.4\.0 on origin \(no new layer version was published\)/)
  assert.equal(gh.requests.length, 0)
})

test('the token reaches no log line and no error, also when GitHub refuses it (GitHub stand-in answers 401 Bad credentials to another token)', async () => {
  const out = captureLog()
  const stderr: string[] = []
  const write = process.stderr.write.bind(process.stderr)
  process.stderr.write = ((chunk: unknown) => {
    stderr.push(String(chunk))
    return true
  }) as typeof process.stderr.write
  let error: unknown
  try {
    await releaseOnGitHub(job('dev', [['us-east-1', 3]]), { verifyMs: 5 })
    await releaseOnGitHub(job('prod', [['us-east-1', 7]], { token: `${TOKEN}-revoked` }), {
      verifyMs: 5
    }).catch((e: unknown) => (error = e))
  } finally {
    out.restore()
    process.stderr.write = write
  }
  assert.ok(error instanceof Error)
  assert.match(error.message, /GitHub answered 401: Bad credentials.*permissions: contents: write/)
  const everything = [out.text(), stderr.join(''), error.message, String(error.stack)].join('\n')
  assert.match(out.text(), /Release v1\.4\.0 created: https:\/\/github\.example/)
  assert.ok(!everything.includes(TOKEN), 'the token is in the log')
  assert.ok(gh.requests.some(r => r.authorization === `token ${TOKEN}-revoked`))
})

test('merging keeps rows of other jobs and text around the table', () => {
  const one = mergeReleaseBody('', 'Changes', 'common-dev', [
    { environment: 'dev', region: 'us-east-1', layerVersionArn: 'arn:1' }
  ])
  const two = mergeReleaseBody(one + '\nFooter by hand\n', 'ignored', 'common-prod', [
    { environment: 'prod', region: 'us-east-1', layerVersionArn: 'arn:2' }
  ])
  assert.match(two, /^Changes\n\n<!-- layer-action:layers:begin -->/)
  assert.match(two, /`arn:1`/)
  assert.match(two, /`arn:2`/)
  assert.match(two, /layers:end -->\n\nFooter by hand\n$/)
  const three = mergeReleaseBody(two, 'ignored', 'common-dev', [])
  assert.doesNotMatch(three, /`arn:1`/)
  assert.match(three, /`arn:2`/)
})
