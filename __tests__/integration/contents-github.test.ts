/**
 * The SBOM release asset and the pull-request comment against the loopback GitHub stand-in
 * (helpers/github-standin.ts: shapes from GitHub's REST reference; no GitHub is reachable offline),
 * with @actions/github's real Octokit found through GITHUB_API_URL as on GitHub Enterprise Server.
 */
import { test, beforeEach, afterEach } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { barrier, startGitHubStandIn, type GitHubStandIn } from '../helpers/github-standin'
import { captureLog } from '../helpers/log'
import { attachSbomToRelease } from '../../src/contents/release-asset'
import { commentMarker, commentOnPullRequest } from '../../src/contents/pr-comment'

const TOKEN = 'ghs_contentsStandInToken0123456789abcdefAB'
const READ_ONLY = 'ghs_forkReadOnlyToken0123456789abcdefABCD'
const REPO = 'acme/layers'
let gh: GitHubStandIn
let dir: string

beforeEach(async () => {
  gh = await startGitHubStandIn({ token: TOKEN, repo: REPO, readOnlyToken: READ_ONLY })
  dir = await mkdtemp(path.join(os.tmpdir(), 'contents-gh-'))
})

afterEach(async () => {
  await gh.close()
  await rm(dir, { recursive: true, force: true })
})

async function createRelease(tag: string): Promise<number> {
  const r = await fetch(`${gh.apiUrl}/repos/${REPO}/releases`, {
    method: 'POST',
    headers: { authorization: `token ${TOKEN}` },
    body: JSON.stringify({ tag_name: tag, name: tag, body: 'notes' })
  })
  return ((await r.json()) as { id: number }).id
}

const env = () => ({ GITHUB_API_URL: gh.apiUrl, GITHUB_REPOSITORY: REPO })

async function quietly<T>(f: () => Promise<T>): Promise<{ value: T; lines: string[] }> {
  const log = captureLog()
  try {
    return { value: await f(), lines: log.lines }
  } finally {
    log.restore()
  }
}

test("release asset (GitHub stand-in): <layer>-<version>.cdx.json uploaded to the release's own upload_url; a rerun replaces its own, another job's stays", async () => {
  const releaseId = await createRelease('v1.4.0')
  const attach = (layerName: string, json: string) =>
    quietly(() =>
      attachSbomToRelease({
        token: TOKEN,
        releaseId,
        layerName,
        version: '1.4.0',
        json,
        env: env()
      })
    )
  assert.equal((await attach('common-dev', '{"first": true}\n')).value.status, 'added')
  await attach('common-prod', '{"prod": true}\n')
  const rerun = await attach('common-dev', '{"second": true}\n')
  assert.equal(rerun.value.status, 'replaced')
  const writes = gh.requests.filter(r => r.method !== 'GET').length
  assert.equal((await attach('common-dev', '{"second": true}\n')).value.status, 'unchanged')
  assert.equal(
    gh.requests.filter(r => r.method !== 'GET').length,
    writes,
    'the same bytes: no write'
  )
  assert.match(rerun.value.url, /common-dev-1\.4\.0\.cdx\.json$/)
  const assets = [...gh.assets.values()].map(a => [a.name, a.data.toString('utf8')]).sort()
  assert.deepEqual(assets, [
    ['common-dev-1.4.0.cdx.json', '{"second": true}\n'],
    ['common-prod-1.4.0.cdx.json', '{"prod": true}\n']
  ])
  const uploads = gh.requests.filter(r => r.method === 'POST' && r.path.includes('/assets'))
  assert.equal(uploads.length, 3)
  // GitHub Enterprise Server's uploads live at /api/uploads, not under the API's /api/v3
  assert.ok(
    uploads.every(r =>
      r.path.startsWith(`/api/uploads/repos/${REPO}/releases/${releaseId}/assets?name=`)
    )
  )
})

test('release asset (GitHub stand-in): a token that may not write fails the step naming the permission', async () => {
  const releaseId = await createRelease('v1.4.0')
  await assert.rejects(
    () =>
      quietly(() =>
        attachSbomToRelease({
          token: READ_ONLY,
          releaseId,
          layerName: 'common-dev',
          version: '1.4.0',
          json: '{}',
          env: env()
        })
      ),
    /Could not attach common-dev-1\.4\.0\.cdx\.json .* GitHub answered 403: Resource not accessible by integration.*contents: write/
  )
})

