// Bench helper: the wheels of some requirements for a runtime, from the machine's mirror
// (/opt/pypi/simple, CPython 3.11 wheels), with pip download and the target's platform flags.
import { spawnSync } from 'node:child_process'
import { hermeticPipEnv } from '../__tests__/helpers/pip-env'
import { pipTargetArgs } from '../src/resolve/pip'
import type { Runtime } from '../src/runtimes'

export const MIRROR = 'file:///opt/pypi/simple'
export const MIRROR_MORE = 'file:///opt/pypi-more/simple'

/** Downloads the wheels of `requirements` for `runtime` (x86_64) into `dir`. */
export function downloadWheels(
  dir: string,
  requirements: readonly string[],
  runtime: Runtime
): void {
  const r = spawnSync(
    'python3',
    [
      '-m',
      'pip',
      'download',
      '-q',
      '-d',
      dir,
      ...pipTargetArgs(runtime, 'x86_64'),
      '--index-url',
      MIRROR,
      '--extra-index-url',
      MIRROR_MORE,
      ...requirements
    ],
    { env: hermeticPipEnv(), encoding: 'utf8' }
  )
  if (r.status !== 0) throw new Error(`pip download failed:\n${r.stderr}`)
}
