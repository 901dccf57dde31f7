/**
 * The smoke test: import every top-level module of the built layer in a clean interpreter of the
 * target Python, with only the layer and the standard library on sys.path. A missing shared
 * library or a wheel for the wrong platform fails here, before anything is uploaded.
 */
import * as core from '@actions/core'
import { spawn } from 'node:child_process'
import { constants, promises as fs } from 'node:fs'
import os from 'node:os'
import * as path from 'node:path'
import { withExtractedLayer } from '../assemble/extract'
import type { LayerEntry } from '../assemble/entries'
import { LayerActionError, messageOf } from '../errors'
import { wheelMachine, type Architecture, type Runtime } from '../runtimes'

export interface SmokeFailure {
  module: string
  error: string
}

export interface SmokeResult {
  /** why nothing was imported (no such interpreter, another machine); absent when the test ran */
  skipped?: string
  /** the interpreter used */
  interpreter?: string
  modules: string[]
  failures: SmokeFailure[]
}

/** The layer does not import: names each module and its error. smokeTestLayer throws it before any upload. */
export class SmokeTestError extends LayerActionError {
  constructor(
    readonly failures: readonly SmokeFailure[],
    o?: { runtime: Runtime; architecture: Architecture; tested: number }
  ) {
    const lines = failures.slice(0, 20).map(f => `  ${f.module}: ${f.error}`)
    if (failures.length > 20) lines.push(`  … and ${failures.length - 20} more`)
    const count = o ? `${failures.length} of ${o.tested}` : `${failures.length}`
    const where = o ? `a clean ${o.runtime.identifier} (${o.architecture})` : 'a clean interpreter'
    super(
      `The layer failed its smoke test: ${count} top-level modules did not import in ${where} ` +
        `with only the layer on sys.path:\n${lines.join('\n')}\n` +
        'Nothing was uploaded. A missing shared library, a wheel for another platform or a missing ' +
        'dependency shows up here first. If a module only imports inside Lambda (it reads Lambda ' +
        "environment variables at import, say), set 'smoke-test: false'."
    )
  }
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/
/** Top-level names that are not the layer's modules: pip's scripts and data, and stray test/doc trees some wheels install. */
const NOT_MODULES = new Set([
  'bin',
  '__pycache__',
  'tests',
  'test',
  'docs',
  'examples',
  'benchmarks',
  'setup',
  'conftest'
])

/** The importable top-level names of python/: packages (with or without __init__.py), *.py, extension modules. */
export async function layerModules(pythonDir: string): Promise<string[]> {
  const names = new Set<string>()
  for (const entry of await fs.readdir(pythonDir, { withFileTypes: true })) {
    let name: string | undefined
    if (entry.isDirectory()) name = entry.name
    else if (entry.name.endsWith('.py')) name = entry.name.slice(0, -3)
    else if (/\.so$/.test(entry.name)) name = entry.name.split('.')[0]
    // *.dist-info, *.libs, *.data and foo-stubs fail IDENTIFIER: they are not importable names
    if (name && IDENTIFIER.test(name) && !NOT_MODULES.has(name)) names.add(name)
  }
  return [...names].sort()
}

async function executable(file: string): Promise<boolean> {
  try {
    await fs.access(file, constants.X_OK)
    return (await fs.stat(file)).isFile()
  } catch {
    return false
  }
}

interface Run {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  timedOut: boolean
}

function run(
  file: string,
  args: string[],
  o: { env: NodeJS.ProcessEnv; cwd?: string; timeoutMs: number }
): Promise<Run> {
  return new Promise(resolve => {
    const child = spawn(file, args, { env: o.env, cwd: o.cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, o.timeoutMs)
    child.stdout.on('data', d => (stdout += d))
    child.stderr.on('data', d => (stderr += d))
    child.on('error', error => {
      clearTimeout(timer)
      resolve({ code: 127, signal: null, stdout, stderr: messageOf(error), timedOut })
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr, timedOut })
    })
  })
}

const PROBE =
  'import json, platform, sys; print(json.dumps([sys.implementation.name, list(sys.version_info[:2]), platform.machine()]))'

