/**
 * The resolved wheels → layer directory: installed from the wheelhouse alone, the user's own code
 * beside them, then what never runs on Lambda removed.
 */
import * as core from '@actions/core'
import { mkdir, rm } from 'node:fs/promises'
import path from 'node:path'
import type { ActionInputs } from '../inputs'
import type { Plan } from '../plan'
import type { Resolution } from '../resolve/resolve'
import { installWheels } from '../resolve/pip'
import { copyIncludes, type IncludedPath } from './include'
import { slimLayer, type SlimReport } from './slim'

export interface BuiltLayer {
  /** holds python/ */
  readonly dir: string
  readonly pythonDir: string
  /** wheel file names */
  readonly wheels: readonly string[]
  readonly cache: Resolution['cache']
  readonly included: readonly IncludedPath[]
  readonly slim: SlimReport
  /** the interpreter pip ran on */
  readonly pip: string
}

export async function assembleLayer(
  inputs: ActionInputs,
  plan: Plan,
  resolution: Resolution
): Promise<BuiltLayer> {
  const pythonDir = path.join(plan.layerDir, 'python')
  await rm(plan.layerDir, { recursive: true, force: true })
  await mkdir(pythonDir, { recursive: true })

  await installWheels({
    wheels: resolution.wheels,
    wheelhouse: plan.wheelhouse,
    runtime: inputs.runtime,
    architecture: inputs.architecture,
    python: resolution.pip || 'python3',
    pipArgs: inputs.pipArgs,
    cwd: inputs.workspace,
    layerPythonDir: pythonDir
  })
  const included = await copyIncludes(inputs.include, inputs.workspace, pythonDir)
  for (const i of included) core.info(`Included ${i.source} → ${i.target} (${i.files} files)`)
  const slim = await slimLayer(pythonDir, { slim: inputs.slim, exclude: inputs.exclude })

  return {
    dir: plan.layerDir,
    pythonDir,
    wheels: resolution.wheels.map(w => path.basename(w.file)),
    cache: resolution.cache,
    included,
    slim,
    pip: resolution.pip
  }
}
