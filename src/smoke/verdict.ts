/**
 * The smoke test's passing verdict, kept in the Actions cache: the same files imported by the same
 * interpreter with the same test give the same answer, so a rebuild of unchanged dependencies skips
 * the extraction and the imports. A failure is never kept. Deleting the key (`gh cache delete
 * <key>`) makes the next run test again.
 */
import * as core from '@actions/core'
import { actionsCache } from '../actions-cache'
import { createHash } from 'node:crypto'
import { promises as fs } from 'node:fs'
import path from 'node:path'
import type { LayerEntry } from '../assemble/entries'
import { sha256File } from '../digests'
import { messageOf } from '../errors'
import type { Architecture, Runtime } from '../runtimes'
import type { Interpreter } from './interpreter'

const PREFIX = 'layer-action-smoke'
const FILE = 'verdict.json'

/** A pass found in the cache: its full key names the Python it ran on and the run. */
export interface SavedVerdict {
  /** `layer-action-smoke-python3.11-x86_64-<hash>-3.11.7-run123456789` */
  key: string
  /** `3.11.7` */
  python: string
  /** the run that imported the modules: `123456789`, or `local` */
  run: string
  /** its page, when the runner says which repository this is (the cache is the repository's) */
  url?: string
}

/**
 * One file's identity: its path, size, mode and content — the CRC-32 the wheel records for it
 * (checked against the bytes when the entry is copied), the SHA-256 of a file from the workspace or
 * written here.
 */
export async function entryLine(e: LayerEntry): Promise<string> {
  const s = e.source
  const content =
    s.kind === 'wheel'
      ? `crc32:${s.entry.crc.toString(16)}`
      : s.kind === 'file'
        ? `sha256:${await sha256File(s.file)}`
        : `sha256:${createHash('sha256').update(s.data).digest('hex')}`
  return `${JSON.stringify(e.path)} ${e.size} ${e.executable ? 755 : 644} ${content}`
}

/** The SHA-256 of a set of files' identities (entryLine), whatever their order. */
export function digestOfLines(lines: readonly string[]): string {
  return createHash('sha256')
    .update([...lines].sort().join('\n'))
    .digest('hex')
}

/** The identity of what the smoke test imports, known before anything is zipped or extracted. */
export async function layerDigest(entries: readonly LayerEntry[]): Promise<string> {
  return digestOfLines(await Promise.all(entries.map(entryLine)))
}

let running: Promise<string | undefined> | undefined

/** This running action's fingerprint, read once per process (run() starts it while the wheels are restored). */
export function thisActionFingerprint(): Promise<string | undefined> {
  running ??= actionFingerprint(process.argv[1])
  return running
}

/**
 * This action's version, as the bytes it runs: the SHA-256 of every script of the bundle beside
 * `entry` (dist/index.js and its chunks). Undefined when they cannot be read: then no verdict is
 * trusted, since a new version could test differently.
 */
export function actionFingerprint(
  entry: string | undefined = process.argv[1]
): Promise<string | undefined> {
  return entry ? fingerprintOf(path.resolve(entry)) : Promise.resolve(undefined)
}

async function fingerprintOf(entry: string): Promise<string | undefined> {
  try {
    const dir = path.dirname(entry)
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

/** The Actions cache client, or undefined (said at debug level) where there is no cache service. */
async function verdictCache(): Promise<typeof import('@actions/cache') | undefined> {
  const cache = await actionsCache()
  if (!cache) core.debug('No Actions cache service here: the smoke test verdict is not kept')
  return cache
}

/** The run that is testing now, as the key of its pass will name it. */
export function runOf(env: NodeJS.ProcessEnv): string {
  return /^\w+$/.test(env.GITHUB_RUN_ID ?? '') ? (env.GITHUB_RUN_ID as string) : 'local'
}

/** A run's page, when the runner says which repository this is (the cache is the repository's). */
export function runUrl(run: string, env: NodeJS.ProcessEnv): string | undefined {
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repo } = env
  return run !== 'local' && server && repo ? `${server}/${repo}/actions/runs/${run}` : undefined
}

/** `<identity>-<python>-run<id>`: the key of a pass. A pass is the key itself; nothing needs downloading to read it. */
export function passKey(
  identity: string,
  python: string,
  env: NodeJS.ProcessEnv = process.env
): string {
  return `${identity}-${python.replace(/[^\w.]/g, '_')}-run${runOf(env)}`
}

/** The pass kept for `identity` (verdictKey), from a lookup alone: nothing is downloaded. Never throws. */
export async function restoreVerdict(
  dir: string,
  identity: string,
  env: NodeJS.ProcessEnv = process.env
): Promise<SavedVerdict | undefined> {
  try {
    const cache = await verdictCache()
    if (!cache) return undefined
    const key = await cache.restoreCache([dir], identity, [`${identity}-`], { lookupOnly: true })
    const named = key ? /^-([\w.]+)-run(\w+)$/.exec(key.slice(identity.length)) : null
    if (!key || !named) return undefined
    const [, python, run] = named
    return { key, python, run, url: runUrl(run, env) }
  } catch (error) {
    core.debug(`No cached smoke test verdict (${messageOf(error)}): testing`)
    return undefined
  }
}

/**
 * Whether the pass `key` (passKey) is still in the cache, from a lookup alone. A per-module verdict
 * names the pass of the run that tested it: deleting that key withdraws them together. Never throws.
 */
export async function passKept(dir: string, key: string): Promise<boolean> {
  try {
    const cache = await verdictCache()
    return (await cache?.restoreCache([dir], key, [], { lookupOnly: true })) === key
  } catch (error) {
    core.debug(`Could not look up the smoke test verdict ${key} (${messageOf(error)})`)
    return false
  }
}

/**
 * Keeps a pass under `key` (passKey). The entry holds a small note of what was tested; its key is
 * what later runs read. Never throws: a verdict not kept only means testing again.
 */
export async function saveVerdict(
  dir: string,
  key: string,
  note: { modules: readonly string[] }
): Promise<boolean> {
  try {
    const cache = await verdictCache()
    if (!cache) return false
    await fs.rm(dir, { recursive: true, force: true })
    await fs.mkdir(dir, { recursive: true })
    await fs.writeFile(
      path.join(dir, FILE),
      `${JSON.stringify({ verdict: 'passed', key, modules: note.modules, at: new Date().toISOString() }, null, 2)}\n`
    )
    // -1: not saved (another job saved the same key first, or the service refused); it said why
    return (await cache.saveCache([dir], key)) !== -1
  } catch (error) {
    core.warning(
      `Could not keep the smoke test verdict (the layer is not affected): ${messageOf(error)}`
    )
    return false
  }
}
