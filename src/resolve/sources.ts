/**
 * Source distributions and local packages → wheels, built on the runner with the package's own
 * build backend (`pip wheel --no-deps`). A layer only takes what would load on Lambda from such a
 * build: pure-Python wheels. Anything compiled here is compiled for the runner, not for Lambda.
 */
import * as core from '@actions/core'
import { spawn } from 'node:child_process'
import { mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { LayerActionError, messageOf } from '../errors'
import { wheelMachine } from '../runtimes'
import { pipRedactor, type Redactor } from '../credentials'
import type { ProjectListing } from '../python/index-page'
import { findLocalPackages, rewriteRequirements } from './local-packages'
import { describeTarget } from './no-wheel'
import { NoCompatibleWheelError, downloadWheels, pipEnvironment, type PipOptions } from './pip'
import { compareVersions, parseDistributionFile, type Target } from '../python/wheel-tags'

export interface SourceBuild {
  /** an sdist file, a source tree (directory with pyproject.toml or setup.py) */
  readonly source: string
  /** where the wheel is put */
  readonly outDir: string
  /** the interpreter that runs pip and the build backend */
  readonly python: string
  readonly env?: NodeJS.ProcessEnv
  /** where build backends come from (build isolation) */
  readonly indexUrl?: string
  readonly pipArgs?: readonly string[]
  /** the Lambda target, named in the error when the build needs a compiler */
  readonly target?: Target
  /** how the source is named to the user (`libs/common`, `purepkg-1.0.tar.gz`); default: source */
  readonly label?: string
}

export interface BuiltWheel {
  readonly file: string
  readonly name: string
  readonly version: string
  /** `py3-none-any` (or `py2.py3-none-any`): loads on any Lambda runtime */
  readonly pure: boolean
}

/** The build failed for a reason other than a compiler; the message carries pip's error lines. */
export class SourceBuildError extends LayerActionError {}

/** The source package compiles code: a wheel built on the runner would not load on Lambda. */
export class NeedsCompilerError extends SourceBuildError {
  constructor(
    message: string,
    readonly project: string
  ) {
    super(message)
  }
}

/**
 * Only `py3-none-any` / `py2.py3-none-any` loads on every Lambda Python: a `cp311-none-any` or
 * `py311-none-any` tag would still tie the wheel to the runner's Python.
 */
export function isPureWheel(filename: string): boolean {
  const parsed = parseDistributionFile(path.basename(filename))
  if (!parsed || parsed.kind !== 'wheel') return false
  return (
    parsed.tags.some(t => t.python === 'py3') &&
    parsed.tags.every(
      t => (t.python === 'py3' || t.python === 'py2') && t.abi === 'none' && t.platform === 'any'
    )
  )
}

/** Lines of pip's build output that show the backend compiling (setuptools, meson, cmake, cargo). */
const COMPILING =
  /(error: command '[^']*(gcc|cc|clang|g\+\+|c\+\+|x86_64-linux-gnu-gcc)[^']*' failed|unable to execute '[^']*(gcc|cc|clang)'|fatal error: [^\s]+\.h: No such file|Python\.h: No such file|building '[^']+' extension|Microsoft Visual C\+\+|error: can't find Rust compiler|can't find Rust compiler|Cargo, the Rust package manager|meson-python|The Meson build system|CMake Error|Could NOT find PythonLibs|cythonize|Cython\.Compiler)/i

function runnerGlibc(): string {
  try {
    const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } }
    return report.header?.glibcVersionRuntime ?? 'unknown'
  } catch {
    return 'unknown'
  }
}

function runnerMachine(): string {
  const arch = os.arch()
  return arch === 'x64' ? 'x86_64' : arch === 'arm64' ? 'aarch64' : arch
}

/** `CPython 3.11` from a `cp311` tag. */
function pythonOfTag(tag: string): string | undefined {
  const m = /^cp3(\d+)/.exec(tag)
  return m ? `CPython 3.${m[1]}` : undefined
}

/**
 * Why a package built on the runner would not load on Lambda, and what to do instead. `built` is
 * the wheel the runner produced, when it produced one; `compiling` the build line that compiled.
 */
