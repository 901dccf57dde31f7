/**
 * Local packages named in a requirements file (`./libs/common`, `-e ./libs/common`, `file:` URLs,
 * `name @ file:///…`): found here, built by the caller, and swapped for their wheels in a copy of
 * the requirements (a layer cannot hold an editable install, and pip must not build for the runner).
 */
import { promises as fs } from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { Inputs } from '../constants'
import { InputError } from '../errors'
import { sha256File } from '../digests'
import {
  expandEnv,
  logicalLines,
  parseRequirement,
  walkRequirementFiles,
  type LogicalLine
} from '../python/requirements'
import { allowedRoots, containedPath } from './paths'

/** One requirement line that names a local source: a directory, or an sdist archive on disk. */
export interface LocalReference {
  /** `requirements.txt:3`, relative to the workspace */
  readonly where: string
  /** the requirements file (absolute) and the line the requirement starts on */
  readonly file: string
  readonly line: number
  /** the requirement as written, e.g. `-e ./libs/common` */
  readonly written: string
  /** absolute path of the source tree or archive */
  readonly source: string
  /** `[extra1,extra2]` or '' */
  readonly extras: string
  /** the environment marker without its `;`, or '' */
  readonly marker: string
}

interface ParsedFile {
  readonly path: string
  readonly physical: string[]
  readonly lines: LogicalLine[]
}

export interface RequirementTree {
  /** the requirements file and the files it includes with -r, in reading order */
  readonly files: readonly ParsedFile[]
  readonly locals: readonly LocalReference[]
  /** some line carries --hash: pip checks every hash, so a rewritten line needs one too */
  readonly hashes: boolean
}

const VCS = /^(git|hg|svn|bzr)\+/i
const OPTION =
  /^(-r|--requirement|-c|--constraint|-e|--editable|-f|--find-links)(?:\s*=\s*|\s+|(?=[^\s=-]))(\S+)\s*(.*)$/
const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i

/** `./libs/common[extra]; marker` → path, extras, marker. */
function splitPathRequirement(text: string): { target: string; extras: string; marker: string } {
  const semi = text.search(/\s*;/)
  const head = semi >= 0 ? text.slice(0, semi).trim() : text.trim()
  const marker = semi >= 0 ? text.slice(text.indexOf(';', semi) + 1).trim() : ''
  const extras = /(\[[^\]]*\])$/.exec(head)?.[1] ?? ''
  return { target: extras ? head.slice(0, -extras.length) : head, extras, marker }
}

/** The requirement part of a line: everything before its per-requirement options (`--hash=…`). */
function requirementPart(text: string): string {
  const at = text.search(/\s--?[a-z]/i)
  return at >= 0 ? text.slice(0, at).trim() : text
}

function looksLikePath(target: string): boolean {
  return /^(\.|\/|~)/.test(target) || (target.includes('/') && !SCHEME.test(target))
}

/**
 * A `file:` URL or path → absolute path. Relative paths resolve from pip's working directory (the
 * workspace), as pip reads them; when nothing is there, from the requirements file's folder.
 */
async function localPath(target: string, cwd: string, fileDir: string): Promise<string> {
  let raw = target
  if (/^file:\/\//i.test(raw)) {
    try {
      return fileURLToPath(raw)
    } catch {
      raw = raw.replace(/^file:\/\//i, '')
    }
  } else if (/^file:/i.test(raw)) raw = raw.slice('file:'.length)
  if (raw.startsWith('~/')) raw = path.join(process.env.HOME ?? '~', raw.slice(2))
  const fromCwd = path.resolve(cwd, raw)
  if (path.isAbsolute(raw) || (await exists(fromCwd))) return fromCwd
  const fromFile = path.resolve(fileDir, raw)
  return (await exists(fromFile)) ? fromFile : fromCwd
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.access(p)
    return true
  } catch {
    return false
  }
}

/** A directory pip can build, or an sdist archive; anything else is reported by file and line. */
async function checkSource(source: string, where: string, written: string): Promise<void> {
  let stat
  try {
    stat = await fs.stat(source)
  } catch {
    throw new InputError(
      Inputs.Requirements,
      `${where}: ${written}`,
      `a local package directory (with pyproject.toml or setup.py) or an sdist file; nothing is at ${source} (relative paths resolve from the workspace, as pip reads them)`
    )
  }
  if (stat.isDirectory()) {
    const markers = ['pyproject.toml', 'setup.py']
    if (!(await Promise.all(markers.map(m => exists(path.join(source, m))))).some(Boolean))
      throw new InputError(
        Inputs.Requirements,
        `${where}: ${written}`,
        `a local package directory with pyproject.toml or setup.py; ${source} has neither`
      )
  }
}

/**
 * Reads the requirements file and every file it includes with -r (relative to the including
 * file, as pip reads them), and finds the local packages. A VCS requirement is an input error:
 * pip would clone and build it for the runner.
 */
