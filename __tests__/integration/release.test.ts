import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { Git, isGitRepository, redact } from '../../src/release/git'
import { readHistory } from '../../src/release/history'
import { decideVersion, type Bump } from '../../src/release/bump'
import { formatTagMessage } from '../../src/release/changelog'
import { BOT_EMAIL, BOT_NAME, pushTag } from '../../src/release/tag'
import { tagRelease } from '../../src/release/release'
import { LayerActionError } from '../../src/errors'
import {
  checkoutLikeActions,
  commit,
  createSandbox,
  git,
  installHook,
  isolateGit,
  tag,
  type Sandbox
} from '../helpers/git'

let home: string
const sandboxes: Sandbox[] = []

before(async () => {
  home = await isolateGit()
})
after(async () => {
  await Promise.all(sandboxes.map(s => s.remove()))
  await rm(home, { recursive: true, force: true })
})

async function sandbox(): Promise<Sandbox> {
  const s = await createSandbox()
  sandboxes.push(s)
  return s
}

async function decide(cwd: string, tagPrefix = 'v', defaultBump: Bump = 'patch') {
  const history = await readHistory(Git.create(cwd), { tagPrefix })
  const decision = decideVersion({ history, tagPrefix, initialVersion: '1.0.0', defaultBump })
  return { history, decision }
}

/** The tags of origin: name → { object type, commit it points at } */
function originTags(s: Sandbox): Map<string, { type: string; commit: string }> {
  const tags = new Map<string, { type: string; commit: string }>()
  for (const name of git(s.origin, ['tag', '--list']).split('\n').filter(Boolean)) {
    tags.set(name, {
      type: git(s.origin, ['cat-file', '-t', `refs/tags/${name}`]),
      commit: git(s.origin, ['rev-parse', `refs/tags/${name}^{commit}`])
    })
  }
  return tags
}