export function needsCompilerMessage(o: {
  name: string
  version?: string
  from: string
  target?: Target
  built?: string
  compiling?: string
}): string {
  const target = o.target
  const glibc = runnerGlibc()
  const machine = runnerMachine()
  const tags = o.built ? (parseDistributionFile(o.built)?.tags ?? []) : []
  const python = tags.map(t => pythonOfTag(t.python)).find(Boolean)
  const what = `${o.name}${o.version ? ` ${o.version}` : ''} (from ${o.from})`
  const headline = o.built
    ? `${what} needs a compiler: building it on the runner gave ${path.basename(o.built)}, a compiled wheel, not a pure-Python (py3-none-any) one.`
    : `${what} needs a compiler: its build failed while compiling (${o.compiling?.trim() ?? 'a compiler step'}).`
  const lambda = target ? describeTarget(target) : 'Amazon Linux 2 / 2023 (glibc 2.26 / 2.34)'
  const reasons: string[] = []
  if (target && wheelMachine(target.architecture) !== machine)
    reasons.push(
      `its machine code is for ${machine}, Lambda's CPU is ${wheelMachine(target.architecture)}`
    )
  const targetGlibc = target?.runtime.glibc.join('.')
  if (targetGlibc && glibc !== 'unknown' && compareVersions(glibc, targetGlibc) > 0)
    reasons.push(
      `it links against this runner's glibc ${glibc}, newer than Lambda's ${targetGlibc}`
    )
  if (target && python && python !== `CPython ${target.runtime.version}`)
    reasons.push(`it is built for ${python}, not ${target.runtime.identifier}`)
  reasons.push(
    "a runner's build carries a plain linux_* tag that promises nothing about the system libraries it needs (a manylinux wheel does)"
  )
  const why =
    `A wheel compiled on this runner (glibc ${glibc}, ${machine}${python ? `, ${python}` : ''}) is made for it, ` +
    `not for Lambda's ${lambda}: ${reasons.join('; ')}. So the layer takes only pure-Python builds.`
  const machineTag = target ? wheelMachine(target.architecture) : 'x86_64/aarch64'
  const abi = target ? target.runtime.abi : 'the runtime'
  const image = target
    ? `public.ecr.aws/sam/build-${target.runtime.identifier}${target.architecture === 'arm64' ? ' (arm64)' : ''}`
    : 'public.ecr.aws/sam/build-python3.x'
  const todo =
    `Publish a manylinux wheel of ${o.name} for ${machineTag} and ${abi} (or abi3) to your index ` +
    `(index-url, codeartifact-*), or build the wheel inside the Lambda build image ${image} and serve it ` +
    'from your index; the action then takes it like any other wheel.'
  return [headline, why, todo].join('\n')
}

/** Throws the needs-a-compiler error when the built wheel is not pure Python. */
export function assertPure(built: BuiltWheel, o: { from: string; target?: Target }): void {
  if (built.pure) return
  throw new NeedsCompilerError(
    needsCompilerMessage({
      name: built.name,
      version: built.version,
      from: o.from,
      target: o.target,
      built: built.file
    }),
    built.name
  )
}

interface PipRun {
  code: number
  stdout: string
  stderr: string
}

/** Runs `python -m pip …`; every line goes to debug, credentials removed, the noisy build output included. */
export function runPipQuietly(
  python: string,
  args: readonly string[],
  o: { env?: NodeJS.ProcessEnv; cwd?: string; redactor: Redactor; info?: RegExp }
): Promise<PipRun> {
  const env = pipEnvironment(o.env ?? process.env)
  core.debug(o.redactor.redact(`${python} -m pip ${args.join(' ')}`))
  return new Promise((resolve, reject) => {
    const child = spawn(python, ['-m', 'pip', ...args], {
      env,
      cwd: o.cwd,
      stdio: ['ignore', 'pipe', 'pipe']
    })
    const out = { stdout: '', stderr: '' }
    for (const stream of ['stdout', 'stderr'] as const) {
      child[stream].setEncoding('utf8')
      child[stream].on('data', (chunk: string) => {
        out[stream] += chunk
      })
    }
    child.on('error', error =>
      reject(
        new SourceBuildError(
          `Could not run ${python} to call pip (${messageOf(error)}): the runner needs a Python with pip.`
        )
      )
    )
    child.on('close', (code, signal) => {
      for (const line of `${out.stdout}\n${out.stderr}`.split('\n')) {
        const clean = o.redactor.redact(line.replace(/\r/g, '')).trimEnd()
        if (!clean.trim()) continue
        if (o.info?.test(clean)) core.info(clean)
        else core.debug(clean)
      }
      resolve({ code: code ?? (signal ? 128 : 1), ...out })
    })
  })
}

/** pip's error: from its first ERROR/error line on (at most 25 lines), else its last lines. */
export function pipFailureLines(result: PipRun, redactor: Redactor): string {
  const lines = `${result.stdout}\n${result.stderr}`.split('\n').map(l => l.trimEnd())
  const first = lines.findIndex(l => /^\s*(ERROR:|error:)/.test(l))
  const chosen =
    first >= 0 ? lines.slice(first).filter(Boolean).slice(0, 25) : lines.filter(Boolean).slice(-15)
  return redactor.redact(chosen.join('\n'))
}

/** A best guess at the project of a source, for messages when the build never named it. */
function projectOfSource(source: string): string {
  const base = path.basename(source.replace(/[\\/]+$/, ''))
  return parseDistributionFile(base)?.project ?? base
}

