/**
 * The smoke test's passing verdict, kept in the Actions cache: the same files imported by the same
 * interpreter with the same test give the same answer, so a rebuild of unchanged dependencies skips
 * the extraction and the imports. A failure is never kept. Deleting the key (`gh cache delete
 * <key>`) makes the next run test again.
 */
import * as core from '@actions/core'
import { createHash } from 'node:crypto'
import { createReadStream, promises as fs } from 'node:fs'
import path from 'node:path'
import type { LayerEntry } from '../assemble/entries'
import { messageOf } from '../errors'
import type { Architecture, Runtime } from '../runtimes'
import type { Interpreter } from './interpreter'

const PREFIX = 'layer-action-smoke'
const FILE = 'verdict.json'

/** What a passing run leaves for the next ones. */
export interface SavedVerdict {
  verdict: 'passed'
  key: string
  /** `3.11.7` */
  python: string
  modules: number
  /** the run that imported the modules: `123456789`, or `local` */
  run: string
  /** its page, when the runner said where it is */
  url?: string
  /** ISO time of the test */
  at: string
}

async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/**
 * The identity of what the smoke test imports, known before anything is zipped or extracted: each
 * file's path, size, mode and content — the CRC-32 the wheel records for it (checked against the
 * bytes when the entry is copied), the SHA-256 of a file from the workspace or written here.
 */
export async function layerDigest(entries: readonly LayerEntry[]): Promise<string> {
  const lines = await Promise.all(
    entries.map(async e => {
      const s = e.source
      const content =
        s.kind === 'wheel'
          ? `crc32:${s.entry.crc.toString(16)}`
          : s.kind === 'file'
            ? `sha256:${await sha256OfFile(s.file)}`
            : `sha256:${createHash('sha256').update(s.data).digest('hex')}`
      return `${JSON.stringify(e.path)} ${e.size} ${e.executable ? 755 : 644} ${content}`
    })
  )
  return createHash('sha256').update(lines.sort().join('\n')).digest('hex')
}

/**
 * This action's version, as the bytes it runs: the SHA-256 of every script of the bundle beside
 * `entry` (dist/index.js and its chunks). Undefined when they cannot be read: then no verdict is
 * trusted, since a new version could test differently.
 */
export async function actionFingerprint(
  entry: string | undefined = process.argv[1]
): Promise<string | undefined> {
  if (!entry) return undefined
  try {
    const dir = path.dirname(path.resolve(entry))
    const scripts = (await fs.readdir(dir)).filter(f => f.endsWith('.js')).sort()
    if (!scripts.includes(path.basename(entry))) return undefined
    const hash = createHash('sha256')
    for (const f of scripts)
      hash
        .update(f)
        .update('\0')
        .update(await fs.readFile(path.join(dir, f)))
    return hash.digest('hex')
  } catch (error) {
    core.debug(`No fingerprint of this action's bundle (${messageOf(error)})`)
    return undefined
  }
}

/**
 * `layer-action-smoke-python3.11-x86_64-<32 hex>`: over the layer's digest, the interpreter's full
 * version, build and platform, the test itself (`recipe`: the importer, the module rules, what is
 * extracted) and this action's version.
 */
export function verdictKey(o: {
  layer: string
  interpreter: Interpreter
  runtime: Runtime
  architecture: Architecture
  recipe: unknown
  action: string
}): string {
  const { version, build, machine, libc } = o.interpreter
  const hash = createHash('sha256')
    .update(
      JSON.stringify({
        layer: o.layer,
        python: { version, build, machine, libc },
        recipe: o.recipe,
        action: o.action
      })
    )
    .digest('hex')
  return `${PREFIX}-${o.runtime.identifier}-${o.architecture}-${hash.slice(0, 32)}`
}

/** The Actions cache client, loaded only when a verdict is looked up: start-up does not pay for it. */
async function actionsCache(): Promise<typeof import('@actions/cache') | undefined> {
  const cache = await import('@actions/cache')
  if (cache.isFeatureAvailable()) return cache
  core.debug('No Actions cache service here: the smoke test verdict is not kept')
  return undefined
}

/** The verdict saved under `key`, when there is one and it is for that key. Never throws. */
export async function restoreVerdict(dir: string, key: string): Promise<SavedVerdict | undefined> {
  try {
    const cache = await actionsCache()
    if (!cache) return undefined
    await fs.rm(dir, { recursive: true, force: true })
    await fs.mkdir(dir, { recursive: true })
    if ((await cache.restoreCache([dir], key)) !== key) return undefined
    const saved = JSON.parse(await fs.readFile(path.join(dir, FILE), 'utf8')) as SavedVerdict
    if (saved.verdict !== 'passed' || saved.key !== key) {
      core.debug(`The cached smoke test verdict under ${key} is not a pass for it: testing again`)
      return undefined
    }
    return saved
  } catch (error) {
    core.debug(`No cached smoke test verdict (${messageOf(error)}): testing`)
    return undefined
  }
}

/** This run's page, from what the runner sets. */
export function thisRun(env: NodeJS.ProcessEnv = process.env): { run: string; url?: string } {
  const { GITHUB_RUN_ID: id, GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repo } = env
  if (!id) return { run: 'local' }
  return { run: id, url: server && repo ? `${server}/${repo}/actions/runs/${id}` : undefined }
}

/** Keeps a passing verdict under `key`. Never throws: a verdict not kept only means testing again. */
export async function saveVerdict(dir: string, verdict: SavedVerdict): Promise<boolean> {
  try {
    const cache = await actionsCache()
    if (!cache) return false
    await fs.rm(dir, { recursive: true, force: true })
    await fs.mkdir(dir, { recursive: true })
    await fs.writeFile(path.join(dir, FILE), `${JSON.stringify(verdict, null, 2)}\n`)
    // -1: not saved (another job saved the same key first, or the service refused); it said why
    return (await cache.saveCache([dir], verdict.key)) !== -1
  } catch (error) {
    core.warning(
      `Could not keep the smoke test verdict (the layer is not affected): ${messageOf(error)}`
    )
    return false
  }
}