describe('readHistory + decideVersion on real repositories', () => {
  it('no tag at all → initial-version, every commit listed, bump none', async () => {
    const s = await sandbox()
    const c1 = commit(s.work, 'chore: init')
    const c2 = commit(s.work, 'feat: first feature')
    const { history, decision } = await decide(s.work)
    assert.equal(history.previous, undefined)
    assert.equal(history.headVersion, undefined)
    assert.equal(history.head, c2)
    assert.deepEqual(
      history.commits.map(c => [c.sha, c.message]),
      [
        [c2, 'feat: first feature'],
        [c1, 'chore: init']
      ]
    )
    assert.equal(history.deepened, false)
    assert.deepEqual(
      [decision.version, decision.previousVersion, decision.bump, decision.tag, decision.newTag],
      ['1.0.0', '', 'none', 'v1.0.0', true]
    )
  })

  it('the highest reachable tag wins; a higher tag on an unmerged branch is ignored', async () => {
    const s = await sandbox()
    commit(s.work, 'chore: init')
    tag(s.work, 'v1.0.0')
    const c2 = commit(s.work, 'feat: two')
    tag(s.work, 'v1.1.0', { lightweight: true })
    git(s.work, ['checkout', '--quiet', '-b', 'experiment'])
    commit(s.work, 'feat!: experiment')
    tag(s.work, 'v2.0.0')
    git(s.work, ['checkout', '--quiet', 'main'])
    const c3 = commit(s.work, 'fix: three\n\nBody.')
    const c4 = commit(s.work, 'feat(api): four')
    const { history, decision } = await decide(s.work)
    assert.deepEqual(history.previous, { tag: 'v1.1.0', version: '1.1.0', sha: c2 })
    assert.deepEqual(
      history.commits.map(c => c.sha),
      [c4, c3]
    )
    assert.deepEqual(
      [decision.version, decision.previousVersion, decision.bump],
      ['1.2.0', '1.1.0', 'minor']
    )
    assert.equal(decision.conflictSha, undefined)
    assert.ok(history.tags?.['v2.0.0'], 'unmerged tags are known, for the conflict check')
  })

  it('the next version already tagged on an unmerged branch is reported as a conflict', async () => {
    const s = await sandbox()
    commit(s.work, 'chore: init')
    tag(s.work, 'v1.0.0')
    git(s.work, ['checkout', '--quiet', '-b', 'hotfix'])
    const hotfix = commit(s.work, 'fix: hotfix')
    tag(s.work, 'v1.0.1')
    git(s.work, ['checkout', '--quiet', 'main'])
    commit(s.work, 'fix: on main')
    const { decision } = await decide(s.work)
    assert.equal(decision.version, '1.0.1')
    assert.equal(decision.conflictSha, hotfix)
  })

  it('pre-release and other-prefix tags are ignored', async () => {
    const s = await sandbox()
    const c1 = commit(s.work, 'chore: init')
    tag(s.work, 'v1.1.0')
    commit(s.work, 'feat: rc')
    tag(s.work, 'v1.2.0-rc.1')
    tag(s.work, 'ms/5.0.0')
    tag(s.work, 'v1.2.0+build.1', { lightweight: true })
    commit(s.work, 'fix: x')
    const { history, decision } = await decide(s.work)
    assert.deepEqual(history.previous, { tag: 'v1.1.0', version: '1.1.0', sha: c1 })
    assert.equal(history.commits.length, 2)
    assert.equal(decision.version, '1.2.0')
  })

  it('a custom prefix with regex metacharacters is matched as text', async () => {
    const s = await sandbox()
    const c1 = commit(s.work, 'chore: init')
    tag(s.work, 'r.1+1.0.0')
    commit(s.work, 'chore: decoy')
    // would match /^r.1+(\d+\.\d+\.\d+)$/ as version 1.9.0
    tag(s.work, 'rx11.9.0')
    tag(s.work, 'v7.0.0')
    commit(s.work, 'feat: x')
    const { history, decision } = await decide(s.work, 'r.1+')
    assert.deepEqual(history.previous, { tag: 'r.1+1.0.0', version: '1.0.0', sha: c1 })
    assert.deepEqual([decision.version, decision.tag], ['1.1.0', 'r.1+1.1.0'])
  })

  it('HEAD already tagged → that version, bump none, no new tag; previous is the release before', async () => {
    const s = await sandbox()
    commit(s.work, 'chore: init')
    tag(s.work, 'v1.0.0')
    commit(s.work, 'feat: x')
    tag(s.work, 'v1.1.0')
    const { history, decision } = await decide(s.work)
    assert.equal(history.headVersion, '1.1.0')
    assert.equal(history.previous?.tag, 'v1.0.0')
    assert.deepEqual(
      [decision.version, decision.previousVersion, decision.bump, decision.newTag],
      ['1.1.0', '1.0.0', 'none', false]
    )
    assert.equal(decision.changes.features.length, 1)
  })

  it('a depth-1 clone without tags is deepened and finds the previous version and the commits since', async () => {
    const s = await sandbox()
    commit(s.work, 'chore: init')
    tag(s.work, 'v1.0.0')
    const c2 = commit(s.work, 'feat: two')
    tag(s.work, 'v1.1.0')
    const c3 = commit(s.work, 'fix: three')
    const c4 = commit(s.work, 'feat: four')
    s.publish()

    for (const clone of [checkoutLikeActions(s, 'checkout'), s.clone('depth1', { depth: 1 })]) {
      assert.equal(git(clone, ['rev-parse', '--is-shallow-repository']), 'true')
      assert.equal(git(clone, ['tag', '--list']), '', 'the clone starts without tags')
      const { history, decision } = await decide(clone)
      assert.equal(history.deepened, true)
      assert.equal(git(clone, ['rev-parse', '--is-shallow-repository']), 'false')
      assert.deepEqual(history.previous, { tag: 'v1.1.0', version: '1.1.0', sha: c2 })
      assert.deepEqual(
        history.commits.map(c => c.sha),
        [c4, c3]
      )
      assert.deepEqual([decision.version, decision.bump], ['1.2.0', 'minor'])
    }
  })

  it('a shallow clone that cannot be deepened (origin gone, or no origin) says to set fetch-depth: 0', async () => {
    const s = await sandbox()
    commit(s.work, 'chore: init')
    tag(s.work, 'v1.0.0')
    commit(s.work, 'feat: two')
    s.publish()
    const gone = s.clone('gone', { depth: 1 })
    const noRemote = s.clone('no-remote', { depth: 1 })
    git(noRemote, ['remote', 'remove', 'origin'])
    await rm(s.origin, { recursive: true, force: true })
    for (const clone of [gone, noRemote]) {
      await assert.rejects(readHistory(Git.create(clone), { tagPrefix: 'v' }), (error: unknown) => {
        assert.ok(error instanceof LayerActionError)
        assert.match(error.message, /shallow clone/)
        assert.match(error.message, /fetch-depth: 0/)
        return true
      })
    }
  })

  it('a directory without commits is an error that says to run actions/checkout', async () => {
    const s = await sandbox()
    await assert.rejects(readHistory(Git.create(s.work), { tagPrefix: 'v' }), /actions\/checkout/)
  })
})

