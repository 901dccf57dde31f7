/**
 * pip resolves requirements for the Lambda runtime, not for the runner: `pip install --dry-run
 * --report` with the runtime's platform flags and marker environment (pip-target.ts) reads only
 * metadata where the index serves it (PEP 658) and reports every file's URL and hash. A pip too old
 * for `--report` (before 22.2) downloads instead (`pip download`). A failure is explained by its
 * real cause: a missing wheel (with the chain that pulled it in), an index that answered an HTTP
 * error, or a server that stalled.
 */
import * as core from '@actions/core'
import { messageOf } from '../errors'
import { promises as fs } from 'node:fs'
import * as path from 'node:path'
import { platformTags, type Architecture, type Runtime } from '../runtimes'
import { pipRedactor, redactUrl, type Redactor } from '../credentials'
import { pipOptionValues, runPip } from '../python/pip'
import type { ProcessResult } from '../python/process'
import { pipForTarget } from './pip-target'
import { PIP_TIMEOUT_SECONDS, explainPipFailure, userSetTimeout } from './pip-errors'
import { readPipReport, type ReportItem } from './pip-report'
import { startLookahead } from './pip-lookahead'

/** The flags that make pip choose wheels for the Lambda runtime instead of the runner. */
export function pipTargetArgs(runtime: Runtime, architecture: Architecture): string[] {
  return [
    // Lambda cannot build anything: every distribution must be a prebuilt wheel
    '--only-binary=:all:',
    '--implementation',
    'cp',
    // the full version, so Requires-Python is judged as python_full_version markers are
    '--python-version',
    runtime.fullVersion,
    '--abi',
    runtime.abi,
    '--abi',
    'abi3',
    '--abi',
    'none',
    // pip does not expand manylinux_2_x levels from one --platform: list every one
    ...platformTags(runtime, architecture).flatMap(tag => ['--platform', tag])
  ]
}

export interface PipOptions {
  /** the requirements file (absolute, or relative to cwd) */
  requirements: string
  /** where `pip download` (the fallback) puts the files; scratch for the report */
  wheelhouse: string
  runtime: Runtime
  architecture: Architecture
  /** the interpreter that runs pip, e.g. `python3` */
  python: string
  /** `--index-url`; credentials in it are masked */
  indexUrl?: string
  /** extra arguments from the user, passed to pip */
  pipArgs: readonly string[]
  /** passed through, so the user's pip configuration and PIP_* variables keep working */
  env?: NodeJS.ProcessEnv
  /** where pip runs: relative paths inside the requirements file resolve from here */
  cwd?: string
  /** `--find-links` folders of wheels built on the runner (sdists, local packages) */
  findLinks?: readonly string[]
  /** the requirements file as the user named it, for messages (default: requirements) */
  display?: string
  /**
   * the wheelhouse: when set, pip resolves through the look-ahead (./pip-lookahead.ts), and the
   * wheels it downloads are kept here for fetch
   */
  keep?: string
}

/** Progress worth seeing in the log; the rest (pip's resolver chatter) goes to debug. */
const PROGRESS =
  /^(Collecting|Processing|\s*Downloading|\s*File was already downloaded|Saved|Successfully|Would install|WARNING|ERROR)/

function commonArgs(o: PipOptions): string[] {
  return [
    ...pipTargetArgs(o.runtime, o.architecture),
    ...(o.indexUrl ? ['--index-url', o.indexUrl] : []),
    ...(o.findLinks ?? []).flatMap(dir => ['--find-links', dir]),
    '--no-input',
    '--disable-pip-version-check',
    ...(userSetTimeout(o.pipArgs) ? [] : ['--timeout', String(PIP_TIMEOUT_SECONDS)]),
    // the bar's lines only reach the debug log, and drawing it costs pip CPU on every chunk
    ...(pipOptionValues(o.pipArgs, ['--progress-bar']).length > 0 ? [] : ['--progress-bar', 'off']),
    ...o.pipArgs
  ]
}