/** The environment of a `pull_request` run: the event file holds the number. */
async function prEnv(number: number, event = 'pull_request'): Promise<NodeJS.ProcessEnv> {
  const file = path.join(dir, `event-${number}.json`)
  await writeFile(file, JSON.stringify({ action: 'synchronize', number, pull_request: { number } }))
  return { ...env(), GITHUB_EVENT_NAME: event, GITHUB_EVENT_PATH: file }
}

const comment = (layerName: string, body: string, e: NodeJS.ProcessEnv, token = TOKEN) =>
  quietly(() =>
    commentOnPullRequest({ token, layerName, body: `${commentMarker(layerName)}\n${body}`, env: e })
  )

test('pull-request comment (GitHub stand-in): created once, edited by a rerun, left alone when nothing changed; each layer of a matrix keeps its own; found on a later page of a busy pull request', async () => {
  const e = await prEnv(7)
  // 120 comments by people first: ours is then on the second page of 100
  for (let i = 0; i < 120; i++)
    await fetch(`${gh.apiUrl}/repos/${REPO}/issues/7/comments`, {
      method: 'POST',
      headers: { authorization: `token ${TOKEN}` },
      body: JSON.stringify({ body: `looks good ${i}` })
    })
  const first = await comment('common-dev', 'zip 10 MB', e)
  assert.equal(first.value.status, 'created')
  const ours = () =>
    [...gh.comments.values()].filter(c => c.body.includes('layer-action:pr-comment'))
  const id = ours()[0].id
  const edited = await comment('common-dev', 'zip 12 MB', e)
  assert.equal(edited.value.status, 'updated')
  assert.deepEqual(
    ours().map(c => [c.id, c.body]),
    [[id, `${commentMarker('common-dev')}\nzip 12 MB`]]
  )
  const writes = gh.requests.filter(r => r.method !== 'GET').length
  assert.equal((await comment('common-dev', 'zip 12 MB', e)).value.status, 'unchanged')
  assert.equal(
    gh.requests.filter(r => r.method !== 'GET').length,
    writes,
    'no write when the text is the same'
  )
  await comment('common-prod', 'zip 9 MB', e)
  assert.deepEqual(
    ours().map(c => c.body.split('\n')[0]),
    [commentMarker('common-dev'), commentMarker('common-prod')]
  )
  assert.equal(gh.comments.size, 122)
})

test('pull-request comment (GitHub stand-in): two runs of the same layer at once end with one comment', async () => {
  const e = await prEnv(8, 'pull_request_target')
  // both runs list the comments before either has created one
  gh.setGate(barrier(2, r => r.method === 'GET' && r.path.includes('/issues/8/comments')))
  const [a, b] = await Promise.all([
    comment('common-dev', 'run a', e),
    comment('common-dev', 'run b', e)
  ])
  gh.setGate(undefined)
  const left = [...gh.comments.values()].filter(c => c.issue_number === 8)
  assert.equal(left.length, 1, left.map(c => c.body).join(' | '))
  assert.deepEqual([a.value.status, b.value.status].sort(), ['created', 'updated'])
})

test("pull-request comment (GitHub stand-in): a fork's read-only token is a warning that says why, never a failure; another event is no comment and no call", async () => {
  const e = await prEnv(9)
  const r = await comment('common-dev', 'zip 10 MB', e, READ_ONLY)
  assert.equal(r.value.status, 'skipped')
  const warning = r.lines.find(l => l.startsWith('::warning::')) ?? ''
  assert.match(
    warning,
    /No pull-request comment for common-dev on #9: GitHub answered 403 \(Resource not accessible by integration[^)]*\)\. A pull request from a fork runs with a read-only token/
  )
  assert.ok(!r.lines.some(l => l.includes(READ_ONLY)))
  assert.equal(gh.comments.size, 0)

  const before = gh.requests.length
  const push = await comment('common-dev', 'x', { ...env(), GITHUB_EVENT_NAME: 'push' })
  assert.equal(push.value.status, 'skipped')
  assert.equal(gh.requests.length, before)
  assert.ok(!push.lines.some(l => l.startsWith('::warning::')), 'a push is no reason to warn')
})
