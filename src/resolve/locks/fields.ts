/**
 * Every field a lock reader takes, type-checked: a wrong type or a missing required field is an
 * InputError naming the file (with the line, found in the text: the TOML and JSON parsers give
 * none for values), the package or table, the field, what was found and what the format allows.
 */
import { InputError } from '../../errors'
import { Inputs } from '../../constants'
import { lineOf, where, type LockRequest } from './lock'

/** Where a field sits: `package "numpy"` or `table [metadata]`, and the line its entry starts on. */
export interface Place {
  readonly req: LockRequest
  readonly what: string
  readonly line?: number
}

type Table = Record<string, unknown>

export function isTable(value: unknown): value is Table {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing'
  if (Array.isArray(value)) return 'an array'
  if (isTable(value)) return 'a table'
  if (typeof value === 'string') return `the string ${JSON.stringify(value.slice(0, 80))}`
  if (value instanceof Date) return 'a date'
  return `the ${typeof value} ${String(value)}`
}

/** The line of `key = …` (TOML) or `"key": …` (JSON) at or after the entry's line. */
function fieldLine(at: Place, key: string): number | undefined {
  const from = at.line
    ? at.req.text
        .split('\n')
        .slice(0, at.line - 1)
        .join('\n').length
    : 0
  const k = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return (
    lineOf(at.req.text, new RegExp(`^[ \\t]*(?:${k}|"${k}"|'${k}')\\s*[=:]`, 'm'), from) ?? at.line
  )
}

export function fieldError(at: Place, key: string, expected: string, value: unknown): InputError {
  return new InputError(
    Inputs.Requirements,
    // a missing field has no line of its own: its entry's
    where(at.req, value === undefined ? at.line : fieldLine(at, key)),
    `a lock whose fields have the types its format defines: ${at.what}, field "${key}" must be ${expected}; found ${describe(value)}`
  )
}

export function optString(t: Table, key: string, at: Place): string | undefined {
  const v = t[key]
  if (v === undefined || typeof v === 'string') return v
  throw fieldError(at, key, 'a string', v)
}

export function reqString(t: Table, key: string, at: Place): string {
  const v = t[key]
  if (typeof v === 'string' && v !== '') return v
  throw fieldError(at, key, 'a non-empty string (it is required)', v)
}

export function optNumber(t: Table, key: string, at: Place): number | undefined {
  const v = t[key]
  if (v === undefined || (typeof v === 'number' && Number.isFinite(v))) return v
  throw fieldError(at, key, 'a number', v)
}

export function optBool(t: Table, key: string, at: Place): boolean | undefined {
  const v = t[key]
  if (v === undefined || typeof v === 'boolean') return v
  throw fieldError(at, key, 'true or false', v)
}

export function optTable(t: Table, key: string, at: Place): Table | undefined {
  const v = t[key]
  if (v === undefined || isTable(v)) return v
  throw fieldError(at, key, 'a table', v)
}

export function optTables(t: Table, key: string, at: Place): Table[] {
  const v = t[key]
  if (v === undefined) return []
  if (Array.isArray(v) && v.every(isTable)) return v
  throw fieldError(at, key, 'an array of tables', v)
}

export function optStrings(t: Table, key: string, at: Place): string[] | undefined {
  const v = t[key]
  if (v === undefined) return undefined
  if (Array.isArray(v) && v.every(x => typeof x === 'string')) return v as string[]
  throw fieldError(at, key, 'an array of strings', v)
}

/** A table of `name → string` (hashes, markers per group). */
export function optStringTable(
  t: Table,
  key: string,
  at: Place
): Record<string, string> | undefined {
  const v = t[key]
  if (v === undefined) return undefined
  if (isTable(v) && Object.values(v).every(x => typeof x === 'string'))
    return v as Record<string, string>
  throw fieldError(at, key, 'a table of strings', v)
}

/** The line of the n-th (0-based) `[[header]]` array-of-tables header, e.g. `[[package]]`. */
export function headerLine(req: LockRequest, header: string, n: number): number | undefined {
  const re = new RegExp(
    `^[ \\t]*\\[\\[${header.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\]\\]`,
    'gm'
  )
  let m: RegExpExecArray | null
  let i = 0
  while ((m = re.exec(req.text))) {
    if (i++ === n) return req.text.slice(0, m.index).split('\n').length
  }
  return undefined
}
