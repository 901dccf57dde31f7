/**
 * The interpreter that can import the layer on this runner, or why none can: the smoke test needs
 * Linux, the target's machine and CPython of the target's version. Asked before anything is
 * extracted, so a layer that cannot be imported here costs nothing.
 */
import { constants, promises as fs } from 'node:fs'
import os from 'node:os'
import * as path from 'node:path'
import { messageOf } from '../errors'
import { wheelMachine, type Architecture, type Runtime } from '../runtimes'
import { ProcessStartError, runProcess, type ProcessResult } from '../python/process'

/** A CPython of the target's version on this runner. */
export interface Interpreter {
  path: string
  /** `3.11.7` */
  version: string
  /** sys.version: the version and the build (date, compiler) */
  build: string
  /** platform.machine(): `x86_64`, `aarch64` */
  machine: string
  /** `glibc 2.39` */
  libc: string
  /** sys.executable: the binary `path` runs (a pyenv shim is a script that starts it); see workerCommand */
  executable?: string
  /** what the probe printed, for workerCommand to compare */
  answer?: string
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await fs.access(file, constants.X_OK)
    return (await fs.stat(file)).isFile()
  } catch {
    return false
  }
}

// Python 3.8 syntax: the oldest runtime the table may hold
const PROBE =
  'import json, platform, sys; print(json.dumps([sys.implementation.name, list(sys.version_info[:2]), ' +
  'platform.machine(), platform.python_version(), sys.version, " ".join(platform.libc_ver()), sys.executable]))'

/** What the probe printed, or why it did not run: the first line of its error, else its exit code. */
async function probeInterpreter(
  file: string,
  env: NodeJS.ProcessEnv
): Promise<string | ProcessResult> {
  try {
    const probe = await runProcess(file, ['-I', '-S', '-c', PROBE], { env, timeoutMs: 30000 })
    if (probe.code === 0) return probe
    return probe.stderr.trim().split('\n')[0] || `exit code ${probe.code}`
  } catch (error) {
    if (error instanceof ProcessStartError) return messageOf(error.cause)
    throw error
  }
}

const commands = new WeakMap<Interpreter, Promise<string>>()

/**
 * The file to start the smoke test's interpreters with: sys.executable of `path` when it is another
 * file that answers the probe exactly as `path` did, started directly in the same environment (no
 * pyenv shim per worker); else `path`. Asked once, when the first worker starts, so a reused
 * verdict costs no second probe.
 */
export function workerCommand(interpreter: Interpreter, env: NodeJS.ProcessEnv): Promise<string> {
  let command = commands.get(interpreter)
  if (!command) {
    const { path: file, executable, answer } = interpreter
    command = (async () => {
      if (!executable || executable === file || !(await isExecutable(executable))) return file
      const again = await probeInterpreter(executable, env)
      return typeof again !== 'string' && again.stdout === answer ? executable : file
    })()
    commands.set(interpreter, command)
  }
  return command
}

/** The first `python3.X`, `python3` or `python` on PATH that is CPython of the runtime's version. */
export async function findInterpreter(
  runtime: Runtime,
  env: NodeJS.ProcessEnv
): Promise<Interpreter | { problem: string }> {
  const dirs = (env.PATH ?? '').split(path.delimiter).filter(Boolean)
  const problems: string[] = []
  for (const name of [`python${runtime.version}`, 'python3', 'python']) {
    for (const dir of dirs) {
      const file = path.join(dir, name)
      if (!(await isExecutable(file))) continue
      const probe = await probeInterpreter(file, env)
      if (typeof probe === 'string') {
        problems.push(`${file} does not run: ${probe}`)
        continue
      }
      try {
        const [impl, [major, minor], machine, version, build, libc, executable] = JSON.parse(
          probe.stdout
        ) as [string, [number, number], string, string, string, string, string]
        if (impl === 'cpython' && `${major}.${minor}` === runtime.version)
          return {
            path: file,
            version,
            build,
            machine,
            libc: libc.trim(),
            executable,
            answer: probe.stdout
          }
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

/** The runner for an architecture, as GitHub names its hosted Linux runners. */
const RUNNER_LABEL: Record<Architecture, string> = {
  x86_64: 'ubuntu-latest',
  arm64: 'ubuntu-24.04-arm'
}

/** Why a layer for `architecture` cannot load on a runner whose machine is `runnerMachine`, with what to do. */
function otherMachine(runtime: Runtime, architecture: Architecture, runnerMachine: string): string {
  return (
    `the layer is for ${architecture} and the runner is ${runnerMachine}: its compiled modules ` +
    `cannot load here. To smoke-test it, run this job on an ${architecture} runner ` +
    `(runs-on: ${RUNNER_LABEL[architecture]}) with actions/setup-python python-version: '${runtime.version}'`
  )
}

/**
 * The interpreter to import the layer with, or the reason to skip. The runner's machine is checked
 * first: on another machine no interpreter would help, so the advice names the runner, not Python.
 */
export async function smokeInterpreter(
  runtime: Runtime,
  architecture: Architecture,
  env: NodeJS.ProcessEnv,
  runnerMachine: string = os.machine()
): Promise<Interpreter | { skipped: string }> {
  if (process.platform !== 'linux')
    return { skipped: `the runner is ${process.platform}, not Linux like Lambda` }
  const machine = wheelMachine(architecture)
  if (runnerMachine !== machine)
    return { skipped: otherMachine(runtime, architecture, runnerMachine) }
  const found = await findInterpreter(runtime, env)
  if ('problem' in found) return { skipped: found.problem }
  // an interpreter built for another machine (emulated) cannot load the layer's native code either
  if (found.machine !== machine)
    return { skipped: otherMachine(runtime, architecture, `${found.machine} (${found.path})`) }
  return found
}