/**
 * The interpreter that can import the layer here, or why none can: the smoke test needs Linux, the
 * target's CPython and the target's machine. Asked first, so a layer is never extracted for nothing.
 */
async function smokeInterpreter(
  runtime: Runtime,
  architecture: Architecture,
  env: NodeJS.ProcessEnv
): Promise<{ interpreter: string } | { skip: SmokeResult }> {
  if (process.platform !== 'linux')
    return {
      skip: {
        skipped: `the runner is ${process.platform}, not Linux like Lambda`,
        modules: [],
        failures: []
      }
    }
  const found = await findInterpreter(runtime, env)
  if ('problem' in found) return { skip: { skipped: found.problem, modules: [], failures: [] } }
  const machine = wheelMachine(architecture)
  if (found.machine !== machine)
    return {
      skip: {
        skipped: `the runner is ${found.machine} and the layer is for ${machine}: its compiled modules cannot load here`,
        interpreter: found.path,
        modules: [],
        failures: []
      }
    }
  return { interpreter: found.path }
}

/** The first `python3.X`, `python3` or `python` on PATH that is CPython of the runtime's version. */
export async function findInterpreter(
  runtime: Runtime,
  env: NodeJS.ProcessEnv
): Promise<{ path: string; machine: string } | { problem: string }> {
  const dirs = (env.PATH ?? '').split(path.delimiter).filter(Boolean)
  const problems: string[] = []
  for (const name of [`python${runtime.version}`, 'python3', 'python']) {
    for (const dir of dirs) {
      const file = path.join(dir, name)
      if (!(await executable(file))) continue
      const probe = await run(file, ['-I', '-S', '-c', PROBE], { env, timeoutMs: 30000 })
      if (probe.code !== 0) {
        const why = probe.stderr.trim().split('\n')[0] || `exit code ${probe.code}`
        problems.push(`${file} does not run: ${why}`)
        continue
      }
      try {
        const [impl, [major, minor], machine] = JSON.parse(probe.stdout) as [
          string,
          [number, number],
          string
        ]
        if (impl === 'cpython' && `${major}.${minor}` === runtime.version)
          return { path: file, machine }
      } catch {
        problems.push(`${file} answered ${JSON.stringify(probe.stdout.trim())}`)
      }
      // found but another version: look further along PATH
      break
    }
  }
  return {
    problem:
      `no ${runtime.identifier} interpreter on the runner's PATH` +
      (problems.length > 0 ? ` (${problems.slice(0, 2).join('; ')})` : '') +
      `; add actions/setup-python with python-version: '${runtime.version}' before this step to run it`
  }
}

/** Imports each module in turn, appending one JSON line per event to a file (so a crash loses nothing). */
const IMPORTER = `
import json, os, sys, traceback
layer, modules_file, results_file = sys.argv[1:4]
sys.path[:] = [layer] + [p for p in sys.path if p and os.path.isabs(p)]
modules = json.load(open(modules_file))
out = open(results_file, 'a')
def emit(record):
    out.write(json.dumps(record) + '\\n')
    out.flush()
for name in modules:
    emit({'start': name})
    try:
        __import__(name)
        emit({'ok': name})
    except BaseException as e:
        frames = [f for f in traceback.extract_tb(e.__traceback__) if f.filename.startswith(layer + os.sep)]
        where = ''
        if frames:
            where = ' (%s, line %s)' % (os.path.relpath(frames[-1].filename, os.path.dirname(layer)), frames[-1].lineno)
        text = str(e).strip().splitlines()
        emit({'fail': name, 'error': '%s: %s%s' % (type(e).__name__, text[0] if text else '', where)})
out.close()
# threads or atexit hooks an import left behind must not keep the test waiting
os._exit(0)
`

/**
 * Imports every top-level module of `<layerDir>/python` in a clean interpreter of the target Python
 * (`-I -S`, sys.path = the layer + the standard library). Never throws for import failures: they
 * come back in `failures` (throw SmokeTestError from them). Skips, with the reason, where the runner
 * has no such interpreter or is not the target's machine.
 */
