/**
 * Source distributions and local packages → wheels, built on the runner with the package's own
 * build backend (`pip wheel --no-deps`). A layer only takes what would load on Lambda from such a
 * build: pure-Python wheels.
 */
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, readdir, rename } from 'node:fs/promises'
import path from 'node:path'
import { LayerActionError } from '../errors'
import { parseDistributionFile } from './wheel-tags'

export interface SourceBuild {
  /** an sdist file, a source tree (directory with pyproject.toml or setup.py) */
  readonly source: string
  /** where the wheel is put */
  readonly outDir: string
  /** the interpreter that runs pip and the build backend */
  readonly python: string
  readonly env?: NodeJS.ProcessEnv
  /** where build backends come from (build isolation) */
  readonly indexUrl?: string
  readonly pipArgs?: readonly string[]
}

export interface BuiltWheel {
  readonly file: string
  readonly name: string
  readonly version: string
  /** `py3-none-any` (or `py2.py3-none-any`): loads on any Lambda runtime */
  readonly pure: boolean
}

export class SourceBuildError extends LayerActionError {}

export async function buildSourceWheel(o: SourceBuild): Promise<BuiltWheel> {
  await mkdir(o.outDir, { recursive: true })
  const scratch = await mkdtemp(path.join(o.outDir, '.build-'))
  const args = [
    '-m',
    'pip',
    'wheel',
    '--no-deps',
    '--no-input',
    '--disable-pip-version-check',
    '-w',
    scratch,
    ...(o.indexUrl ? ['--index-url', o.indexUrl] : []),
    ...(o.pipArgs ?? []),
    o.source
  ]
  await new Promise<void>((resolve, reject) =>
    execFile(
      o.python,
      args,
      { env: o.env ?? process.env, maxBuffer: 64 << 20 },
      (error, _out, err) =>
        error
          ? reject(new SourceBuildError(`Could not build a wheel from ${o.source}:\n${err.trim()}`))
          : resolve()
    )
  )
  const built = (await readdir(scratch)).filter(f => f.endsWith('.whl'))
  if (built.length !== 1)
    throw new SourceBuildError(`Building ${o.source} gave ${built.length} wheels, expected one`)
  const file = path.join(o.outDir, built[0])
  await rename(path.join(scratch, built[0]), file)
  const parsed = parseDistributionFile(built[0])
  const pure = !!parsed && parsed.tags.every(t => t.abi === 'none' && t.platform === 'any')
  return { file, name: parsed?.project ?? built[0], version: parsed?.version ?? '', pure }
}
