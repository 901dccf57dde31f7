/**
 * The smallest project an end-to-end run of the bundle needs: one pure-Python wheel ('greeting')
 * on a local index, a git repository whose requirements.txt names it, and the loopback Actions
 * cache service.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { makeIndex, makeWheel, serveIndex, type ServedIndex } from './wheels'
import { createSandbox, commit, git, isolateGit, type Sandbox } from './git'
import { startCacheServer, type CacheServer } from './cache-server'

export interface GreetingProject {
  /** a scratch folder of the test's own (runner files go here) */
  readonly dir: string
  readonly index: ServedIndex
  readonly server: CacheServer
  readonly sandbox: Sandbox
  /** the Actions cache service's variables, for the action's environment */
  readonly cacheEnv: NodeJS.ProcessEnv
  close(): Promise<void>
}

export async function greetingProject(prefix: string): Promise<GreetingProject> {
  const home = await isolateGit()
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix))
  const wheels = path.join(dir, 'wheels')
  await makeIndex(path.join(dir, 'index'), [
    await makeWheel(wheels, {
      name: 'greeting',
      version: '1.0.0',
      tags: 'py3-none-any',
      modules: { 'greeting/__init__.py': 'def hello():\n    return "hi"\n' }
    })
  ])
  const index = await serveIndex(path.join(dir, 'index'))
  const server = await startCacheServer()
  const sandbox = await createSandbox()
  await writeFile(path.join(sandbox.work, 'requirements.txt'), 'greeting\n')
  git(sandbox.work, ['add', 'requirements.txt'])
  commit(sandbox.work, 'feat: first layer')
  return {
    dir,
    index,
    server,
    sandbox,
    cacheEnv: server.env,
    async close() {
      await index.close()
      await server.close()
      await sandbox.remove()
      await rm(dir, { recursive: true, force: true })
      await rm(home, { recursive: true, force: true })
    }
  }
}
