/**
 * End to end: the smoke test's verdict kept in and read back from the Actions cache by the bundled
 * dist/index.js, run as the runner runs it, against a local index of generated wheels, a real git
 * repository and the loopback Actions cache service stand-in.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import path from 'node:path'
import { ok, runAction } from '../helpers/action'
import { hermeticPipEnv } from '../helpers/pip-env'
import { localPython } from '../helpers/python'
import { greetingProject, type GreetingProject } from '../helpers/greeting'

const PY = localPython()

let project: GreetingProject

before(async () => {
  project = await greetingProject('layer-e2e-smoke-')
})

after(() => project?.close())

test('the smoke test verdict: kept by the first run, reused by the next (named in the log and the summary), tested again once its key is deleted', async () => {
  const env = {
    ...hermeticPipEnv(),
    ...project.cacheEnv,
    GITHUB_RUN_ID: '1001',
    GITHUB_SERVER_URL: 'https://github.example',
    GITHUB_REPOSITORY: 'org/repo'
  }
  const inputs = {
    'layer-name': 'common',
    'python-version': PY,
    'index-url': project.index.url,
    publish: 'false',
    cache: 'true'
  }
  // one RUNNER_TEMP, as on a runner: the cache entries' versions cover their paths
  const runnerTemp = path.join(project.dir, 'runner-temp')
  const again = async (runId: string) => {
    // a new job: nothing on disk but what the cache restores
    await rm(path.join(runnerTemp, 'layer-action'), { recursive: true, force: true })
    return ok(
      await runAction({
        inputs,
        workspace: project.sandbox.work,
        env: { ...env, GITHUB_RUN_ID: runId },
        tmp: project.dir,
        runnerTemp
      })
    )
  }

  const first = await again('1001')
  assert.match(
    first.stdout,
    /No smoke test verdict for these bytes on [\d.]+ \(layer-action-smoke-[^)]+\): testing/
  )
  assert.match(first.stdout, /Smoke test with .*: 1 of 1 top-level modules import/)
  const key = /Kept the smoke test verdict \((layer-action-smoke-[^)]+-run1001)\)/.exec(
    first.stdout
  )?.[1]
  assert.ok(key, first.stdout)
  assert.ok(project.server.entries().some(e => e.key === key))
  assert.match(
    first.summary,
    /\| Smoke test \| 1 module imports on .*cache key <code>layer-action-smoke-/
  )

  const second = await again('1002')
  assert.match(
    second.stdout,
    new RegExp(
      `Smoke test: passed for these bytes on [\\d.]+ in run 1001 \\(https://github\\.example/org/repo/actions/runs/1001\\).*'gh cache delete ${key}' makes the next run test again`
    )
  )
  assert.doesNotMatch(second.stdout, /Extracted \d+ files|Smoke test with /)
  assert.match(
    second.summary,
    /\| Smoke test \| passed for these bytes on [\d.]+ in run \[1001\]\(<https:\/\/github\.example\/org\/repo\/actions\/runs\/1001>\), not run again/
  )
  assert.equal(second.outputs['code-sha256'], first.outputs['code-sha256'])

  // gh cache delete <key>
  project.server.remove(key)
  const third = await again('1003')
  assert.match(third.stdout, /Smoke test with .*: 1 of 1 top-level modules import/)
  assert.match(third.stdout, /Kept the smoke test verdict \(layer-action-smoke-[^)]+-run1003\)/)
})