export async function smokeTest(o: {
  layerDir: string
  runtime: Runtime
  architecture: Architecture
  env?: NodeJS.ProcessEnv
  /** per interpreter run; an import still running then counts as failed */
  timeoutMs?: number
  /** an interpreter smokeInterpreter() already found, so it is not looked for twice */
  interpreter?: string
}): Promise<SmokeResult> {
  const env = o.env ?? process.env
  const pythonDir = path.resolve(o.layerDir, 'python')
  const ready = o.interpreter
    ? { interpreter: o.interpreter }
    : await smokeInterpreter(o.runtime, o.architecture, env)
  if ('skip' in ready) return ready.skip
  const found = { path: ready.interpreter }
  const modules = await layerModules(pythonDir)
  if (modules.length === 0) return { interpreter: found.path, modules, failures: [] }

  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'layer-smoke-'))
  const failures: SmokeFailure[] = []
  try {
    let remaining = modules
    for (let attempt = 0; remaining.length > 0; attempt++) {
      const modulesFile = path.join(work, `modules-${attempt}.json`)
      const resultsFile = path.join(work, `results-${attempt}.jsonl`)
      await fs.writeFile(modulesFile, JSON.stringify(remaining))
      await fs.writeFile(resultsFile, '')
      const result = await run(
        found.path,
        // -B: no bytecode written into the layer's directory, which is thrown away after
        ['-I', '-S', '-B', '-c', IMPORTER, pythonDir, modulesFile, resultsFile],
        {
          env,
          cwd: work,
          timeoutMs: o.timeoutMs ?? 300000
        }
      )
      if (result.stdout.trim()) core.debug(`smoke test output:\n${result.stdout.trim()}`)
      if (result.stderr.trim()) core.debug(`smoke test errors:\n${result.stderr.trim()}`)
      const done = new Set<string>()
      let current: string | undefined
      for (const line of (await fs.readFile(resultsFile, 'utf8')).split('\n').filter(Boolean)) {
        const record = JSON.parse(line) as {
          start?: string
          ok?: string
          fail?: string
          error?: string
        }
        if (record.start) current = record.start
        if (record.ok) done.add(record.ok)
        if (record.fail) {
          done.add(record.fail)
          failures.push({ module: record.fail, error: record.error ?? 'import failed' })
        }
        if (record.ok || record.fail) current = undefined
      }
      if (current === undefined) {
        if (done.size < remaining.length && result.code !== 0) {
          throw new LayerActionError(
            `The smoke test interpreter ${found.path} failed before importing anything (exit code ${result.code}): ` +
              result.stderr.trim().split('\n').slice(-3).join(' ')
          )
        }
        break
      }
      // the interpreter died inside this import: record it, go on with the rest in a new one
      const how = result.timedOut
        ? `the import did not finish within ${Math.round((o.timeoutMs ?? 300000) / 1000)} s`
        : `the interpreter crashed while importing it (${result.signal ? `signal ${result.signal}` : `exit code ${result.code}`})`
      failures.push({ module: current, error: how })
      done.add(current)
      remaining = remaining.filter(m => !done.has(m))
    }
  } finally {
    await fs.rm(work, { recursive: true, force: true })
  }
  core.info(
    `Smoke test with ${found.path}: ${modules.length - failures.length} of ${modules.length} top-level modules import`
  )
  return { interpreter: found.path, modules, failures }
}

/**
 * The layer's entries extracted (in /dev/shm, else under `fallbackDir`), smokeTest on them, the files
 * removed; then SmokeTestError when any module failed to import: the run stops before upload.
 */
export async function smokeTestLayer(
  entries: readonly LayerEntry[],
  fallbackDir: string,
  target: { runtime: Runtime; architecture: Architecture }
): Promise<SmokeResult> {
  const { runtime, architecture } = target
  const ready = await smokeInterpreter(runtime, architecture, process.env)
  if ('skip' in ready) return ready.skip
  const result = await withExtractedLayer(entries, fallbackDir, layerDir =>
    smokeTest({ layerDir, runtime, architecture, interpreter: ready.interpreter })
  )
  if (result.failures.length > 0)
    throw new SmokeTestError(result.failures, {
      runtime,
      architecture,
      tested: result.modules.length
    })
  return result
}
