/**
 * What pip's output says about a failed resolution, read from the lines pip has printed the same way
 * since 20.3 (read in pip 23.2.1 and main, 2026-11: req_install.from_path, resolvelib factory
 * get_installation_error, index collector): which requirements could not be met and who asked for
 * them, the chain from a requirement the user wrote down to it, the versions pip tried, and any HTTP
 * error or stall pip met on the way. Pure: no I/O.
 */
import path from 'node:path'
import { parseRequirement } from '../python/requirements'
import { normalizeProject } from '../python/names'
import { parseDistributionFile } from '../python/wheel-tags'

export interface FailedRequirement {
  /** PEP 503 name */
  readonly project: string
  /** as pip printed it, e.g. `contourpy>=1.0.1` */
  readonly requirement: string
  /** the package whose metadata asks for it; undefined when the user asked for it */
  readonly parent?: string
}

export interface PipFailure {
  readonly causes: readonly FailedRequirement[]
  /** project → the names that led to it (nearest first), from `Collecting x (from a->b->-r f (line n))` */
  readonly parents: ReadonlyMap<string, readonly string[]>
  /** project → where the user's requirement is written (`-r requirements.txt (line 2)`), when pip said */
  readonly origins: ReadonlyMap<string, string>
  /** project → the first (newest) version pip tried */
  readonly versions: ReadonlyMap<string, string>
  /** an HTTP error pip met, with the URL as pip printed it (pip prints no credentials) */
  readonly http?: { readonly status: number; readonly url: string }
  /** pip gave up waiting for a server; the URL it was reading, when known */
  readonly stalled?: { readonly url?: string }
}

function projectOf(requirement: string): string | undefined {
  return parseRequirement(requirement)?.project
}

/** `a>=1->b->-r requirements.txt (line 2)` → names nearest first, and the requirement file line. */
function chainOf(from: string): { names: string[]; origin?: string } {
  const names: string[] = []
  let origin: string | undefined
  for (const part of from.split('->')) {
    const p = part.trim()
    if (/^-[rc]\s/.test(p) || /^\(/.test(p)) origin = p
    else {
      const name = projectOf(p)
      if (name) names.push(name)
    }
  }
  return { names, origin }
}

function fileVersion(urlOrFile: string): { project: string; version: string } | undefined {
  const base = path.posix.basename(urlOrFile.replace(/[#?].*$/, '').replace(/\.metadata$/, ''))
  let decoded = base
  try {
    decoded = decodeURIComponent(base)
  } catch {
    // keep it as printed
  }
  const parsed = parseDistributionFile(decoded)
  return parsed ? { project: parsed.project, version: parsed.version } : undefined
}

export function readPipFailure(output: string): PipFailure {
  const lines = output.split('\n').map(l => l.replace(/\r/g, '').trimEnd())
  const causes: FailedRequirement[] = []
  const parents = new Map<string, string[]>()
  const origins = new Map<string, string>()
  const versions = new Map<string, string>()
  let http: PipFailure['http']
  let lastUrl: string | undefined
  let stalled = false
  const addCause = (requirement: string, parent?: string): void => {
    const project = projectOf(requirement)
    if (!project) return
    const p = parent ? normalizeProject(parent) : undefined
    if (!causes.some(c => c.project === project && c.parent === p))
      causes.push({ project, requirement, parent: p })
  }
  let inConflict = false
  for (const line of lines) {
    const text = line.replace(/^ERROR:\s*/, '')
    let m: RegExpExecArray | null
    if ((m = /^Collecting (\S+)(?: \(from (.+)\))?$/.exec(text))) {
      const project = projectOf(m[1])
      if (project && m[2] && !parents.has(project)) {
        const chain = chainOf(m[2])
        parents.set(project, chain.names)
        if (chain.origin && chain.names.length === 0) origins.set(project, chain.origin)
      }
      continue
    }
    if (
      (m =
        /^\s*(?:Downloading|Using cached|File was already downloaded|Obtaining dependency information for \S+ from)\s+(\S+)/.exec(
          text
        ))
    ) {
      lastUrl = m[1]
      const fv = fileVersion(m[1])
      if (fv && !versions.has(fv.project)) versions.set(fv.project, fv.version)
      continue
    }
    if (/^The conflict is caused by:/.test(text.trim())) {
      inConflict = true
      continue
    }
    if (inConflict) {
      if ((m = /^\s+(\S+) (\S+) depends on (.+)$/.exec(line))) {
        const parent = normalizeProject(m[1])
        if (!versions.has(parent)) versions.set(parent, m[2])
        addCause(m[3].trim(), m[1])
        continue
      }
      if ((m = /^\s+The user requested (?!\(constraint\))(.+)$/.exec(line))) {
        addCause(m[1].trim())
        continue
      }
      if (line.trim() === '' || /^\s/.test(line)) continue
      inConflict = false
    }
    if ((m = /satisfies the requirement (\S+) \(from ([^)]+)\) \(from versions/.exec(text))) {
      addCause(m[1], m[2].split(/[\s,]/)[0])
      continue
    }
    if ((m = /No matching distribution found for (\S+)/.exec(text))) {
      const project = projectOf(m[1])
      if (project && !causes.some(c => c.project === project)) addCause(m[1])
      continue
    }
    if (
      !http &&
      ((m = /HTTP error (\d{3})\b.*? (?:while getting|for URL|for url:?) (\S+)/i.exec(text)) ||
        (m = /\b(\d{3}) (?:Client|Server) Error:.*? for url: (\S+)/.exec(text)) ||
        (m = /Could not fetch URL (\S+): (\d{3})\b/.exec(text)))
    ) {
      const [status, url] = /^\d/.test(m[1]) ? [m[1], m[2]] : [m[2], m[1]]
      http = { status: Number(status), url: url.replace(/[)'".,]+$/, '') }
      continue
    }
    if (
      /ReadTimeoutError|Read timed out|ConnectTimeoutError|timed out\. \(connect timeout/.test(text)
    )
      stalled = true
  }
  return {
    causes,
    parents,
    origins,
    versions,
    http,
    stalled: stalled ? { url: lastUrl } : undefined
  }
}

/**
 * The chain from a requirement the user wrote down to `project`: `['app', 'matplotlib', 'contourpy']`
 * (the user's requirement first), following the parent pip named for the cause, then the
 * `Collecting … (from …)` lines.
 */
export function chainTo(failure: PipFailure, cause: FailedRequirement): string[] {
  const chain = [cause.project]
  let next = cause.parent
  const seen = new Set(chain)
  while (next && !seen.has(next)) {
    chain.unshift(next)
    seen.add(next)
    const above = failure.parents.get(next)
    if (above && above.length > 0) {
      // the whole chain pip printed for it, nearest first
      for (const name of above) {
        if (seen.has(name)) break
        chain.unshift(name)
        seen.add(name)
      }
      break
    }
    next = undefined
  }
  return chain
}
