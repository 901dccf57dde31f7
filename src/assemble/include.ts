/**
 * The user's own code in the layer: each `include` path goes to python/<its last component>, where
 * Lambda's Python finds it as a top-level module or package. Nothing is copied: the files are read
 * from the workspace when the zip is written (links followed: a layer holds files, not links). A
 * link that leads out of the workspace is an error: it would publish whatever it points at
 * (`~/.aws/credentials`, `/etc`) to everyone who can read the layer.
 */
import * as core from '@actions/core'
import { promises as fs } from 'node:fs'
import * as path from 'node:path'
import { InputError, LayerActionError } from '../errors'
import { plural } from '../words'
import type { LayerEntry } from './entries'
import { formatBytes } from './size'

export interface IncludedPath {
  /** as given, relative to the workspace */
  source: string
  /** `python/<name>` */
  target: string
  files: number
  bytes: number
}

const INPUT = 'include'

/** The import name a top-level entry of python/ provides: `pkg/` → pkg, `mod.py` → mod, `ext.cpython-312-x86_64-linux-gnu.so` → ext. */
function importName(entry: string): string | undefined {
  if (entry.endsWith('.dist-info') || entry.endsWith('.data') || entry === '__pycache__')
    return undefined
  const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:\.py|\.pyc|(?:\.[^.]+)?\.so)?$/.exec(entry)
  return m?.[1]
}

/** Where links may lead: `root` (a real path) and what the error names (the include as given). */
export interface Confinement {
  readonly root: string
  readonly given: string
}

/**
 * Every file under `source` (itself when a file) as layer entries under `target` ('' for python/
 * itself), links followed; with `within`, a link whose target lies outside `within.root` is an
 * InputError naming the link.
 */
export async function filesUnder(
  source: string,
  target: string,
  within?: Confinement
): Promise<LayerEntry[]> {
  const out: LayerEntry[] = []
  const walk = async (file: string, name: string, ancestors: readonly string[]): Promise<void> => {
    if (within && (await fs.lstat(file)).isSymbolicLink()) await assertLinkInside(file, within)
    const st = await fs.stat(file).catch(() => undefined)
    if (!st) throw new LayerActionError(`${file} cannot be added to the layer: a broken symlink?`)
    if (st.isDirectory()) {
      const id = `${st.dev}:${st.ino}`
      if (ancestors.includes(id))
        throw new LayerActionError(
          `Symlink loop in 'include': ${file} leads back to a parent of its own`
        )
      for (const child of (await fs.readdir(file)).sort())
        await walk(path.join(file, child), name ? `${name}/${child}` : child, [...ancestors, id])
    } else if (st.isFile()) {
      const executable = (st.mode & 0o111) !== 0
      out.push({ path: name, size: st.size, executable, source: { kind: 'file', file } })
    } else {
      core.warning(`Left out of the layer: ${file} is not a regular file or directory`)
    }
  }
  await walk(source, target, [])
  return out
}

/** A link under an include must resolve inside the workspace (its real path). */
async function assertLinkInside(link: string, within: Confinement): Promise<void> {
  const real = await fs.realpath(link).catch(() => undefined)
  if (real === undefined || inside(within.root, real) || real === within.root) return
  const shown = path.relative(within.root, link)
  throw new InputError(
    INPUT,
    within.given,
    `files inside the workspace: ${shown.startsWith('..') ? link : shown} is a symlink to ${real}, outside the workspace, ` +
      'and a layer must not carry files from the runner (credentials, system files). ' +
      'Copy the file into the workspace in a step before this one, or remove the link'
  )
}

function inside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child)
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel)
}

/**
 * The entries of each path (file or directory, relative to the workspace) at python/<last component>.
 * Refuses paths outside the workspace, two includes with the same name, and an include that would
 * replace or shadow a package of the wheels (`installed`).
 */
export async function includeEntries(
  paths: readonly string[],
  workspace: string,
  installed: readonly LayerEntry[]
): Promise<{ entries: LayerEntry[]; included: IncludedPath[] }> {
  const realWorkspace = await fs.realpath(workspace)
  const planned: { source: string; absolute: string; name: string }[] = []
  for (const given of paths.map(p => p.trim()).filter(Boolean)) {
    const absolute = path.resolve(workspace, given)
    if (!inside(workspace, absolute)) {
      throw new InputError(
        INPUT,
        given,
        'a file or directory inside the workspace (not the workspace itself, nothing outside it)'
      )
    }
    let real: string
    try {
      real = await fs.realpath(absolute)
    } catch {
      throw new InputError(INPUT, given, 'a file or directory inside the workspace')
    }
    if (!inside(realWorkspace, real)) {
      throw new InputError(
        INPUT,
        given,
        'a file or directory inside the workspace (this one is a link leading outside it)'
      )
    }
    const name = path.basename(absolute)
    const twin = planned.find(p => p.name === name)
    if (twin) {
      throw new InputError(
        INPUT,
        given,
        `a path whose last component differs from every other include: '${twin.source}' is also copied to python/${name}`
      )
    }
    if (name === 'bin' || name.endsWith('.dist-info') || name === '__pycache__') {
      throw new InputError(
        INPUT,
        given,
        `a name other than python/${name}, which holds pip's own files (rename the directory)`
      )
    }
    planned.push({ source: given, absolute, name })
  }

  const existing = new Set<string>()
  const owners = new Map<string, string>()
  for (const e of installed) {
    const top = e.path.split('/')[0]
    existing.add(top)
    if (e.owner && !owners.has(top)) owners.set(top, `${e.owner.name} ${e.owner.version}`)
  }
  const byImport = new Map<string, string>()
  for (const entry of existing) {
    const name = importName(entry)
    if (name && !byImport.has(name)) byImport.set(name, entry)
  }
  for (const p of planned) {
    const clash = existing.has(p.name) ? p.name : byImport.get(importName(p.name) ?? '')
    if (clash) {
      const owner = owners.get(clash)
      throw new InputError(
        INPUT,
        p.source,
        `a name not already in the layer: python/${clash} is installed ${owner ? `by ${owner} ` : ''}from the requirements, ` +
          `and python/${p.name} would ${clash === p.name ? 'replace' : 'shadow'} it (rename your code or drop the requirement)`
      )
    }
  }

  const entries: LayerEntry[] = []
  const included: IncludedPath[] = []
  for (const p of planned) {
    const files = await filesUnder(p.absolute, p.name, { root: realWorkspace, given: p.source })
    const bytes = files.reduce((n, f) => n + f.size, 0)
    core.info(
      `Included ${p.source} as python/${p.name} (${plural(files.length, 'file')}, ${formatBytes(bytes)})`
    )
    entries.push(...files)
    included.push({ source: p.source, target: `python/${p.name}`, files: files.length, bytes })
  }
  return { entries, included }
}
