/**
 * Where a local path a requirements file or a lock names may point: inside the workspace, or inside
 * the runner's temp folder (RUNNER_TEMP, else the OS temp folder), judged after every symlink is
 * resolved. Anything else (`../../etc`, `/home/runner/.ssh`, a link out of the checkout) would put
 * files from outside the repository into a published layer.
 */
import { realpathSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

export interface AllowedRoots {
  readonly workspace: string
  /** RUNNER_TEMP, else the OS temp folder */
  readonly temp: string
}

export function allowedRoots(
  workspace: string,
  env: NodeJS.ProcessEnv = process.env
): AllowedRoots {
  return { workspace, temp: env.RUNNER_TEMP || os.tmpdir() }
}

function real(p: string): string {
  try {
    return realpathSync(p)
  } catch {
    // a path that does not exist: its nearest existing parent decides (a missing file is reported by its reader)
    const parent = path.dirname(p)
    return parent === p ? p : path.join(real(parent), path.basename(p))
  }
}

function inside(child: string, root: string): boolean {
  const rel = path.relative(root, child)
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))
}

/**
 * The path with its symlinks resolved when it stays inside the roots; otherwise the reason it does
 * not, for the caller's error (which names the file and entry that gave it).
 */
export function containedPath(
  p: string,
  roots: AllowedRoots
): { ok: true; real: string } | { ok: false; real: string; why: string } {
  const resolved = real(path.resolve(p))
  const allowed = [roots.workspace, roots.temp].map(r => real(path.resolve(r)))
  if (allowed.some(root => inside(resolved, root))) return { ok: true, real: resolved }
  const link = resolved !== path.resolve(p) ? ` (it resolves to ${resolved})` : ''
  return {
    ok: false,
    real: resolved,
    why: `${p}${link} is outside the workspace (${roots.workspace}) and the runner's temp folder (${roots.temp}): a layer takes local packages from the repository only. Move the package into the repository (or copy it under RUNNER_TEMP in an earlier step)`
  }
}
