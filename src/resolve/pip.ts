/**
 * Wheels for the Lambda runtime, not for the runner: `pip download` into a wheelhouse with the
 * runtime's platform tags. pip resolves and downloads; the layer is assembled from the wheels
 * themselves (src/assemble/).
 */
import * as core from '@actions/core'
import { spawn } from 'node:child_process'
import { promises as fs } from 'node:fs'
import * as path from 'node:path'
import { LayerActionError, messageOf } from '../errors'
import { platformTags, type Architecture, type Runtime } from '../runtimes'
import { pipRedactor, type Redactor } from '../credentials'
import { configuredIndexUrls, readProjectPage, type ProjectListing } from '../python/index-page'
import { describeTarget, explainNoWheel } from './no-wheel'
import { pipForTarget } from './pip-target'

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
  wheelhouse: string
  runtime: Runtime
  architecture: Architecture
  /** the interpreter that runs pip, e.g. `python3` */
  python: string
  /** `--index-url`; credentials in it are masked */
  indexUrl?: string
  /** extra arguments from the user, passed to pip download */
  pipArgs: readonly string[]
  /** passed through, so the user's pip configuration and PIP_* variables keep working */
  env?: NodeJS.ProcessEnv
  /** where pip runs: relative paths inside the requirements file resolve from here */
  cwd?: string
  /** `--find-links` folders of wheels built on the runner (sdists, local packages) */
  findLinks?: readonly string[]
}

/** pip failed for a reason other than a missing wheel; the message carries pip's own error lines. */
export class PipError extends LayerActionError {}

/** No wheel of a requirement fits the runtime; the message lists what exists and what to change. */
export class NoCompatibleWheelError extends LayerActionError {
  constructor(
    message: string,
    readonly project: string,
    readonly requirement: string,
    readonly runtime: Runtime,
    readonly architecture: Architecture,
    /** what the indexes list for the project (read for the message; sdists are built from it) */
    readonly listings: readonly ProjectListing[] = []
  ) {
    super(message)
  }
}

interface PipResult {
  code: number
  stdout: string
  stderr: string
}

/** The user's environment (PIP_* variables and pip's configuration keep working), set up for the log. */
export function pipEnvironment(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    ...base,
    // progress reaches the log as it happens, not when pip exits
    PYTHONUNBUFFERED: '1',
    // only the noise of a root container; older pips lack --root-user-action, so it goes by variable
    PIP_ROOT_USER_ACTION: base.PIP_ROOT_USER_ACTION ?? 'ignore'
  }
}

/**
 * Runs pip (through the bootstrap that evaluates markers for the target, pip-target.ts), echoing
 * each line (credentials removed) at the level `levelOf` picks.
 */
async function runPip(
  o: PipOptions,
  args: string[],
  redactor: Redactor,
  levelOf: (line: string, stream: 'stdout' | 'stderr') => 'info' | 'debug'
): Promise<PipResult> {
  const target = pipForTarget(o.runtime, o.architecture, args)
  const argv = target.argv
  core.debug(
    redactor.redact(
      `${o.python} -c <layer-action pip bootstrap> ${args.map(a => (/[\s'"]/.test(a) ? JSON.stringify(a) : a)).join(' ')}`
    )
  )
  const env = { ...pipEnvironment(o.env ?? process.env), ...target.env }
  return new Promise((resolve, reject) => {
    const child = spawn(o.python, argv, { env, cwd: o.cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    const output = { stdout: '', stderr: '' }
    for (const stream of ['stdout', 'stderr'] as const) {
      let pending = ''
      const emit = (line: string): void => {
        const clean = redactor.redact(line.replace(/\r/g, ''))
        if (clean.trim() === '') return
        if (levelOf(clean, stream) === 'info') core.info(clean)
        else core.debug(clean)
      }
      child[stream].setEncoding('utf8')
      child[stream].on('data', (chunk: string) => {
        output[stream] += chunk
        const lines = (pending + chunk).split('\n')
        pending = lines.pop() ?? ''
        lines.forEach(emit)
      })
      child[stream].on('end', () => {
        if (pending) emit(pending)
        pending = ''
      })
    }
    child.on('error', error =>
      reject(
        new PipError(
          `Could not run ${o.python} to call pip (${messageOf(error)}): the runner needs a Python with pip ` +
            '(for instance actions/setup-python before this step).'
        )
      )
    )
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), ...output }))
  })
}

