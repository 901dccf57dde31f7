/**
 * resolvePinnedSet as run() calls it, for a requirements file written into a fresh workspace: the
 * inputs and plan fields the resolve step reads (a wheelhouse included, so pip resolves through the
 * look-ahead where it can), real pip underneath.
 */
import { promises as fs } from 'node:fs'
import path from 'node:path'
import type { ActionInputs } from '../../src/inputs'
import type { Plan } from '../../src/plan'
import type { Architecture, Runtime } from '../../src/runtimes'
import { inputFormat } from '../../src/resolve/formats'
import { resolvePinnedSet } from '../../src/resolve/resolve'
import type { PinnedSet } from '../../src/resolve/pinned'

export async function resolveRequirements(o: {
  /** the workspace is made inside it */
  parent: string
  /** default requirements.txt */
  file?: string
  content: string
  indexUrl: string
  runtime: Runtime
  architecture?: Architecture
  pipArgs?: string[]
  /** pip's environment (hermeticPipEnv) */
  env: NodeJS.ProcessEnv
  /** the interpreter that runs pip (default python3) */
  python?: string
}): Promise<{ pinned: PinnedSet; wheelhouse: string }> {
  const ws = await fs.mkdtemp(path.join(o.parent, 'ws-'))
  const file = path.join(ws, o.file ?? 'requirements.txt')
  await fs.writeFile(file, o.content)
  const architecture = o.architecture ?? 'x86_64'
  const inputs = {
    workspace: ws,
    requirements: file,
    requirementsFormat: inputFormat(file),
    extras: [],
    groups: [],
    buildSdists: 'pure',
    runtime: o.runtime,
    architecture,
    indexUrl: o.indexUrl,
    pipArgs: o.pipArgs ?? [],
    cache: false
  } as unknown as ActionInputs
  const wheelhouse = path.join(ws, 'wheelhouse')
  const plan = {
    workDir: path.join(ws, '.work'),
    wheelhouse,
    runtimeLabel: `${o.runtime.identifier} ${architecture}`
  } as unknown as Plan
  const pinned = await resolvePinnedSet(inputs, plan, {
    indexUrl: o.indexUrl,
    env: o.env,
    python: o.python
  })
  return { pinned, wheelhouse }
}
