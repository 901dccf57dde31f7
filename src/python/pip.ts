/**
 * Running pip: the user's environment (PIP_* variables and pip's configuration keep working) set up
 * for the log, every line echoed with credentials removed, pip's own error lines picked out. Also
 * what pip would read without running it: the options in pip-args, and the indexes its
 * configuration names.
 */
import * as core from '@actions/core'
import { LayerActionError } from '../errors'
import { Redactor } from '../credentials'
import { pipNetworkFrom, pipVariable, proxyUrl, type PipNetwork } from '../proxies'
import { ProcessStartError, runProcess, type ProcessResult } from './process'
import { PYPI_SIMPLE } from './index-page'

/**
 * Any Python with pip runs pip: markers are evaluated for the target whatever runs it
 * (resolve/pip-target.ts) and wheels are chosen by the target flags. python3 is on every runner, and
 * after actions/setup-python it is the Python that was set up.
 */
export const PIP_PYTHON = 'python3'

/** pip could not be started, or failed for a reason the caller does not explain better. */
export class PipError extends LayerActionError {}

/** The user's environment, with pip's progress unbuffered and a root container's noise off. */
export function pipEnvironment(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    ...base,
    // progress reaches the log as it happens, not when pip exits
    PYTHONUNBUFFERED: '1',
    // only the noise of a root container; older pips lack --root-user-action, so it goes by variable
    PIP_ROOT_USER_ACTION: base.PIP_ROOT_USER_ACTION ?? 'ignore'
  }
}

export interface PipRun {
  /** the interpreter, e.g. `python3` */
  readonly python: string
  /** the interpreter's arguments: `['-m', 'pip', …]`, or a bootstrap's `['-c', code, …]` */
  readonly argv: readonly string[]
  /** what the debug log shows instead of argv (a bootstrap's code is long) */
  readonly shown: string
  readonly env?: NodeJS.ProcessEnv
  readonly cwd?: string
  readonly redactor: Redactor
  /** the level of each line in the log (default: debug) */
  readonly levelOf?: (line: string, stream: 'stdout' | 'stderr') => 'info' | 'debug'
  readonly timeoutMs?: number
}

/** Runs pip; a missing interpreter is a PipError that says what the runner needs. */
export async function runPip(o: PipRun): Promise<ProcessResult> {
  core.debug(o.redactor.redact(`${o.python} ${o.shown}`))
  try {
    return await runProcess(o.python, o.argv, {
      env: pipEnvironment(o.env ?? process.env),
      cwd: o.cwd,
      timeoutMs: o.timeoutMs,
      onLine: (line, stream) => {
        const clean = o.redactor.redact(line)
        if (clean.trim() === '') return
        if (o.levelOf?.(clean, stream) === 'info') core.info(clean)
        else core.debug(clean)
      }
    })
  } catch (error) {
    if (!(error instanceof ProcessStartError)) throw error
    throw new PipError(
      `Could not run ${o.python} to call pip (${error.message}): the runner needs a Python with pip ` +
        '(for instance actions/setup-python before this step).'
    )
  }
}

/** pip's error: from its first ERROR/error line on (at most 25 lines), else its last lines, credentials removed. */
export function pipFailureLines(result: ProcessResult, redactor: Redactor): string {
  const lines = `${result.stdout}\n${result.stderr}`.split('\n').map(l => l.trimEnd())
  const first = lines.findIndex(l => /^\s*(ERROR:|error:)/.test(l))
  const chosen =
    first >= 0 ? lines.slice(first).filter(Boolean).slice(0, 25) : lines.filter(Boolean).slice(-15)
  return redactor.redact(chosen.join('\n'))
}

/**
 * The one reader of pip-args: the value of `--flag value` / `--flag=value` / `-fvalue` (every
 * occurrence); a long flag also as the abbreviations pip takes, down to `shortest[flag]`.
 */
export function pipOptionValues(
  args: readonly string[],
  flags: readonly string[],
  shortest: Readonly<Record<string, string>> = {}
): string[] {
  const values: string[] = []
  args.forEach((arg, i) => {
    for (const flag of flags) {
      if (flag.startsWith('--')) {
        if (!spellsPipOption(arg, flag, shortest[flag])) continue
        const equals = arg.indexOf('=')
        if (equals >= 0) values.push(arg.slice(equals + 1))
        else if (i + 1 < args.length) values.push(args[i + 1])
      } else if (arg === flag && i + 1 < args.length) values.push(args[i + 1])
      else if (arg.startsWith(flag) && arg.length > flag.length) values.push(arg.slice(flag.length))
    }
  })
  return values
}

/** pip-args without the options `flags` and their values, each spelled as pipOptionValues reads it. */
export function withoutPipOptions(
  args: readonly string[],
  flags: readonly string[],
  shortest: Readonly<Record<string, string>> = {}
): string[] {
  const out: string[] = []
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]
    const long = flags.find(f => f.startsWith('--') && spellsPipOption(arg, f, shortest[f]))
    const short = flags.find(f => !f.startsWith('--') && arg.startsWith(f))
    if (long) {
      if (!arg.includes('=')) i++
    } else if (short) {
      if (arg === short) i++
    } else out.push(arg)
  }
  return out
}

