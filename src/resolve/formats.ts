/**
 * What the `requirements` input names, told by its file name alone (as pip, uv and PEP 751 tell
 * them): a lock is installed exactly as locked, everything else is resolved by pip for the target.
 */
import path from 'node:path'

export type InputFormat = 'requirements' | 'pyproject' | 'uv' | 'poetry' | 'pipfile' | 'pylock'

/** PEP 751: `pylock.toml`, or `pylock.<name>.toml` where the name has no dot. */
const PYLOCK = /^pylock(\.[^.]+)?\.toml$/

export function inputFormat(file: string): InputFormat {
  const name = path.basename(file)
  if (name === 'pyproject.toml') return 'pyproject'
  if (name === 'uv.lock') return 'uv'
  if (name === 'poetry.lock') return 'poetry'
  if (name === 'Pipfile.lock') return 'pipfile'
  if (PYLOCK.test(name)) return 'pylock'
  return 'requirements'
}

export function isLock(format: InputFormat): boolean {
  return format !== 'requirements' && format !== 'pyproject'
}

/** For messages: what the input accepts. */
export const FORMATS_HELP =
  'a pip requirements file, pyproject.toml, or a lock file: uv.lock, poetry.lock, Pipfile.lock, pylock.toml or pylock.<name>.toml'
