/**
 * requirements → layer directory: wheels for the Lambda runtime (cached), installed from the
 * wheelhouse alone, the user's own code beside them, then what never runs on Lambda removed.
 */
import * as core from '@actions/core'
import { execFile } from 'node:child_process'
import { mkdir, rm } from 'node:fs/promises'
import path from 'node:path'
import type { ActionInputs } from '../inputs'
import type { Plan } from '../plan'
import {
  pruneWheelhouse,
  readRequirementFiles,
  restoreWheelhouse,
  saveWheelhouse,
  wheelhouseCacheKey,
  wheelhouseRestoreKey,
  type CacheStatus
} from './cache'
import { copyIncludes, type IncludedPath } from './include'
import { slimLayer, type SlimReport } from './slim'
import { findInterpreter } from './smoke'
import { downloadWheels, installWheels, type PipOptions } from './wheels'

export interface BuiltLayer {
  /** holds python/ */
  readonly dir: string
  readonly pythonDir: string
  readonly wheels: readonly string[]
  readonly cache: CacheStatus | 'off'
  readonly included: readonly IncludedPath[]
  readonly slim: SlimReport
  /** the interpreter pip ran on */
  readonly pip: string
}

export async function buildLayer(inputs: ActionInputs, plan: Plan): Promise<BuiltLayer> {
  const pythonDir = path.join(plan.layerDir, 'python')
  await rm(plan.layerDir, { recursive: true, force: true })
  await mkdir(pythonDir, { recursive: true })
  await mkdir(plan.wheelhouse, { recursive: true })

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

  const wheels = await downloadWheels(pip)
  core.info(`${wheels.length} wheel(s) for ${plan.runtimeLabel}: ${wheels.join(', ')}`)
  if (restored) {
    // saved right away: a later failure (size, smoke test, AWS) still keeps the downloads
    await pruneWheelhouse(plan.wheelhouse, wheels)
    await saveWheelhouse({ wheelhouse: plan.wheelhouse, restored })
  }

  await installWheels({ ...pip, layerPythonDir: pythonDir })
  const included = await copyIncludes(inputs.include, inputs.workspace, pythonDir)
  for (const i of included) core.info(`Included ${i.source} → ${i.target} (${i.files} files)`)
  const slim = await slimLayer(pythonDir, { slim: inputs.slim, exclude: inputs.exclude })

  return {
    dir: plan.layerDir,
    pythonDir,
    wheels,
    cache: restored?.status ?? 'off',
    included,
    slim,
    pip: pip.python
  }
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

function hasPip(python: string): Promise<boolean> {
  return new Promise(resolve =>
    execFile(python, ['-m', 'pip', '--version'], { timeout: 60_000 }, error => resolve(!error))
  )
}
