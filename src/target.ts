/**
 * The target's inputs: python-version, architecture and compatible-runtimes → the Lambda runtime
 * and architecture every stage builds for (runtimes.ts holds the runtimes themselves).
 */
import * as core from '@actions/core'
import { Inputs } from './constants'
import { InputError } from './errors'
import { list, oneOf, type RawInputs } from './input-values'
import {
  ARCHITECTURES,
  DEFAULT_PYTHON_VERSION,
  RUNTIMES,
  RUNTIME_TABLE_READ,
  RUNTIME_TABLE_URL,
  findRuntime,
  runtimeStatus,
  type Architecture,
  type Runtime
} from './runtimes'

export interface TargetInputs {
  readonly runtime: Runtime
  readonly architecture: Architecture
  /** the runtimes the layer declares, `python<python-version>` unless given */
  readonly compatibleRuntimes: readonly string[]
}

/** A Lambda limit on CompatibleRuntimes. */
const RUNTIME_LIMIT = 15

export function targetInputs(raw: RawInputs, today: Date): TargetInputs {
  const runtime = pythonRuntime(raw[Inputs.PythonVersion] || DEFAULT_PYTHON_VERSION, today)
  const architecture = oneOf(
    Inputs.Architecture,
    raw[Inputs.Architecture] || 'x86_64',
    ARCHITECTURES
  )
  const given = list(raw[Inputs.CompatibleRuntimes])
  const compatibleRuntimes = given.length > 0 ? given : [runtime.identifier]
  for (const id of compatibleRuntimes) {
    if (!RUNTIMES.some(r => r.identifier === id))
      throw new InputError(
        Inputs.CompatibleRuntimes,
        id,
        `Lambda Python runtimes: ${RUNTIMES.map(r => r.identifier).join(', ')}`
      )
    if (id !== runtime.identifier)
      core.warning(
        `'${Inputs.CompatibleRuntimes}' lists ${id}, but the layer is built for ${runtime.identifier}: compiled packages (${runtime.abi} wheels) will not import on ${id}; pure-Python packages will.`
      )
  }
  if (compatibleRuntimes.length > RUNTIME_LIMIT)
    throw new InputError(
      Inputs.CompatibleRuntimes,
      compatibleRuntimes.join(','),
      `at most ${RUNTIME_LIMIT} runtimes (a Lambda limit)`
    )
  return { runtime, architecture, compatibleRuntimes }
}

/**
 * A version Lambda never had is an error. AWS's deprecation dates are warnings, never refusals:
 * AWS has moved them before (python3.9's blocks went from 2026 into 2027), and a block stops
 * creating or updating functions, not publishing layers, so Lambda's API answers for itself.
 */
function pythonRuntime(value: string, today: Date): Runtime {
  const version = value.replace(/^python/, '')
  const runtime = findRuntime(version)
  if (!runtime)
    throw new InputError(
      Inputs.PythonVersion,
      value,
      `one of ${RUNTIMES.map(r => `'${r.version}'`).join(', ')} (the Lambda Python runtimes)`
    )
  const status = runtimeStatus(runtime, today)
  if (status !== 'supported') core.warning(deprecationNotice(runtime, status))
  return runtime
}

function deprecationNotice(r: Runtime, status: 'deprecated' | 'blocked'): string {
  const announced = `AWS's runtime table (${RUNTIME_TABLE_URL}, read ${RUNTIME_TABLE_READ}) announces that ${r.identifier} is deprecated from ${r.deprecation}, that functions on it can no longer be created from ${r.blockFunctionCreate} and no longer be updated from ${r.blockFunctionUpdate}`
  const now =
    status === 'blocked'
      ? 'those dates have passed, so functions on it may not take a new layer version unless AWS has moved them again'
      : 'it gets no more security patches'
  return `${announced}; ${now}. The layer is built and published all the same, and Lambda's own answer is reported if it refuses ${r.identifier}. Move to python${DEFAULT_PYTHON_VERSION} or later.`
}
