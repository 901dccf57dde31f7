/**
 * What every lock format is read into: the packages to install for the target, exactly as locked
 * (name, version, the files with their hashes, where they come from), and what was left out and why.
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse as parseToml, TomlError } from 'smol-toml'
import { InputError } from '../../errors'
import { Inputs } from '../../constants'
import type { MarkerEnvironment } from '../../runtimes'
import { MarkerSyntaxError, evaluateMarker } from '../../python/markers'
import { normalizeProject } from '../../python/names'

/** One distribution file the lock records. */
export interface LockedFile {
  /** `name-1.0-py3-none-any.whl` / `name-1.0.tar.gz` */
  readonly filename: string
  /** http(s): or file: URL; absent when the lock records only the file name (found on `index`) */
  readonly url?: string
  /** algorithm → accepted hex digests: the file must match one of them for every algorithm listed */
  readonly hashes: Readonly<Record<string, readonly string[]>>
  /** bytes, when the lock says */
  readonly size?: number
}

export interface LockedPackage {
  /** PEP 503 normalised */
  readonly name: string
  readonly version: string
  /** the wheels and sdist the lock records (the wheel for the target is chosen among them) */
  readonly files: readonly LockedFile[]
  /**
   * Pipfile.lock records hashes, not files: every file of this version on `index` whose hash is
   * one of these may be taken.
   */
  readonly hashesOnly?: Readonly<Record<string, readonly string[]>>
  /** a local source tree (path dependency, workspace member) to build into a wheel */
  readonly directory?: string
  /** PEP 503 simple index that serves the files without a URL */
  readonly index?: string
  /** the selected packages it requires for the target (PEP 503 names), where the lock records its graph */
  readonly dependencies?: readonly string[]
  /** the line of its entry in the lock, for messages */
  readonly line?: number
}

export interface LockSelection {
  readonly packages: readonly LockedPackage[]
  /**
   * the packages the project itself requires (uv: the root's dependencies); undefined when the lock
   * does not say, and then every package no other selected package requires counts as asked for
   */
  readonly direct?: ReadonlySet<string>
  /** false when the lock records no dependency graph (Pipfile.lock) */
  readonly graph?: boolean
  /** `name version: why` for every locked package left out (marker, group, extra) */
  readonly skipped: readonly string[]
  /** one line for the log: format, version, what was taken */
  readonly summary: string
}

export interface LockRequest {
  /** absolute path of the lock */
  readonly file: string
  /** the path as the user wrote it (relative to the workspace), for messages */
  readonly display: string
  readonly text: string
  readonly extras: readonly string[]
  readonly groups: readonly string[]
  readonly env: MarkerEnvironment
  /** the `index-url` input (or CodeArtifact's), '' when unset */
  readonly indexUrl: string
  /** for credentials a tool reads from the environment (Pipenv `${VAR}` in source URLs, Poetry's `POETRY_HTTP_BASIC_*`) */
  readonly environ?: Readonly<Record<string, string | undefined>>
}

/** The 1-based line where `needle` first occurs in `text` (after `from`), or undefined. */
export function lineOf(text: string, needle: string | RegExp, from = 0): number | undefined {
  const index =
    typeof needle === 'string' ? text.indexOf(needle, from) : text.slice(from).search(needle)
  if (index < 0) return undefined
  const at = typeof needle === 'string' ? index : index + from
  return text.slice(0, at).split('\n').length
}

/** `uv.lock:12` */
export function where(req: LockRequest, line?: number): string {
  return line ? `${req.display}:${line}` : req.display
}

/** The line of the `name = "x"` / `"x": {` that starts a package's entry. */
export function packageLine(req: LockRequest, name: string): number | undefined {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return (
    lineOf(req.text, new RegExp(`^\\s*name\\s*=\\s*["']${escaped}["']`, 'mi')) ??
    lineOf(req.text, new RegExp(`^\\s*"${escaped}"\\s*:`, 'mi'))
  )
}

export function parseTomlLock(req: LockRequest, format: string): Record<string, unknown> {
  try {
    return parseToml(req.text) as Record<string, unknown>
  } catch (error) {
    const line = error instanceof TomlError ? error.line : undefined
    const first = (error instanceof Error ? error.message : String(error)).split('\n')[0]
    throw new InputError(
      Inputs.Requirements,
      where(req, line),
      `${format} that parses as TOML (${first}); regenerate it with its tool`
    )
  }
}

