/**
 * Source distributions and local source trees → wheels, built on the runner with the package's own
 * build backend (`pip wheel --no-deps`), for resolve (requirements) and fetch (locks) alike. A layer
 * only takes what would load on Lambda from such a build: pure-Python wheels. Anything compiled
 * here is compiled for the runner, not for Lambda.
 */
import * as core from '@actions/core'
import { mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { LayerActionError } from '../errors'
import { sha256File } from '../digests'
import { wheelMachine } from '../runtimes'
import { pipRedactor } from '../credentials'
import { compareVersions } from './pep440'
import { pipFailureLines, runPip } from './pip'
import { describeTarget, parseDistributionFile, type Target } from './wheel-tags'

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
  /** hex SHA-256 of the wheel file */
  readonly sha256: string
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
    const result = await runPip({
      python: o.python,
      argv: ['-m', 'pip', ...args],
      shown: `-m pip ${args.join(' ')}`,
      env: o.env,
      redactor,
      levelOf: line =>
        /^(\s*Created wheel for|Successfully built|ERROR)/.test(line) ? 'info' : 'debug'
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
      pure: isPureWheel(built[0]),
      sha256: await sha256File(file)
    }
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
}