describe('pushTag on real repositories', () => {
  async function released(): Promise<{ s: Sandbox; head: string; message: string }> {
    const s = await sandbox()
    commit(s.work, 'chore: init')
    tag(s.work, 'v1.0.0')
    commit(s.work, 'fix: y')
    const head = commit(s.work, 'feat(api): x\n\nBREAKING CHANGE: inputs renamed')
    s.publish()
    const history = await readHistory(Git.create(s.work), { tagPrefix: 'v' })
    const decision = decideVersion({
      history,
      tagPrefix: 'v',
      initialVersion: '1.0.0',
      defaultBump: 'patch'
    })
    assert.equal(decision.tag, 'v2.0.0')
    return { s, head, message: formatTagMessage(decision) }
  }

  it('creates an annotated tag on origin with the changelog, tagged by the Actions bot when no identity is set', async () => {
    const { s, head, message } = await released()
    const clone = s.clone('job')
    const result = await pushTag(Git.create(clone), { tag: 'v2.0.0', sha: head, message })
    assert.equal(result, 'created')
    const remote = git(clone, ['ls-remote', 'origin', 'refs/tags/v2.0.0', 'refs/tags/v2.0.0^{}'])
    assert.match(remote, new RegExp(`^${head}\\trefs/tags/v2\\.0\\.0\\^\\{\\}$`, 'm'))
    assert.deepEqual(originTags(s).get('v2.0.0'), { type: 'tag', commit: head })
    const object = git(s.origin, ['cat-file', '-p', 'refs/tags/v2.0.0'])
    assert.match(
      object,
      new RegExp(
        `^tagger ${BOT_NAME.replace(/[[\]]/g, '\\$&')} <${BOT_EMAIL.replace(/[[\]+.]/g, '\\$&')}>`,
        'm'
      )
    )
    assert.match(object, /^Release v2\.0\.0 \(since 1\.0\.0\)$/m)
    assert.match(
      object,
      /^Breaking changes:\n- feat\(api\)!: x \([0-9a-f]{7}\)\n {2}BREAKING CHANGE: inputs renamed$/m
    )
    assert.match(object, /^Fixes:\n- fix: y/m)
  })

  it('uses the configured identity when there is one', async () => {
    const { s, head, message } = await released()
    const clone = s.clone('job')
    git(clone, ['config', 'user.name', 'Release Person'])
    git(clone, ['config', 'user.email', 'release@example.com'])
    await pushTag(Git.create(clone), { tag: 'v2.0.0', sha: head, message })
    assert.match(
      git(s.origin, ['cat-file', '-p', 'refs/tags/v2.0.0']),
      /^tagger Release Person <release@example\.com>/m
    )
  })

  it('a second push at the same commit (another clone, another tag object) → exists', async () => {
    const { s, head, message } = await released()
    assert.equal(
      await pushTag(Git.create(s.clone('first')), { tag: 'v2.0.0', sha: head, message }),
      'created'
    )
    const before = git(s.origin, ['rev-parse', 'refs/tags/v2.0.0'])
    const again = s.clone('second')
    git(again, ['tag', '--delete', 'v2.0.0'])
    assert.equal(
      await pushTag(Git.create(again), { tag: 'v2.0.0', sha: head, message: 'other text' }),
      'exists'
    )
    assert.equal(
      git(s.origin, ['rev-parse', 'refs/tags/v2.0.0']),
      before,
      'the first tag object is kept'
    )
    // and a rerun in the clone that created it
    assert.equal(
      await pushTag(Git.create(s.root + '/first'), { tag: 'v2.0.0', sha: head, message }),
      'exists'
    )
  })

  it('a local tag of that name at the same commit is pushed, not an error', async () => {
    const { s, head, message } = await released()
    const clone = s.clone('job')
    git(clone, ['tag', 'v2.0.0', head])
    assert.equal(await pushTag(Git.create(clone), { tag: 'v2.0.0', sha: head, message }), 'created')
    assert.equal(originTags(s).get('v2.0.0')?.commit, head)
  })

  it('the tag on origin at another commit → error naming that commit', async () => {
    const { s, head, message } = await released()
    const older = git(s.work, ['rev-parse', 'HEAD~1'])
    tag(s.work, 'v2.0.0', { ref: older })
    s.publish()
    const clone = s.clone('job')
    git(clone, ['tag', '--delete', 'v2.0.0'])
    await assert.rejects(
      pushTag(Git.create(clone), { tag: 'v2.0.0', sha: head, message }),
      (error: unknown) => {
        assert.ok(error instanceof LayerActionError)
        assert.match(
          error.message,
          new RegExp(`v2\\.0\\.0 already exists on origin at commit ${older.slice(0, 12)}`)
        )
        return true
      }
    )
    assert.equal(originTags(s).get('v2.0.0')?.commit, older, 'origin is left alone')
  })

  it('a local tag at another commit → error, nothing pushed', async () => {
    const { s, head, message } = await released()
    const clone = s.clone('job')
    git(clone, ['tag', 'v2.0.0', 'HEAD~1'])
    await assert.rejects(
      pushTag(Git.create(clone), { tag: 'v2.0.0', sha: head, message }),
      /already exists in this clone/
    )
    assert.equal(originTags(s).has('v2.0.0'), false)
  })

  it('losing the race at the server (origin’s pre-receive hook creates the tag first) → exists', async () => {
    const { s, head, message } = await released()
    await installHook(
      s.origin,
      'pre-receive',
      `while read old new ref; do env -u GIT_QUARANTINE_PATH git update-ref "$ref" ${head}; done; exit 0`
    )
    const clone = s.clone('job')
    assert.equal(await pushTag(Git.create(clone), { tag: 'v2.0.0', sha: head, message }), 'exists')
    assert.deepEqual(originTags(s).get('v2.0.0'), { type: 'commit', commit: head })
  })

  it('losing the race to another commit (hook creates the tag elsewhere) → error', async () => {
    const { s, head, message } = await released()
    const older = git(s.work, ['rev-parse', 'HEAD~1'])
    await installHook(
      s.origin,
      'pre-receive',
      `while read old new ref; do env -u GIT_QUARANTINE_PATH git update-ref "$ref" ${older}; done; exit 0`
    )
    await assert.rejects(
      pushTag(Git.create(s.clone('job')), { tag: 'v2.0.0', sha: head, message }),
      new RegExp(`already exists on origin at commit ${older.slice(0, 12)}`)
    )
  })

  it('push refused (fault injected: origin’s pre-receive hook declines) → error about contents: write', async () => {
    const { s, head, message } = await released()
    await installHook(
      s.origin,
      'pre-receive',
      'echo "Permission to org/repo.git denied to github-actions[bot]." >&2; exit 1'
    )
    let sleeps = 0
    await assert.rejects(
      pushTag(Git.create(s.clone('job')), {
        tag: 'v2.0.0',
        sha: head,
        message,
        sleep: async () => void sleeps++
      }),
      (error: unknown) => {
        assert.ok(error instanceof LayerActionError)
        assert.match(error.message, /Could not push tag v2\.0\.0 to origin/)
        assert.match(error.message, /Permission to org\/repo\.git denied/)
        assert.match(error.message, /permissions: contents: write/)
        return true
      }
    )
    assert.equal(sleeps, 0, 'a refusal is not retried')
    assert.equal(originTags(s).has('v2.0.0'), false)
  })

  it('three jobs of a matrix push in parallel from separate clones → all succeed, one tag on origin', async () => {
    const { s, head, message } = await released()
    const jobs = ['dev', 'staging', 'prod'].map(env => checkoutLikeActions(s, env))
    const results = await Promise.all(
      jobs.map(async job => {
        const history = await readHistory(Git.create(job), { tagPrefix: 'v' })
        const decision = decideVersion({
          history,
          tagPrefix: 'v',
          initialVersion: '1.0.0',
          defaultBump: 'patch'
        })
        return {
          tag: decision.tag,
          result: await pushTag(Git.create(job), { tag: decision.tag, sha: history.head, message })
        }
      })
    )
    assert.deepEqual(
      new Set(results.map(r => r.tag)),
      new Set(['v2.0.0']),
      'all jobs agree on the version'
    )
    for (const r of results) assert.ok(r.result === 'created' || r.result === 'exists')
    assert.ok(results.some(r => r.result === 'created'))
    const tags = originTags(s)
    assert.deepEqual([...tags.keys()].sort(), ['v1.0.0', 'v2.0.0'])
    assert.equal(tags.get('v2.0.0')?.commit, head)
  })
})

