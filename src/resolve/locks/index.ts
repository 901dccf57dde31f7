/**
 * A lock file → the exact wheels of the layer, for the Lambda target: the lock is read (uv, Poetry,
 * Pipenv, PEP 751), the packages its markers keep for the target are fetched as locked — same
 * versions, every hash checked, no resolver — into the wheelhouse, which the Actions cache keeps.
 */
import * as core from '@actions/core'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import type { ActionInputs } from '../../inputs'
import type { Plan } from '../../plan'
import type { InputFormat } from '../formats'
import type { Resolution, ResolvedWheel } from '../resolve'
import type { BuiltSource } from '../sources'
import { markerEnvironment } from '../../runtimes'
import { Redactor } from '../../credentials'
import { fetchLockedWheels } from '../../fetch/download'
import { pruneWheelhouse, restoreWheelhouseFor, saveWheelhouse } from '../../fetch/cache'
import { findInterpreter } from '../../smoke/smoke'
import type { LockRequest, LockSelection } from './lock'
import { readUvLock } from './uv'
import { readPoetryLock } from './poetry'
import { readPipfileLock } from './pipfile'
import { readPylock } from './pylock'

export type { LockedPackage, LockSelection } from './lock'

/** Reads a lock and selects what the target installs (pure apart from the text it is given). */
export function readLock(
  req: LockRequest,
  format: InputFormat
): LockSelection & { notes?: string[] } {
  const selection = readFormat(req, format)
  // one line per package left out: the first reason found
  const seen = new Set<string>()
  const skipped = selection.skipped.filter(line => {
    const key = line.slice(0, line.indexOf(': '))
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
  return { ...selection, skipped }
}

function readFormat(req: LockRequest, format: InputFormat): LockSelection & { notes?: string[] } {
  switch (format) {
    case 'uv':
      return readUvLock(req)
    case 'poetry':
      return readPoetryLock(req)
    case 'pipfile':
      return readPipfileLock(req)
    case 'pylock':
      return readPylock(req)
    default:
      throw new Error(`${format} is not a lock format`)
  }
}

export interface LockOptions {
  /** the index for files the lock names without a URL: `index-url`, or CodeArtifact's ('' for none) */
  readonly indexUrl: string
}

export async function resolveLockedWheels(
  inputs: ActionInputs,
  plan: Plan,
  options: LockOptions
): Promise<Resolution> {
  const text = await readFile(inputs.requirements, 'utf8')
  const display = path.relative(inputs.workspace, inputs.requirements) || inputs.requirements
  const env = markerEnvironment(inputs.runtime, inputs.architecture)
  const req: LockRequest = {
    file: inputs.requirements,
    display,
    text,
    extras: inputs.extras,
    groups: inputs.groups,
    env,
    indexUrl: options.indexUrl,
    environ: process.env
  }
  const selection = readLock(req, inputs.requirementsFormat)
  const redactor = new Redactor([
    options.indexUrl,
    ...inputs.pipArgs,
    ...selection.packages.flatMap(p => [p.index ?? '', ...p.files.map(f => f.url ?? '')])
  ]).register()
  core.info(`Installing exactly as locked: ${selection.summary}`)
  for (const note of selection.notes ?? []) core.notice(note)
  for (const line of selection.skipped) core.info(`  left out ${line}`)

  const { restored } = await restoreWheelhouseFor({
    requirementFiles: [
      { path: inputs.requirements, content: text },
      {
        path: 'selection',
        content: JSON.stringify({
          format: inputs.requirementsFormat,
          extras: inputs.extras,
          groups: inputs.groups
        })
      }
    ],
    runtime: inputs.runtime,
    architecture: inputs.architecture,
    pipArgs: inputs.pipArgs,
    indexUrl: options.indexUrl,
    wheelhouse: plan.wheelhouse,
    cache: inputs.cache
  })

  const found = await findInterpreter(inputs.runtime, process.env)
  const python = 'path' in found ? found.path : 'python3'
  const fetched = await fetchLockedWheels({
    packages: selection.packages,
    target: { runtime: inputs.runtime, architecture: inputs.architecture },
    wheelhouse: plan.wheelhouse,
    lockName: display,
    buildSdists: inputs.buildSdists,
    python,
    indexUrl: options.indexUrl,
    pipArgs: inputs.pipArgs,
    redactor
  })
  const files = fetched.map(w => path.basename(w.file))
  const reused = fetched.filter(w => w.reused).length
  core.info(
    `${fetched.length} locked wheel(s) for ${plan.runtimeLabel}${reused ? ` (${reused} already in the wheelhouse)` : ''}: ${files.join(', ')}`
  )
  const built = fetched.filter(w => w.origin !== 'lock')
  if (built.length > 0)
    core.info(
      `Built from source on the runner: ${built.map(w => `${w.name} ${w.version}`).join(', ')}`
    )
  // only the locked files stay: installing picks by name and version, never an unverified leftover
  await pruneWheelhouse(plan.wheelhouse, files)
  if (restored) await saveWheelhouse({ wheelhouse: plan.wheelhouse, restored })

  const wheels: ResolvedWheel[] = fetched.map(w => ({
    file: w.file,
    name: w.name,
    version: w.version,
    origin: w.origin
  }))
  const sources: BuiltSource[] = built.map(w => ({
    name: w.name,
    version: w.version,
    from: path.isAbsolute(w.from ?? '')
      ? path.relative(inputs.workspace, w.from ?? '')
      : (w.from ?? ''),
    origin: w.origin === 'local' ? 'local' : 'sdist',
    wheel: path.basename(w.file)
  }))
  return { wheels, cache: restored?.status ?? 'off', pip: python, built: sources }
}
