/**
 * The plan against real git repositories: what one `git rev-parse` tells (inspectRepository), and
 * how few git processes the whole plan starts, counted by a `git` on PATH that logs each call
 * before running the real one.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { inspectRepository } from '../../src/release/git'
import { getInputs } from '../../src/inputs'
import { makePlan } from '../../src/plan'
import { setInputs } from '../helpers/action'
import { captureLog, type CapturedLog } from '../helpers/log'
import { commit, createSandbox, git, isolateGit, tag, type Sandbox } from '../helpers/git'

let home: string
let dir: string
let sandbox: Sandbox
let log: CapturedLog

before(async () => {
  home = await isolateGit()
  dir = await mkdtemp(path.join(os.tmpdir(), 'layer-plan-'))
  sandbox = await createSandbox()
  await writeFile(path.join(sandbox.work, 'requirements.txt'), 'six\n')
  git(sandbox.work, ['add', 'requirements.txt'])
  for (let i = 1; i <= 5; i++) {
    await writeFile(path.join(sandbox.work, 'file.txt'), `${i}\n`)
    git(sandbox.work, ['add', 'file.txt'])
    commit(sandbox.work, i === 5 ? 'feat: five' : `fix: ${i}`)
    if (i === 3) tag(sandbox.work, 'v1.2.0')
  }
  sandbox.publish()
  log = captureLog()
})

after(async () => {
  log.restore()
  await sandbox.remove()
  await rm(dir, { recursive: true, force: true })
  await rm(home, { recursive: true, force: true })
})

test('inspectRepository: HEAD and shallowness in one call; no commit yet; no repository at all', async () => {
  const head = git(sandbox.work, ['rev-parse', 'HEAD'])
  assert.deepEqual(await inspectRepository(sandbox.work), { head, shallow: false })
  assert.deepEqual(await inspectRepository(sandbox.clone('shallow', { depth: 1 })), {
    head,
    shallow: true
  })
  const fresh = path.join(dir, 'fresh')
  await mkdir(fresh)
  git(fresh, ['init', '-q'])
  assert.deepEqual(await inspectRepository(fresh), { head: undefined, shallow: false })
  const plain = path.join(dir, 'plain')
  await mkdir(plain)
  assert.equal(await inspectRepository(plain), undefined)
  assert.equal(await inspectRepository(path.join(dir, 'missing')), undefined)
})

test('the plan asks git four times on a full clone (once for HEAD and shallowness), and deepens a shallow one', async () => {
  const bin = path.join(dir, 'logging-git')
  const calls = path.join(dir, 'git-calls.log')
  const real = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim()
  await mkdir(bin, { recursive: true })
  await writeFile(
    path.join(bin, 'git'),
    `#!/bin/sh\necho "$*" >> '${calls}'\nexec '${real}' "$@"\n`
  )
  await chmod(path.join(bin, 'git'), 0o755)
  const path0 = process.env.PATH
  process.env.PATH = `${bin}${path.delimiter}${path0}`
  const plan = async (workspace: string) => {
    const restore = setInputs({ 'layer-name': 'plan', publish: 'false' })
    const saved = process.env.GITHUB_WORKSPACE
    process.env.GITHUB_WORKSPACE = workspace
    try {
      return await makePlan(getInputs())
    } finally {
      restore()
      process.env.GITHUB_WORKSPACE = saved
    }
  }
  try {
    const full = await plan(sandbox.work)
    assert.equal(full.release.version, '1.3.0')
    assert.equal(full.release.previousVersion, '1.2.0')
    const asked = (await readFile(calls, 'utf8')).trim().split('\n')
    assert.equal(asked.length, 4, asked.join('\n'))
    assert.match(
      asked[0],
      /^rev-parse --is-shallow-repository --absolute-git-dir --verify --quiet HEAD\^\{commit\}$/
    )

    await rm(calls)
    const shallow = await plan(sandbox.clone('plan-shallow', { depth: 1 }))
    assert.equal(shallow.release.version, '1.3.0')
    assert.match(await readFile(calls, 'utf8'), /fetch --unshallow --tags/)
  } finally {
    process.env.PATH = path0
  }
})