/** pip's error (from its first ERROR line on, or its last lines), credentials removed. */
function pipErrorLines(result: PipResult, redactor: Redactor): string {
  const lines = result.stderr.split('\n').map(l => l.trimEnd())
  const first = lines.findIndex(l => /^ERROR:/.test(l))
  const chosen =
    first >= 0 ? lines.slice(first).filter(Boolean).slice(0, 20) : lines.filter(Boolean).slice(-15)
  return redactor.redact(chosen.join('\n'))
}

/** `(requirement)` from pip's "No matching distribution found for toonew==2.0" (pip 20–25 wording). */
function missingRequirement(stderr: string): string | undefined {
  return /No matching distribution found for (\S+)/.exec(stderr)?.[1]
}

/** The parent of a missing dependency: "…satisfies the requirement b>=1 (from a) (from versions: …)". */
function requiringPackage(stderr: string): string | undefined {
  return /satisfies the requirement \S+ \(from ([^)]+)\) \(from versions/.exec(stderr)?.[1]
}

/** pip's line about versions skipped for their Requires-Python, when there is one. */
function pipNotes(stderr: string): string[] {
  return stderr
    .split('\n')
    .map(l => l.replace(/^ERROR:\s*/, '').trim())
    .filter(l => l.startsWith('Ignored the following versions'))
}

async function noWheelError(
  o: PipOptions,
  requirement: string,
  stderr: string,
  redactor: Redactor
): Promise<NoCompatibleWheelError> {
  const project = /^[A-Za-z0-9][A-Za-z0-9._-]*/.exec(requirement)?.[0] ?? requirement
  const env = o.env ?? process.env
  const indexes = await configuredIndexUrls({
    python: o.python,
    indexUrl: o.indexUrl,
    pipArgs: o.pipArgs,
    env
  })
  const listings = await Promise.all(indexes.map(url => readProjectPage(url, project)))
  const target = { runtime: o.runtime, architecture: o.architecture }
  const message = redactor.redact(
    explainNoWheel({
      requirement,
      project,
      target,
      listings,
      requiredBy: requiringPackage(stderr),
      pipNotes: pipNotes(stderr)
    })
  )
  return new NoCompatibleWheelError(
    message,
    project,
    requirement,
    o.runtime,
    o.architecture,
    listings
  )
}

/** Progress worth seeing in the log; the rest (pip's resolver chatter) goes to debug. */
const DOWNLOAD_INFO =
  /^(Looking in|Collecting|Processing|\s*Downloading|\s*File was already downloaded|Saved|Successfully|WARNING|ERROR)/

/**
 * Downloads every wheel the requirements resolve to for the runtime into the wheelhouse (files
 * already there are reused, which is what makes a restored cache pay). Returns the wheel file names
 * pip resolved to in this run.
 */
export async function downloadWheels(o: PipOptions): Promise<string[]> {
  const redactor = pipRedactor(o)
  await fs.mkdir(o.wheelhouse, { recursive: true })
  const args = [
    'download',
    '-r',
    o.requirements,
    '-d',
    o.wheelhouse,
    ...pipTargetArgs(o.runtime, o.architecture),
    ...(o.indexUrl ? ['--index-url', o.indexUrl] : []),
    ...(o.findLinks ?? []).flatMap(dir => ['--find-links', dir]),
    '--no-input',
    '--disable-pip-version-check',
    ...o.pipArgs
  ]
  const target = describeTarget({ runtime: o.runtime, architecture: o.architecture })
  const from = o.indexUrl ? redactor.redact(o.indexUrl) : "pip's configured index"
  core.info(`Downloading wheels for ${target} from ${from} into ${o.wheelhouse}`)
  const result = await runPip(o, args, redactor, (line, stream) =>
    stream === 'stderr' || DOWNLOAD_INFO.test(line) ? 'info' : 'debug'
  )
  if (result.code !== 0) {
    const requirement = missingRequirement(result.stderr)
    if (requirement) throw await noWheelError(o, requirement, result.stderr, redactor)
    throw new PipError(
      `pip could not download the wheels of ${o.requirements} for ${target} ` +
        `(exit code ${result.code}):\n${pipErrorLines(result, redactor)}`
    )
  }
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
