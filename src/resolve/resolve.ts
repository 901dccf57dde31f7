/**
 * requirements, pyproject.toml or a lock → the exact wheels of the layer, for the Lambda target,
 * in the wheelhouse (restored from and saved to the Actions cache). Nothing is installed here.
 */
import * as core from '@actions/core'
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import type { ActionInputs } from '../inputs'
import type { Plan } from '../plan'
import {
  pruneWheelhouse,
  readRequirementFiles,
  restoreWheelhouseFor,
  saveWheelhouse,
  type CacheStatus
} from '../fetch/cache'
import { recordedResolution, recordResolution } from '../fetch/resolved'
import { codeArtifactIndexUrl, createCodeArtifactClient } from './codeartifact'
import type { PipOptions } from './pip'
import { describeMarkerEnvironment } from './pip-target'
import { writePyprojectRequirements } from './pyproject'
import { downloadWithSources, type BuiltSource } from './sources'
import { parseDistributionFile } from '../python/wheel-tags'
import { isLock } from './formats'
import { resolveLockedWheels } from './locks'

/**
 * Any Python with pip runs pip: markers are evaluated for the target whatever runs it
 * (pip-target.ts) and wheels are chosen by the target flags. python3 is on every runner, and after
 * actions/setup-python it is the Python that was set up.
 */
const PIP_PYTHON = 'python3'

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
  /** wheels built on the runner from sdists and local packages */
  readonly built?: readonly BuiltSource[]
}

export async function resolveWheels(inputs: ActionInputs, plan: Plan): Promise<Resolution> {
  const display = path.relative(inputs.workspace, inputs.requirements)
  core.info(
    `markers evaluated for ${describeMarkerEnvironment(inputs.runtime, inputs.architecture)}`
  )
  // a lock is installed exactly as locked: no pip resolver
  if (isLock(inputs.requirementsFormat))
    return resolveLockedWheels(inputs, plan, { indexUrl: await effectiveIndexUrl(inputs) })
  await mkdir(plan.wheelhouse, { recursive: true })

  // pyproject.toml: its dependencies, extras and groups become a requirements file pip resolves as any other
  const fromPyproject =
    inputs.requirementsFormat === 'pyproject'
      ? await writePyprojectRequirements(inputs.requirements, {
          display,
          extras: inputs.extras,
          groups: inputs.groups,
          dir: plan.workDir
        })
      : undefined
  if (fromPyproject) {
    core.info(
      `${display}: ${fromPyproject.requirements.length} requirement(s) for pip (the project itself is not installed): ${fromPyproject.requirements.join(', ') || 'none'}`
    )
    if (fromPyproject.requirements.length === 0) return { wheels: [], cache: 'off', pip: '' }
  }
  const requirements = fromPyproject?.file ?? inputs.requirements
  const indexUrl = await effectiveIndexUrl(inputs)

  const { key, restored } = await restoreWheelhouseFor({
    requirementFiles: [
      ...(fromPyproject ? [{ path: inputs.requirements, content: fromPyproject.pyproject }] : []),
      ...(await readRequirementFiles(requirements))
    ],
    runtime: inputs.runtime,
    architecture: inputs.architecture,
    pipArgs: inputs.pipArgs,
    indexUrl,
    wheelhouse: plan.wheelhouse,
    cache: inputs.cache
  })
  // an exact hit: the resolution recorded with these wheels stands, and pip does not run
  const recorded = restored?.status === 'exact' && (await recordedResolution(plan.wheelhouse, key))
  if (recorded) return { wheels: recorded, cache: 'exact', pip: '' }

  const pip: PipOptions = {
    requirements,
    wheelhouse: plan.wheelhouse,
    runtime: inputs.runtime,
    architecture: inputs.architecture,
    python: PIP_PYTHON,
    indexUrl: indexUrl || undefined,
    pipArgs: inputs.pipArgs,
    cwd: inputs.workspace
  }

  const { files, built } = await downloadWithSources({
    pip,
    buildSdists: inputs.buildSdists,
    workDir: plan.workDir,
    workspace: inputs.workspace
  })
  core.info(`${files.length} wheel(s) for ${plan.runtimeLabel}: ${files.join(', ')}`)
  const wheels = files.map(f => {
    const parsed = parseDistributionFile(f)
    return {
      file: path.join(plan.wheelhouse, f),
      name: parsed?.project ?? f,
      version: parsed?.version ?? '',
      origin: built.find(b => b.wheel === f)?.origin ?? ('index' as const)
    }
  })
  for (const b of built)
    core.info(
      `Built from source on the runner: ${b.name} ${b.version} from ${b.from} (${b.origin})`
    )
  if (restored && restored.status !== 'unavailable') {
    // saved right away: a later failure (size, smoke test, AWS) still keeps the downloads
    await recordResolution(plan.wheelhouse, key, wheels)
    await pruneWheelhouse(plan.wheelhouse, files)
    await saveWheelhouse({ wheelhouse: plan.wheelhouse, restored })
  }

  return { wheels, cache: restored?.status ?? 'off', pip: pip.python, built }
}

/** index-url, or the CodeArtifact repository's URL with a fresh token (masked before it is returned). */
export async function effectiveIndexUrl(inputs: ActionInputs): Promise<string> {
  if (!inputs.codeartifact) return inputs.indexUrl
  const client = createCodeArtifactClient({ region: inputs.regions[0] })
  try {
    return await codeArtifactIndexUrl(client, inputs.codeartifact)
  } finally {
    client.destroy()
  }
}