export async function findLocalPackages(
  requirements: string,
  o: { cwd: string; workspace: string; env?: NodeJS.ProcessEnv }
): Promise<RequirementTree> {
  const env = o.env ?? process.env
  const roots = allowedRoots(o.workspace, env)
  const contained = (source: string, where: string, written: string): string => {
    const checked = containedPath(source, roots)
    if (!checked.ok) throw new InputError(Inputs.Requirements, `${where}: ${written}`, checked.why)
    return checked.real
  }
  const files: ParsedFile[] = []
  const locals: LocalReference[] = []
  let hashes = false
  const visit = async (
    absolute: string,
    content: string,
    include: (ref: string) => Promise<void>
  ): Promise<void> => {
    const parsed = { path: absolute, ...logicalLines(content) }
    files.push(parsed)
    const shown = path.relative(o.workspace, absolute) || absolute
    for (const line of parsed.lines) {
      const where = `${shown}:${line.start}`
      const at = { where, file: absolute, line: line.start }
      const text = expandEnv(line.text, env)
      if (/(^|\s)--hash[=\s]/.test(text)) hashes = true
      const option = OPTION.exec(text)
      if (option) {
        const [, flag, value, rest] = option
        if ((flag === '-r' || flag === '--requirement') && !SCHEME.test(value)) await include(value)
        if (flag === '-e' || flag === '--editable') {
          const editable = `${value}${rest ? ` ${rest}` : ''}`
          await classify(editable, `${flag} ${editable}`, at)
        }
        continue
      }
      if (text.startsWith('-')) continue
      await classify(requirementPart(text), text, at)
    }
  }
  const classify = async (
    requirement: string,
    written: string,
    at: { where: string; file: string; line: number }
  ): Promise<void> => {
    const { where, file, line } = at
    const fileDir = path.dirname(file)
    const vcs = (url: string): never => {
      throw new InputError(
        Inputs.Requirements,
        `${where}: ${written}`,
        `a requirement from an index, a local path or a file: URL; a VCS requirement (${url.split('+')[0]}+…) is not built into a layer: publish the package to your index (or CodeArtifact), or check it out and name its folder (./path)`
      )
    }
    if (VCS.test(requirement)) vcs(requirement)
    const named = parseRequirement(requirement)
    if (named?.url) {
      if (VCS.test(named.url)) vcs(named.url)
      if (!/^file:/i.test(named.url)) return
      const source = contained(await localPath(named.url, o.cwd, fileDir), where, written)
      await checkSource(source, where, written)
      const extras = named.extras.length > 0 ? `[${named.extras.join(',')}]` : ''
      locals.push({ where, file, line, written, source, extras, marker: named.marker })
      return
    }
    const { target, extras, marker } = splitPathRequirement(requirement)
    if (!/^file:/i.test(target) && !looksLikePath(target)) return
    const source = contained(await localPath(target, o.cwd, fileDir), where, written)
    // a wheel file on disk needs no build: pip checks its tags for the target like any other
    if (target.endsWith('.whl')) return
    await checkSource(source, where, written)
    locals.push({ where, file, line, written, source, extras, marker })
  }
  await walkRequirementFiles(requirements, visit)
  return { files, locals, hashes }
}

/**
 * Copies of the requirements files into `outDir` with every local package replaced by
 * `name[extras] @ file:///…/name-1.0-py3-none-any.whl` (its built wheel) and every relative -r,
 * -c and --find-links made absolute, so they resolve as before. Returns the copy of the top file.
 */
export async function rewriteRequirements(
  tree: RequirementTree,
  wheels: ReadonlyMap<string, { file: string; name: string }>,
  o: { outDir: string; cwd: string; env?: NodeJS.ProcessEnv }
): Promise<string> {
  const env = o.env ?? process.env
  await fs.mkdir(o.outDir, { recursive: true })
  const copies = new Map(
    tree.files.map((f, i) => [f.path, path.join(o.outDir, `${i}-${path.basename(f.path)}`)])
  )
  for (const file of tree.files) {
    const out = [...file.physical]
    const locals = new Map(tree.locals.filter(l => l.file === file.path).map(l => [l.line, l]))
    for (const line of file.lines) {
      let replacement: string | undefined
      const local = locals.get(line.start)
      const wheel = local && wheels.get(local.source)
      if (local && wheel) {
        const marker = local.marker ? ` ; ${local.marker}` : ''
        const hash = tree.hashes ? ` --hash=sha256:${await sha256File(wheel.file)}` : ''
        replacement = `${wheel.name}${local.extras} @ ${pathToFileURL(wheel.file).href}${marker}${hash}`
      } else {
        const option = OPTION.exec(expandEnv(line.text, env))
        if (option && !['-e', '--editable'].includes(option[1]) && !SCHEME.test(option[2])) {
          const [, flag, value, rest] = option
          let absolute = path.resolve(path.dirname(file.path), value)
          // pip takes a relative --find-links from the requirements file's folder only when it exists there
          if ((flag === '-f' || flag === '--find-links') && !(await exists(absolute)))
            absolute = path.resolve(o.cwd, value)
          const target =
            flag === '-r' || flag === '--requirement'
              ? (copies.get(absolute) ?? absolute)
              : absolute
          replacement = `${flag} ${target}${rest ? ` ${rest}` : ''}`
        }
      }
      if (replacement === undefined) continue
      out[line.start - 1] = replacement
      // continuation lines of the replaced requirement: emptied, so line numbers stay the same
      for (let i = line.start; i < line.end; i++) out[i] = ''
    }
    await fs.writeFile(copies.get(file.path) as string, out.join('\n'))
  }
  return copies.get(tree.files[0].path) as string
}