export async function buildSourceWheel(o: SourceBuild): Promise<BuiltWheel> {
  const redactor = pipRedactor(o)
  const label = o.label ?? o.source
  await mkdir(o.outDir, { recursive: true })
  const scratch = await mkdtemp(path.join(o.outDir, '.build-'))
  try {
    const args = [
      'wheel',
      '--no-deps',
      '--no-input',
      '--disable-pip-version-check',
      // the runner's Python only runs the build: Requires-Python is checked against the target at install
      '--ignore-requires-python',
      '-w',
      scratch,
      ...(o.indexUrl ? ['--index-url', o.indexUrl] : []),
      ...(o.pipArgs ?? []),
      o.source
    ]
    core.info(`Building a wheel from ${redactor.redact(label)} on the runner`)
    const result = await runPipQuietly(o.python, args, {
      env: o.env,
      redactor,
      info: /^(\s*Created wheel for|Successfully built|ERROR)/
    })
    if (result.code !== 0) {
      const output = `${result.stdout}\n${result.stderr}`
      const compiling = output.split('\n').find(l => COMPILING.test(l))
      if (compiling) {
        // pip names the project it builds ("Building wheel for fastlib (pyproject.toml)")
        const name = /Building wheel for (\S+) \(/.exec(output)?.[1] ?? projectOfSource(o.source)
        throw new NeedsCompilerError(
          needsCompilerMessage({
            name,
            from: label,
            target: o.target,
            compiling: redactor.redact(compiling)
          }),
          name
        )
      }
      throw new SourceBuildError(
        `Could not build a wheel from ${redactor.redact(label)} (pip wheel exit code ${result.code}):\n` +
          pipFailureLines(result, redactor)
      )
    }
    const built = (await readdir(scratch)).filter(f => f.endsWith('.whl'))
    if (built.length !== 1)
      throw new SourceBuildError(
        `Building ${redactor.redact(label)} gave ${built.length} wheels, expected one`
      )
    const file = path.join(o.outDir, built[0])
    await rename(path.join(scratch, built[0]), file)
    const parsed = parseDistributionFile(built[0])
    return {
      file,
      name: parsed?.project ?? built[0],
      version: parsed?.version ?? '',
      pure: isPureWheel(built[0])
    }
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
}

/** A wheel of the layer that was built on the runner, for the log and the job summary. */
export interface BuiltSource {
  readonly name: string
  readonly version: string
  /** the sdist's file name, or the local path as the requirements name it (relative to the workspace) */
  readonly from: string
  readonly origin: 'sdist' | 'local'
  /** the wheel's file name */
  readonly wheel: string
}

export interface SourceResolveOptions {
  readonly pip: PipOptions
  /** `pure`: an sdist-only requirement is built and taken when pure; `never`: refused by name */
  readonly buildSdists: 'pure' | 'never'
  /** this run's scratch folder: built wheels and the rewritten requirements go here */
  readonly workDir: string
  readonly workspace: string
}

/** Each source build takes a round of pip download; a dependency chain of sdists longer than this is a loop. */
export const MAX_SOURCE_BUILDS = 25

/**
 * `pip download` for the target, with what pip cannot take for another platform built on the
 * runner first (local packages) or on demand (a requirement the index has only as an sdist), each
 * taken only when its wheel is pure Python.
 */
export async function downloadWithSources(
  o: SourceResolveOptions
): Promise<{ files: string[]; built: BuiltSource[] }> {
  const { pip } = o
  const target = { runtime: pip.runtime, architecture: pip.architecture }
  const cwd = pip.cwd ?? process.cwd()
  const build = (source: string, outDir: string, label: string): Promise<BuiltWheel> =>
    buildSourceWheel({
      source,
      outDir,
      python: pip.python,
      env: pip.env,
      indexUrl: pip.indexUrl,
      pipArgs: pip.pipArgs,
      target,
      label
    })
  const built: BuiltSource[] = []

  let requirements = pip.requirements
  const tree = await findLocalPackages(pip.requirements, {
    cwd,
    workspace: o.workspace,
    env: pip.env
  })
  if (tree.locals.length > 0) {
    const wheels = new Map<string, BuiltWheel>()
    for (const local of tree.locals) {
      if (wheels.has(local.source)) continue
      const from = path.relative(o.workspace, local.source) || '.'
      const wheel = await build(local.source, path.join(o.workDir, 'local-wheels'), from)
      assertPure(wheel, { from, target })
      wheels.set(local.source, wheel)
      built.push({ ...sourceOf(wheel), from, origin: 'local' })
    }
    requirements = await rewriteRequirements(tree, wheels, {
      outDir: path.join(o.workDir, 'requirements'),
      cwd,
      env: pip.env
    })
    core.info(
      `Local packages built into wheels (installed as normal packages, not editable): ${built
        .map(b => `${b.from} → ${b.wheel}`)
        .join(', ')}`
    )
  }

  const sdistWheels = path.join(o.workDir, 'sdist-wheels')
  const tried = new Set<string>()
  for (;;) {
    // a wheel built earlier with the same name may sit in the restored cache: this build wins
    for (const b of built) await rm(path.join(pip.wheelhouse, b.wheel), { force: true })
    try {
      const files = await downloadWheels({
        ...pip,
        requirements,
        findLinks: built.some(b => b.origin === 'sdist') ? [sdistWheels] : undefined
      })
      return { files, built }
    } catch (error: unknown) {
      if (!(error instanceof NoCompatibleWheelError)) throw error
      const sdists = sdistsOnly(error.listings)
      if (sdists === 'compiled') throw error
      if (o.buildSdists === 'never') {
        if (sdists.length === 0) throw error
        throw refusedNever(error, sdists)
      }
      const listed = error.listings.some(l => l.files !== undefined)
      if (listed && sdists.length === 0) throw error
      if (tried.has(error.project) || tried.size >= MAX_SOURCE_BUILDS) throw error
      tried.add(error.project)
      const sdist = await downloadSdist(pip, error.requirement, error.project, o.workDir)
      if (!sdist) throw error
      core.info(
        `${error.project} has no wheel for ${describeTarget(target)}, only a source distribution: building ${path.basename(sdist)} on the runner (build-sdists: pure takes it when the wheel is pure Python)`
      )
      const wheel = await build(sdist, sdistWheels, path.basename(sdist))
      assertPure(wheel, { from: path.basename(sdist), target })
      built.push({ ...sourceOf(wheel), from: path.basename(sdist), origin: 'sdist' })
    }
  }
}

function sourceOf(wheel: BuiltWheel): { name: string; version: string; wheel: string } {
  return { name: wheel.name, version: wheel.version, wheel: path.basename(wheel.file) }
}

/**
 * The sdists the indexes list for a project whose wheels (if any) are all pure; `compiled` when
 * some wheel is platform-specific: then the project compiles code, and building its sdist would
 * take long only to be refused. An unreadable listing gives [] (building is still worth a try).
 */
function sdistsOnly(listings: readonly ProjectListing[]): string[] | 'compiled' {
  const files = listings.flatMap(l => l.files ?? []).map(f => parseDistributionFile(f))
  if (files.some(f => f?.kind === 'wheel' && f.tags.some(t => t.platform !== 'any')))
    return 'compiled'
  return files.filter(f => f?.kind === 'sdist').map(f => (f as { filename: string }).filename)
}

function refusedNever(error: NoCompatibleWheelError, sdists: readonly string[]): Error {
  const shown = sdists.slice(0, 3).join(', ') + (sdists.length > 3 ? ', …' : '')
  return new NoCompatibleWheelError(
    `${error.message}\n${error.project} is there as source (${shown}) and build-sdists is 'never', ` +
      'so no build backend runs. Set build-sdists: pure (the default) to build it on the runner; the layer ' +
      'then takes it when the wheel is pure Python (py3-none-any).',
    error.project,
    error.requirement,
    error.runtime,
    error.architecture,
    error.listings
  )
}

/**
 * `pip download --no-deps --no-binary <project>`: the sdist pip would pick for the requirement,
 * without platform flags (pip refuses sdists with them). Undefined when there is none to take.
 */
async function downloadSdist(
  pip: PipOptions,
  requirement: string,
  project: string,
  workDir: string
): Promise<string | undefined> {
  const redactor = pipRedactor(pip)
  await mkdir(path.join(workDir, 'sdists'), { recursive: true })
  const dir = await mkdtemp(path.join(workDir, 'sdists', `${project}-`))
  const result = await runPipQuietly(
    pip.python,
    [
      'download',
      '--no-deps',
      '--no-binary',
      project,
      // the version whose Requires-Python admits the target, not the runner (allowed with --no-deps)
      '--python-version',
      pip.runtime.fullVersion,
      '-d',
      dir,
      '--no-input',
      '--disable-pip-version-check',
      ...(pip.indexUrl ? ['--index-url', pip.indexUrl] : []),
      ...pip.pipArgs,
      requirement
    ],
    { env: pip.env, cwd: pip.cwd, redactor, info: /^(Saved|ERROR)/ }
  )
  if (result.code !== 0) {
    core.info(
      `No source distribution of ${requirement} to build either:\n${pipFailureLines(result, redactor)}`
    )
    return undefined
  }
  const sdist = (await readdir(dir)).find(f => parseDistributionFile(f)?.kind === 'sdist')
  return sdist ? path.join(dir, sdist) : undefined
}