describe('tagRelease: only a version of this commit is tagged, and a rerun finishes the push', () => {
  const REJECT_TAGS =
    'while read old new ref; do case "$ref" in refs/tags/*) echo "GH013: tags are protected" >&2; exit 1;; esac; done'

  it('a push refused once: the rerun in the same workspace (the local tag left by the failed push) pushes it', async () => {
    const s = await sandbox()
    commit(s.work, 'feat: first')
    s.publish()
    const job = s.clone('self-hosted')
    const first = await decide(job)
    assert.equal(first.decision.newTag, true)
    await installHook(s.origin, 'pre-receive', REJECT_TAGS)
    const run = {
      enabled: true,
      released: true,
      release: first.decision,
      sha: first.history.head,
      git: Git.create(job)
    }
    await assert.rejects(tagRelease(run), /Could not push tag v1\.0\.0 to origin: .*GH013/s)
    assert.equal(git(s.origin, ['tag', '--list']), '', 'origin has no tag')
    assert.equal(git(job, ['tag', '--list']), 'v1.0.0', 'the failed push left the local tag')

    git(s.origin, ['config', 'core.hooksPath', '/dev/null'])
    // the rerun reads the history again: HEAD is tagged here, so no new tag, but origin lacks it
    const again = await decide(job)
    assert.deepEqual([again.decision.newTag, again.decision.atHead], [false, true])
    const outcome = await tagRelease({ ...run, release: again.decision })
    assert.deepEqual(outcome, { tag: 'v1.0.0', status: 'created' })
    assert.deepEqual(originTags(s).get('v1.0.0'), { type: 'tag', commit: first.history.head })
    // a third run: already there
    assert.equal((await tagRelease({ ...run, release: again.decision })).status, 'exists')
  })

  it('no version of this commit (reused from another commit), tag false, or default-bump none: no tag and no git call', async () => {
    const s = await sandbox()
    commit(s.work, 'feat: first')
    tag(s.work, 'v1.0.0')
    commit(s.work, 'chore: tidy')
    s.publish()
    const none = await decide(s.work, 'v', 'none')
    const calls: string[][] = []
    const spy = {
      exec: (args: readonly string[]) => (calls.push([...args]), Git.create(s.work).exec(args))
    }
    const base = {
      enabled: true,
      released: true,
      release: none.decision,
      sha: none.history.head,
      git: spy
    }
    assert.match(
      (await tagRelease({ ...base, released: false })).reason ?? '',
      /no layer version was published from this commit/
    )
    assert.match((await tagRelease({ ...base, enabled: false })).reason ?? '', /'tag' is false/)
    assert.match(
      (await tagRelease(base)).reason ?? '',
      /no commit since v1\.0\.0 asks for a new version \(default-bump: none\)/
    )
    assert.deepEqual(calls, [])
    assert.deepEqual([...originTags(s).keys()], ['v1.0.0'])
  })
})

