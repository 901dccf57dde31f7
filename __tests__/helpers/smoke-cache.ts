/**
 * What the smoke test verdict tests share: this machine's python3 as the target, and, for the test
 * file that calls useSmokeCache, a loopback Actions cache service and a RUNNER_TEMP of its own in
 * process.env (put back after), with the log captured and emptied before each test.
 */
import { after, before, beforeEach } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { promises as fs } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { findRuntime, type Architecture, type Runtime } from '../../src/runtimes'
import type { SmokeLayerOptions } from '../../src/smoke/smoke'
import { captureLog, type CapturedLog } from './log'
import { startCacheServer, type CacheServer } from './cache-server'

const ask = (python: string, code: string) => execFileSync(python, ['-c', code]).toString().trim()

/** python3's executable, `3.11`, its Lambda runtime and architecture. */
export const python = ask('python3', 'import sys; print(sys.executable)')
export const version = ask(python, 'import sys; print("%d.%d" % sys.version_info[:2])')
export const runtime = findRuntime(version) as Runtime
export const architecture: Architecture =
  ask(python, 'import platform; print(platform.machine())') === 'aarch64' ? 'arm64' : 'x86_64'

export interface SmokeCache {
  tmp: string
  server: CacheServer
  log: CapturedLog
}

/** Registers the hooks; the returned object is filled in before the first test. */
export function useSmokeCache(prefix: string): SmokeCache {
  const state = {} as SmokeCache
  const saved: Record<string, string | undefined> = {}
  before(async () => {
    assert.ok(runtime, `python3 is ${version}, which is no Lambda runtime`)
    state.tmp = await fs.mkdtemp(path.join(os.tmpdir(), prefix))
    state.server = await startCacheServer()
    const env: Record<string, string> = {
      ...state.server.env,
      RUNNER_TEMP: path.join(state.tmp, 'runner-temp')
    }
    for (const [k, v] of Object.entries(env)) {
      saved[k] = process.env[k]
      process.env[k] = v
    }
    state.log = captureLog()
  })
  after(async () => {
    state.log.restore()
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
    await state.server.close()
    await fs.rm(state.tmp, { recursive: true, force: true })
  })
  beforeEach(() => {
    state.log.lines.length = 0
  })
  return state
}

/** A wrapper on PATH that answers the probe as another patch release (`3.11.99`) of python3. */
export async function patchedPython(dir: string): Promise<string> {
  await fs.mkdir(dir, { recursive: true })
  await fs.writeFile(
    path.join(dir, `python${version}`),
    `#!/bin/sh\ncase "$*" in\n  *platform.python_version*) "${python}" "$@" | sed 's/"${version.replace('.', '\\.')}\\.[0-9]*"/"${version}.99"/'; exit ;;\nesac\nexec "${python}" "$@"\n`,
    { mode: 0o755 }
  )
  return dir
}

/** The run variables of run `run` of org/repo on github.example, as the runner sets them. */
export function runEnv(run: string): Record<string, string> {
  return {
    GITHUB_RUN_ID: run,
    GITHUB_SERVER_URL: 'https://github.example',
    GITHUB_REPOSITORY: 'org/repo'
  }
}

/**
 * smokeTestLayer's options as a run of `action` gives them, in run `run`, with the test file's
 * folders and the cache on; `o` overrides any of them.
 */
export function smokeOptions(
  state: SmokeCache,
  action: string,
  run: string,
  o: Partial<SmokeLayerOptions> = {}
): SmokeLayerOptions {
  return {
    runtime,
    architecture,
    layerDir: path.join(state.tmp, 'layer'),
    verdictDir: path.join(state.tmp, 'runner-temp', 'layer-action', 'smoke-verdict'),
    cache: true,
    env: { ...process.env, ...runEnv(run) },
    action,
    ...o
  }
}