/**
 * Whether a pip-args word is the long option `flag`, as pip's optparse reads it: `--flag`,
 * `--flag=value`, or an abbreviation no shorter than `shortest` (the shortest one pip takes as it).
 */
export function spellsPipOption(arg: string, flag: string, shortest = flag): boolean {
  const name = arg.split('=')[0]
  return name.startsWith(shortest) && flag.startsWith(name)
}

/** One `pip config list` per interpreter and environment: the run reads pip's configuration once. */
const configs = new Map<string, Promise<Map<string, string>>>()

/** `pip config list` as `section.key → value` (`:env:.index-url` for PIP_INDEX_URL); nothing is logged, values may hold credentials. */
function pipConfig(python: string, env: NodeJS.ProcessEnv): Promise<Map<string, string>> {
  const key = JSON.stringify([python, Object.entries(env).sort(([a], [b]) => a.localeCompare(b))])
  let config = configs.get(key)
  if (!config) {
    config = readPipConfig(python, env)
    configs.set(key, config)
  }
  return config
}

async function readPipConfig(python: string, env: NodeJS.ProcessEnv): Promise<Map<string, string>> {
  const config = new Map<string, string>()
  try {
    const out = await runProcess(python, ['-m', 'pip', 'config', 'list'], { env })
    for (const line of out.stdout.split('\n')) {
      const m = /^([^=\s]+)=(['"]?)(.*)\2$/.exec(line.trim())
      if (m) config.set(m[1], m[3])
    }
  } catch (error) {
    // no Python to ask: the defaults apply
    if (!(error instanceof ProcessStartError)) throw error
  }
  return config
}

/** The shortest abbreviation pip's optparse takes for each network option (`--prox`: `--pro` is also --progress-bar). */
const NETWORK_OPTIONS: Readonly<Record<string, string>> = {
  '--proxy': '--prox',
  '--no-proxy-env': '--no-pr',
  '--cert': '--ce',
  '--client-cert': '--cl'
}

/**
 * pip's network options as `pip install` takes them: pip-args (the last one wins), else PIP_*
 * variables, else the `[install]` then `[global]` sections of its config files (see ../proxies.ts
 * for what each does and the pip source it follows). A proxy's credentials are masked.
 */
export async function pipNetwork(o: {
  python: string
  pipArgs: readonly string[]
  env: NodeJS.ProcessEnv
}): Promise<PipNetwork> {
  const config = await pipConfig(o.python, o.env)
  const fromArgs = (option: string): string | undefined => {
    const flag = `--${option}`
    if (flag === '--no-proxy-env')
      return o.pipArgs.some(a => spellsPipOption(a, flag, NETWORK_OPTIONS[flag]))
        ? 'true'
        : undefined
    return pipOptionValues(o.pipArgs, [flag], NETWORK_OPTIONS).at(-1)
  }
  const network = pipNetworkFrom(
    option =>
      fromArgs(option) ??
      pipVariable(o.env, option) ??
      (config.get(`:env:.${option}`) ||
        config.get(`install.${option}`) ||
        config.get(`global.${option}`) ||
        undefined)
  )
  // masked wherever it came from (pip-args are masked with the inputs, PIP_PROXY and the files here)
  if (network.proxy) new Redactor([proxyUrl(network.proxy)]).register()
  return network
}

/** pip's index options, and the shortest abbreviation its optparse takes for each long one. */
export const INDEX_OPTIONS = ['--index-url', '-i', '--extra-index-url'] as const
export const INDEX_SHORTEST: Readonly<Record<string, string>> = {
  '--index-url': '--ind',
  '--extra-index-url': '--ext'
}

/**
 * The indexes `pip <command>` would read, in pip's own precedence: command line, then PIP_*
 * variables, then the `[<command>]` and `[global]` sections of its config files, then PyPI.
 */
export async function configuredIndexUrls(o: {
  python: string
  indexUrl?: string
  pipArgs: readonly string[]
  env: NodeJS.ProcessEnv
  /** default `download` */
  command?: 'download' | 'install'
}): Promise<string[]> {
  const config = await pipConfig(o.python, o.env)
  const fromConfig = (key: string): string | undefined =>
    pipVariable(o.env, key) ??
    config.get(`:env:.${key}`) ??
    config.get(`${o.command ?? 'download'}.${key}`) ??
    config.get(`global.${key}`)
  const primary =
    pipOptionValues(o.pipArgs, ['--index-url', '-i'], INDEX_SHORTEST).at(-1) ||
    o.indexUrl ||
    fromConfig('index-url') ||
    PYPI_SIMPLE
  const extras = [
    ...pipOptionValues(o.pipArgs, ['--extra-index-url'], INDEX_SHORTEST),
    ...(fromConfig('extra-index-url') ?? '').split(/\s+/)
  ].filter(Boolean)
  return [...new Set([primary, ...extras])]
}
