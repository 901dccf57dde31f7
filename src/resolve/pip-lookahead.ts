/**
 * pip's resolve, sped up where it is safe to: when every index pip would read is an https index
 * (or one on this machine) without credentials in its URL, and pip routes no request through a
 * proxy of its own setting, pip is pointed at the loopback index (./loopback-index.ts) that the
 * look-ahead (./lookahead.ts) fills in parallel. pip's choice, its checks and its errors stay pip's:
 * the report's URLs and pip's output are mapped back to the real ones. Anything else — a
 * credential, pip's --proxy, --no-index, LAYER_ACTION_LOOKAHEAD=false — runs pip as it is.
 */
import * as core from '@actions/core'
import { Redactor } from '../credentials'
import { HttpClient } from '../http'
import { markerEnvironment } from '../runtimes'
import {
  INDEX_OPTIONS,
  INDEX_SHORTEST,
  configuredIndexUrls,
  pipNetwork,
  pipOptionValues,
  spellsPipOption,
  withoutPipOptions
} from '../python/pip'
import type { ProcessResult } from '../python/process'
import { readRequirementLines } from '../python/requirements'
import { Lookahead } from './lookahead'
import { serveLoopbackIndex, type LoopbackIndex } from './loopback-index'
import { PIP_TIMEOUT_SECONDS } from './pip-errors'
import type { PipOptions } from './pip'

/** Set to `false` to resolve without the look-ahead (pip reads the indexes itself). */
export const LOOKAHEAD_VARIABLE = 'LAYER_ACTION_LOOKAHEAD'

export interface PipLookahead {
  /** the options pip runs with: the indexes are the loopback ones, given by PIP_INDEX_URL and PIP_EXTRA_INDEX_URL */
  readonly pip: PipOptions
  /** pip's lines with the loopback URLs replaced by the real ones, then redacted */
  readonly redactor: Redactor
  readonly index: LoopbackIndex
  /** pip's output as if it had read the real indexes (for the explanation of a failure) */
  realResult(result: ProcessResult): ProcessResult
  /**
   * Stops the walk, waits for the wheel downloads under way (aborts them when pip failed), closes
   * the index; logs what it did.
   */
  close(o: { pipSucceeded: boolean }): Promise<void>
}

/** Why pip reads the indexes itself; undefined when the look-ahead can run. */
async function notEligible(o: PipOptions, indexes: readonly string[]): Promise<string | undefined> {
  const env = o.env ?? process.env
  if (env[LOOKAHEAD_VARIABLE] === 'false') return `${LOOKAHEAD_VARIABLE}=false`
  for (const index of indexes) {
    let url: URL
    try {
      url = new URL(index)
    } catch {
      return `the index ${index} is no URL`
    }
    if (url.username || url.password) return 'an index URL carries credentials'
    const local = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/.test(url.hostname)
    // pip refuses plain http from other hosts unless --trusted-host says otherwise: left to pip
    if (!(url.protocol === 'https:' || (url.protocol === 'http:' && local)))
      return `the index ${url.protocol}//${url.host} is not https`
  }
  if (o.pipArgs.some(a => spellsPipOption(a, '--no-index', '--no-ind')))
    return 'pip-args say --no-index'
  if ((await pipNetwork({ python: o.python, pipArgs: o.pipArgs, env })).proxy)
    return "pip's own --proxy setting"
  return undefined
}

/** Starts the look-ahead and its loopback index for this pip run, or says (in debug) why not. */
export async function startLookahead(
  o: PipOptions,
  keep: string,
  redactor: Redactor
): Promise<PipLookahead | undefined> {
  const env = o.env ?? process.env
  const indexes = await configuredIndexUrls({
    python: o.python,
    indexUrl: o.indexUrl,
    pipArgs: o.pipArgs,
    env,
    command: 'install'
  })
  const why = await notEligible(o, indexes)
  const { requirements, options } = await readRequirementLines(o.requirements, env)
  const inFile = options.find(l => /^(-i|--index-url|--extra-index-url|--no-index)\b/.test(l))
  if (why || inFile) {
    core.debug(
      `pip reads the indexes itself: ${why ?? `the requirements name indexes (${inFile})`}`
    )
    return undefined
  }
  const timeout = Number(pipOptionValues(o.pipArgs, ['--timeout']).at(-1)) || PIP_TIMEOUT_SECONDS
  // one attempt: a request that fails is pip's to make (redirected to the real URL), with pip's
  // own retries (--retries); the walk retrying would only hold pip back (a 500 page: 12 s, not 2)
  const client = new HttpClient({ env, timeouts: { attempts: 1 } })
  const lookahead = new Lookahead({
    indexes,
    client,
    target: { runtime: o.runtime, architecture: o.architecture },
    env: markerEnvironment(o.runtime, o.architecture),
    dir: keep,
    pre: o.pipArgs.includes('--pre')
  })
  const index = await serveLoopbackIndex(lookahead, {
    indexes,
    // an answer not at hand by then is pip's to fetch, well inside its own timeout
    waitMs: Math.min(10_000, (timeout * 1000) / 3),
    wheelWaitMs: Math.min(20_000, (timeout * 1000) / 2)
  })
  lookahead.start(requirements)
  const noProxy = [env.no_proxy, env.NO_PROXY, index.host].filter(Boolean).join(',')
  const pip: PipOptions = {
    ...o,
    indexUrl: undefined,
    pipArgs: withoutPipOptions(o.pipArgs, INDEX_OPTIONS, INDEX_SHORTEST),
    // variables, not arguments: they beat pip's config files, and `ps` does not show the token
    env: {
      ...env,
      PIP_INDEX_URL: index.urls[0],
      PIP_EXTRA_INDEX_URL: index.urls.slice(1).join(' '),
      no_proxy: noProxy,
      NO_PROXY: noProxy
    }
  }
  const started = performance.now()
  core.info(
    `pip resolves through a loopback index that reads ${indexes.length === 1 ? 'the index' : `the ${indexes.length} indexes`} ahead in parallel (${LOOKAHEAD_VARIABLE}=false turns this off)`
  )
  return {
    pip,
    redactor: new RealUrls(redactor, index.realText),
    index,
    realResult: r => ({ ...r, stdout: index.realText(r.stdout), stderr: index.realText(r.stderr) }),
    close: async ({ pipSucceeded }) => {
      await lookahead.stop({ keepDownloads: pipSucceeded })
      await index.close()
      await client.close()
      const s = lookahead.stats
      core.info(
        `Look-ahead: the pages of ${s.pages} project(s) and ${s.metadata} metadata file(s) read in parallel, ${s.asked} of the files first asked for by pip; ${s.wheels} wheel(s) downloaded for pip and kept for fetch; ${index.redirected} request(s) sent on to the index (${((performance.now() - started) / 1000).toFixed(2)} s)`
      )
    }
  }
}

/** A redactor that first puts the real URLs back into pip's lines. */
class RealUrls extends Redactor {
  constructor(
    private readonly inner: Redactor,
    private readonly real: (text: string) => string
  ) {
    super([])
  }

  override redact(text: string): string {
    return this.inner.redact(this.real(text))
  }
}
