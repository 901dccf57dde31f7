/**
 * The user's own code in the layer: each `include` path is copied to python/<its last component>,
 * where Lambda's Python finds it as a top-level module or package.
 */
import * as core from '@actions/core'
import { promises as fs } from 'node:fs'
import * as path from 'node:path'
import { InputError } from '../errors'

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

/** Top-level entry of python/ → the distribution that installed it, from each dist-info's RECORD. */
async function installedOwners(pythonDir: string): Promise<Map<string, string>> {
  const owners = new Map<string, string>()
  let entries: string[]
  try {
    entries = await fs.readdir(pythonDir)
  } catch {
    return owners
  }
  for (const distInfo of entries.filter(e => e.endsWith('.dist-info'))) {
    const dist = distInfo.replace(/\.dist-info$/, '').replace(/-([^-]+)$/, ' $1')
    try {
      const record = await fs.readFile(path.join(pythonDir, distInfo, 'RECORD'), 'utf8')
      for (const line of record.split('\n')) {
        const top = line.split(',')[0].split('/')[0]
        if (top && !top.startsWith('..') && !owners.has(top)) owners.set(top, dist)
      }
    } catch {
      // no RECORD: the entry is still detected as present, just without an owner
    }
  }
  return owners
}

async function measure(target: string): Promise<{ files: number; bytes: number }> {
  const stat = await fs.stat(target)
  if (!stat.isDirectory()) return { files: 1, bytes: stat.size }
  let files = 0
  let bytes = 0
  for (const name of await fs.readdir(target)) {
    const m = await measure(path.join(target, name))
    files += m.files
    bytes += m.bytes
  }
  return { files, bytes }
}

function inside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child)
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel)
}

/**
 * Copies each path (file or directory, relative to the workspace) to python/<last component>.
 * Refuses paths outside the workspace, two includes with the same name, and an include that would
 * replace or shadow an installed package.
 */
export async function copyIncludes(
  paths: readonly string[],
  workspace: string,
  pythonDir: string
): Promise<IncludedPath[]> {
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

  const existing = new Set(await fs.readdir(pythonDir).catch(() => [] as string[]))
  const owners = await installedOwners(pythonDir)
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

  await fs.mkdir(pythonDir, { recursive: true })
  const copied: IncludedPath[] = []
  for (const p of planned) {
    const target = path.join(pythonDir, p.name)
    // links are followed: a layer zip holds files, not links into the runner's workspace
    await fs.cp(p.absolute, target, {
      recursive: true,
      dereference: true,
      errorOnExist: true,
      force: false
    })
    const { files, bytes } = await measure(target)
    core.info(`Included ${p.source} as python/${p.name} (${files} files, ${bytes} bytes)`)
    copied.push({ source: p.source, target: `python/${p.name}`, files, bytes })
  }
  return copied
}
