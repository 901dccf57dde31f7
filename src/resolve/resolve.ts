/**
 * requirements, pyproject.toml or a lock → the exact wheels of the layer, for the Lambda target,
 * in the wheelhouse (restored from and saved to the Actions cache). Nothing is installed here.
 */
import * as core from '@actions/core'
import { execFile } from 'node:child_process'
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import type { ActionInputs } from '../inputs'
import type { Plan } from '../plan'
import { InputError } from '../errors'
import { Inputs } from '../constants'
import {
  pruneWheelhouse,
  readRequirementFiles,
  restoreWheelhouse,
  saveWheelhouse,
  wheelhouseCacheKey,
  wheelhouseRestoreKey,
  type CacheStatus
} from '../fetch/cache'
import { recordedResolution, recordResolution } from '../fetch/resolved'
import { findInterpreter } from '../smoke/smoke'
import { downloadWheels, type PipOptions } from './pip'
import { parseDistributionFile } from './wheel-tags'

/** One wheel of the layer, in the wheelhouse. */
export interface ResolvedWheel {
  /** absolute path of the .whl file */
  readonly file: string
  /** PEP 503 normalised project name */
  readonly name: string
  readonly version: string
  /** where it came from: an index through pip, a lock's URL, an sdist or a local path built on the runner */
  readonly origin: 'index' | 'lock' | 'sdist' | 'local'
}

export interface Resolution {
  readonly wheels: readonly ResolvedWheel[]
  readonly cache: CacheStatus | 'off'
  /** the interpreter that ran pip ('' when pip did not run) */
  readonly pip: string
}

export async function resolveWheels(inputs: ActionInputs, plan: Plan): Promise<Resolution> {
  if (inputs.requirementsFormat !== 'requirements')
    throw new InputError(
      Inputs.Requirements,
      path.relative(inputs.workspace, inputs.requirements),
      'a pip requirements file (this build reads no other format yet)'
    )
  await mkdir(plan.wheelhouse, { recursive: true })

  const key = wheelhouseCacheKey({
    requirementFiles: await readRequirementFiles(inputs.requirements),
    runtime: inputs.runtime,
    architecture: inputs.architecture,
    pipArgs: inputs.pipArgs,
    indexUrl: inputs.indexUrl
  })
  const restored = inputs.cache
    ? await restoreWheelhouse({
        wheelhouse: plan.wheelhouse,
        key,
        restoreKeys: [wheelhouseRestoreKey(inputs.runtime, inputs.architecture)]
      })
    : undefined
  // an exact hit: the resolution recorded with these wheels stands, and pip does not run
  const recorded = restored?.status === 'exact' && (await recordedResolution(plan.wheelhouse, key))
  if (recorded) return { wheels: recorded, cache: 'exact', pip: '' }

  const pip: PipOptions = {
    requirements: inputs.requirements,
    wheelhouse: plan.wheelhouse,
    runtime: inputs.runtime,
    architecture: inputs.architecture,
    python: await pipInterpreter(inputs),
    indexUrl: inputs.indexUrl || undefined,
    pipArgs: inputs.pipArgs,
    cwd: inputs.workspace
  }

  const files = await downloadWheels(pip)
  core.info(`${files.length} wheel(s) for ${plan.runtimeLabel}: ${files.join(', ')}`)
  const wheels = files.map(f => {
    const parsed = parseDistributionFile(f)
    return {
      file: path.join(plan.wheelhouse, f),
      name: parsed?.project ?? f,
      version: parsed?.version ?? '',
      origin: 'index' as const
    }
  })
  if (restored && restored.status !== 'unavailable') {
    // saved right away: a later failure (size, smoke test, AWS) still keeps the downloads
    await recordResolution(plan.wheelhouse, key, wheels)
    await pruneWheelhouse(plan.wheelhouse, files)
    await saveWheelhouse({ wheelhouse: plan.wheelhouse, restored })
  }

  return { wheels, cache: restored?.status ?? 'off', pip: pip.python }
}

/**
 * pip evaluates environment markers (`; python_version < "3.11"`) for the interpreter it runs on,
 * so it runs on the target Python when the runner has one (actions/setup-python), else python3.
 */
async function pipInterpreter(inputs: ActionInputs): Promise<string> {
  const found = await findInterpreter(inputs.runtime, process.env)
  if ('path' in found && (await hasPip(found.path))) return found.path
  core.info(
    `pip runs on python3, not ${inputs.runtime.identifier}: wheels are still chosen for ${inputs.runtime.identifier}, but environment markers in requirements (python_version …) are evaluated for python3. Add actions/setup-python with python-version: '${inputs.runtime.version}' to evaluate them for the target.`
  )
  return 'python3'
}

/** `import pip` rather than `pip --version`: the same answer, without loading pip's command line (~0.5 s). */
function hasPip(python: string): Promise<boolean> {
  return new Promise(resolve =>
    execFile(python, ['-c', 'import pip'], { timeout: 60_000 }, error => resolve(!error))
  )
}