describe('Git', () => {
  it('isGitRepository: a clone yes, a plain or missing directory no', async () => {
    const s = await sandbox()
    const plain = await mkdtemp(path.join(os.tmpdir(), 'layer-plain-'))
    try {
      assert.equal(await isGitRepository(s.work), true)
      assert.equal(await isGitRepository(plain), false)
      assert.equal(await isGitRepository(path.join(plain, 'missing')), false)
    } finally {
      await rm(plain, { recursive: true, force: true })
    }
  })

  it(
    'isGitRepository: a repository owned by another user is an error naming safe.directory',
    { skip: process.getuid?.() !== 0 && 'needs root to give the clone to another user' },
    async () => {
      const s = await sandbox()
      commit(s.work, 'chore: init')
      execFileSync('chown', ['-R', '65534:65534', s.work])
      try {
        await assert.rejects(isGitRepository(s.work), /safe\.directory/)
      } finally {
        execFileSync('chown', ['-R', `${process.getuid?.()}:${process.getgid?.()}`, s.work])
      }
    }
  )

  it('exec throws a GitError with stderr, or returns the failure with allowFailure', async () => {
    const s = await sandbox()
    const g = Git.create(s.work)
    const failed = await g.exec(['rev-parse', '--verify', 'no-such-ref'], { allowFailure: true })
    assert.notEqual(failed.exitCode, 0)
    await assert.rejects(
      g.exec(['rev-parse', '--verify', 'no-such-ref']),
      /git rev-parse --verify no-such-ref failed \(exit code 128\): fatal: Needed a single revision/
    )
  })

  it('credentials in URLs are redacted from messages', async () => {
    assert.equal(
      redact(
        "fatal: unable to access 'https://x-access-token:ghs_secret@github.com/o/r.git/': 403"
      ),
      "fatal: unable to access 'https://***@github.com/o/r.git/': 403"
    )
    const s = await sandbox()
    await assert.rejects(
      Git.create(s.work).exec(['push', 'https://user:hunter2@127.0.0.1:9/o/r.git', 'HEAD']),
      (error: unknown) => {
        assert.ok(error instanceof Error)
        assert.doesNotMatch(error.message, /hunter2/)
        return true
      }
    )
  })
})