export function parseJsonLock(req: LockRequest, format: string): Record<string, unknown> {
  try {
    const data: unknown = JSON.parse(req.text)
    if (!data || typeof data !== 'object' || Array.isArray(data)) throw new Error('not an object')
    return data as Record<string, unknown>
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    const position = /position (\d+)/.exec(message)
    const lineInMessage = /line (\d+)/.exec(message)
    const line = lineInMessage
      ? Number(lineInMessage[1])
      : position
        ? req.text.slice(0, Number(position[1])).split('\n').length
        : undefined
    throw new InputError(
      Inputs.Requirements,
      where(req, line),
      `${format} that parses as JSON (${message}); regenerate it with pipenv lock`
    )
  }
}

/** Evaluates a lock's marker; one that does not parse names the file, line and package. */
export function markerHolds(
  req: LockRequest,
  marker: string | undefined,
  pkg: string,
  sets: { extras?: ReadonlySet<string>; groups?: ReadonlySet<string> }
): boolean {
  if (!marker || marker.trim() === '' || marker.trim() === '*') return true
  try {
    return evaluateMarker(marker, { env: req.env, ...sets })
  } catch (error) {
    if (!(error instanceof MarkerSyntaxError)) throw error
    throw new InputError(
      Inputs.Requirements,
      where(req, lineOf(req.text, marker) ?? packageLine(req, pkg)),
      `a lock whose environment markers are PEP 508: the marker of ${pkg} (${JSON.stringify(marker)}) does not parse: ${error.message}`
    )
  }
}

/** `sha256:abc…` → { sha256: ['abc…'] } */
export function parseHash(text: string): Record<string, string[]> {
  const m = /^([a-z0-9]+)[:=]([0-9a-f]+)$/i.exec(text.trim())
  return m ? { [m[1].toLowerCase()]: [m[2].toLowerCase()] } : {}
}

/** The last path component of a URL, percent-decoded, without query or fragment. */
export function filenameOf(url: string): string {
  const last =
    url
      .replace(/[#?].*$/, '')
      .split('/')
      .pop() ?? url
  try {
    return decodeURIComponent(last)
  } catch {
    return last
  }
}

/** A lock's relative path (or file: URL) → absolute path. */
export function localPath(req: LockRequest, p: string): string {
  if (p.startsWith('file:')) return fileURLToPath(p)
  return path.resolve(path.dirname(req.file), p)
}

/** A VCS requirement cannot be pinned to wheels for the target: an input error, by name. */
export function vcsError(req: LockRequest, pkg: string, url: string): InputError {
  return new InputError(
    Inputs.Requirements,
    where(req, packageLine(req, pkg)),
    `locked packages from an index, a URL or a local path: ${pkg} comes from version control (${url}), which the action does not build. Publish it as a wheel to your index (or use a path dependency on a checkout) and re-lock`
  )
}

/** A named extra or group the lock does not define. */
export function unknownNames(
  req: LockRequest,
  input: Inputs.Extras | Inputs.Groups,
  asked: readonly string[],
  defined: readonly string[],
  note = ''
): void {
  const known = new Set(defined.map(normalizeProject))
  const missing = asked.filter(n => !known.has(normalizeProject(n)))
  if (missing.length === 0) return
  const list = defined.length > 0 ? defined.join(', ') : 'none'
  throw new InputError(
    input,
    missing.join(','),
    `${input} that ${req.display} defines: ${list}${note}`
  )
}

export function asRecord(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {}
}

export function asArray(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.map(asRecord) : []
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined
}

/** `name version: reason` */
export function skipLine(name: string, version: string, reason: string): string {
  return `${name} ${version}: ${reason}`
}

/** Why a marker left a package out: the target, or the extras and groups asked for. */
export function markerReason(markers: readonly (string | undefined)[]): string {
  const shown = [...new Set(markers.filter((m): m is string => !!m))]
  const asked = shown.some(m => /\b(extra|extras|dependency_groups)\b/.test(m))
  return `marker ${shown.join(' | ')} is false for the target${asked ? ' and the extras and groups asked for' : ''}`
}