/** Runs pip through the bootstrap that evaluates markers for the target (pip-target.ts). */
function runPipForTarget(
  o: PipOptions,
  args: string[],
  redactor: Redactor
): Promise<ProcessResult> {
  const target = pipForTarget(o.runtime, o.architecture, args)
  return runPip({
    python: o.python,
    argv: target.argv,
    shown: `-c <layer-action pip bootstrap> ${args.map(a => (/[\s'"]/.test(a) ? JSON.stringify(a) : a)).join(' ')}`,
    env: { ...(o.env ?? process.env), ...target.env },
    cwd: o.cwd,
    redactor,
    // pip's "Looking in indexes" repeats the index the action has logged once already
    levelOf: (line, stream) => (stream === 'stderr' || PROGRESS.test(line) ? 'info' : 'debug')
  })
}

/** pip before 22.2 has no `--dry-run --report`: optparse says so and exits 2. */
export function lacksReport(result: ProcessResult): boolean {
  return result.code !== 0 && /no such option: --(report|dry-run)/.test(result.stderr)
}

/**
 * `pip install --dry-run --ignore-installed --report` for the target: what pip would install, nothing
 * installed. pip before 23.3 refuses the platform flags without `--target` (a scratch folder: nothing
 * is written there under --dry-run). 'no-report' for a pip too old to report.
 */
export async function resolveReport(o: PipOptions): Promise<ReportItem[] | 'no-report'> {
  const redactor = pipRedactor(o)
  await fs.mkdir(o.wheelhouse, { recursive: true })
  const scratch = await fs.mkdtemp(path.join(o.wheelhouse, '.report-'))
  // a look-ahead that cannot start (no loopback port, say) leaves pip to read the index itself
  const ahead = o.keep
    ? await startLookahead(o, o.keep, redactor).catch((error: unknown) => {
        core.debug(
          `pip reads the indexes itself: the look-ahead did not start (${messageOf(error)})`
        )
        return undefined
      })
    : undefined
  let pipSucceeded = false
  try {
    const report = path.join(scratch, 'report.json')
    const pip = ahead?.pip ?? o
    const args = [
      'install',
      '--dry-run',
      '--ignore-installed',
      '--report',
      report,
      '--target',
      path.join(scratch, 'target'),
      '-r',
      o.requirements,
      ...commonArgs(pip)
    ]
    const result = await runPipForTarget(pip, args, ahead?.redactor ?? redactor)
    if (lacksReport(result)) return 'no-report'
    // explained as if pip had read the real indexes (it did, through the loopback one)
    if (result.code !== 0)
      throw await explainPipFailure(o, ahead?.realResult(result) ?? result, redactor)
    pipSucceeded = true
    const items = readPipReport(await fs.readFile(report, 'utf8'))
    return ahead ? items.map(i => ({ ...i, url: ahead.index.realUrl(i.url) })) : items
  } finally {
    await ahead?.close({ pipSucceeded })
    await fs.rm(scratch, { recursive: true, force: true })
  }
}

/**
 * The fallback for pip before 22.2: downloads every wheel the requirements resolve to into the
 * wheelhouse (files already there are reused). Returns the wheel file names pip resolved to.
 */
export async function downloadWheels(o: PipOptions): Promise<string[]> {
  const redactor = pipRedactor(o)
  await fs.mkdir(o.wheelhouse, { recursive: true })
  const args = ['download', '-r', o.requirements, '-d', o.wheelhouse, ...commonArgs(o)]
  const result = await runPipForTarget(o, args, redactor)
  if (result.code !== 0) throw await explainPipFailure(o, result, redactor)
  const names = new Set<string>()
  for (const m of result.stdout.matchAll(
    /^\s*(?:Saved|File was already downloaded) (.+\.whl)\s*$/gm
  )) {
    names.add(path.basename(m[1]))
  }
  if (names.size === 0) {
    // a pip whose wording differs: fall back to what the wheelhouse holds
    for (const f of await fs.readdir(o.wheelhouse)) if (f.endsWith('.whl')) names.add(f)
  }
  return [...names].sort()
}

export function logIndex(o: { indexUrl?: string; redactor: Redactor }): void {
  core.info(
    `Index: ${o.indexUrl ? o.redactor.redact(redactUrl(o.indexUrl)) : "pip's configured index"}`
  )
}
