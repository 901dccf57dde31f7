/**
 * PEP 508 environment markers, parsed and evaluated for the Lambda target (never the runner), with
 * PEP 440 version comparison, the `extra` set of lock files (uv, Poetry) and PEP 751's `extras` /
 * `dependency_groups` sets (`'dev' in dependency_groups`). Pure: no I/O.
 */
import type { MarkerEnvironment } from '../runtimes'
import { parseVersion, versionMatches } from './pep440'
import { normalizeProject } from './names'

/** The environment a marker is evaluated in: the target's, plus what the user asked to install. */
export interface MarkerContext {
  readonly env: MarkerEnvironment
  /** active extras, for `extra == "x"` (uv, Poetry and wheel metadata) and `"x" in extras` (PEP 751) */
  readonly extras?: ReadonlySet<string>
  /** active dependency groups, for `"dev" in dependency_groups` (PEP 751, Pipenv) */
  readonly groups?: ReadonlySet<string>
}

export class MarkerSyntaxError extends Error {}

type Operator = '<' | '<=' | '==' | '!=' | '>=' | '>' | '~=' | '===' | 'in' | 'not in'
type Operand = { variable: string } | { literal: string }
export type Marker =
  | { kind: 'and' | 'or'; left: Marker; right: Marker }
  | { kind: 'compare'; left: Operand; op: Operator; right: Operand }

const VARIABLES = new Set([
  'implementation_name',
  'implementation_version',
  'os_name',
  'platform_machine',
  'platform_python_implementation',
  'platform_release',
  'platform_system',
  'platform_version',
  'python_full_version',
  'python_version',
  'sys_platform',
  'extra',
  'extras',
  'dependency_groups'
])

/** Legacy spellings packaging still accepts (PEP 345 era). */
const ALIASES: Record<string, string> = {
  'os.name': 'os_name',
  'sys.platform': 'sys_platform',
  'platform.version': 'platform_version',
  'platform.machine': 'platform_machine',
  'platform.python_implementation': 'platform_python_implementation',
  python_implementation: 'platform_python_implementation'
}

const VERSION_VARIABLES = new Set([
  'python_version',
  'python_full_version',
  'implementation_version'
])

type Token =
  | { type: 'string'; value: string }
  | { type: 'name'; value: string }
  | { type: 'op'; value: Operator }
  | { type: 'paren'; value: '(' | ')' }
  | { type: 'bool'; value: 'and' | 'or' }

function tokenize(text: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < text.length) {
    const c = text[i]
    if (/\s/.test(c)) {
      i++
    } else if (c === '(' || c === ')') {
      tokens.push({ type: 'paren', value: c })
      i++
    } else if (c === '"' || c === "'") {
      const end = text.indexOf(c, i + 1)
      if (end < 0) throw new MarkerSyntaxError(`unterminated string at column ${i + 1}`)
      tokens.push({ type: 'string', value: text.slice(i + 1, end) })
      i = end + 1
    } else {
      const op = /^(===|==|!=|<=|>=|~=|<|>)/.exec(text.slice(i))
      if (op) {
        tokens.push({ type: 'op', value: op[1] as Operator })
        i += op[1].length
        continue
      }
      const word = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(text.slice(i))
      if (!word) throw new MarkerSyntaxError(`unexpected ${JSON.stringify(c)} at column ${i + 1}`)
      const w = word[0]
      i += w.length
      if (w === 'and' || w === 'or') tokens.push({ type: 'bool', value: w })
      else if (w === 'in') tokens.push({ type: 'op', value: 'in' })
      else if (w === 'not') {
        const rest = /^\s+in\b/.exec(text.slice(i))
        if (!rest) throw new MarkerSyntaxError(`'not' without 'in' at column ${i - 2}`)
        i += rest[0].length
        tokens.push({ type: 'op', value: 'not in' })
      } else tokens.push({ type: 'name', value: w })
    }
  }
  return tokens
}

/** Parses a marker expression; throws MarkerSyntaxError saying what is wrong. */
export function parseMarker(text: string): Marker {
  const tokens = tokenize(text)
  let pos = 0
  const peek = (): Token | undefined => tokens[pos]
  const operand = (): Operand => {
    const t = tokens[pos++]
    if (!t) throw new MarkerSyntaxError('expression ends where a value was expected')
    if (t.type === 'string') return { literal: t.value }
    if (t.type === 'name') {
      const name = ALIASES[t.value] ?? t.value
      if (!VARIABLES.has(name)) throw new MarkerSyntaxError(`unknown marker variable '${t.value}'`)
      return { variable: name }
    }
    throw new MarkerSyntaxError(`expected a value, found '${t.value}'`)
  }
  const atom = (): Marker => {
    const t = peek()
    if (t?.type === 'paren' && t.value === '(') {
      pos++
      const inner = or()
      const close = tokens[pos++]
      if (close?.type !== 'paren' || close.value !== ')') throw new MarkerSyntaxError("missing ')'")
      return inner
    }
    const left = operand()
    const op = tokens[pos++]
    if (op?.type !== 'op') throw new MarkerSyntaxError(`expected an operator after a value`)
    const right = operand()
    if ('variable' in left === 'variable' in right)
      throw new MarkerSyntaxError('a comparison needs one marker variable and one quoted string')
    return { kind: 'compare', left, op: op.value, right }
  }
  const and = (): Marker => {
    let left = atom()
    while (peek()?.type === 'bool' && peek()?.value === 'and') {
      pos++
      left = { kind: 'and', left, right: atom() }
    }
    return left
  }
  const or = (): Marker => {
    let left = and()
    while (peek()?.type === 'bool' && peek()?.value === 'or') {
      pos++
      left = { kind: 'or', left, right: and() }
    }
    return left
  }
  if (tokens.length === 0) throw new MarkerSyntaxError('empty marker')
  const marker = or()
  if (pos < tokens.length) throw new MarkerSyntaxError(`unexpected '${tokens[pos].value}'`)
  return marker
}

function evaluate(marker: Marker, ctx: MarkerContext): boolean {
  if (marker.kind !== 'compare')
    return marker.kind === 'and'
      ? evaluate(marker.left, ctx) && evaluate(marker.right, ctx)
      : evaluate(marker.left, ctx) || evaluate(marker.right, ctx)
  const { left, op, right } = marker
  const variable = 'variable' in left ? left.variable : (right as { variable: string }).variable
  const literal = 'literal' in left ? left.literal : (right as { literal: string }).literal
  if (variable === 'extra') {
    // a set: `extra == "x"` holds when x is one of the active extras (as uv and Poetry evaluate it)
    const active = ctx.extras ?? new Set<string>()
    const has = active.has(normalizeProject(literal))
    if (op === '==' || op === '===') return has
    if (op === '!=') return !has
    throw new MarkerSyntaxError(`'extra' compares with == or != only, not ${op}`)
  }
  if (variable === 'extras' || variable === 'dependency_groups') {
    const active = (variable === 'extras' ? ctx.extras : ctx.groups) ?? new Set<string>()
    if (!('literal' in left) || (op !== 'in' && op !== 'not in'))
      throw new MarkerSyntaxError(`'${variable}' is a set: write '"name" in ${variable}'`)
    const has = active.has(normalizeProject(literal))
    return op === 'in' ? has : !has
  }
  const value = ctx.env[variable as keyof MarkerEnvironment]
  const [lhs, rhs] = 'variable' in left ? [value, literal] : [literal, value]
  return compare(lhs, op, rhs, VERSION_VARIABLES.has(variable))
}

function compare(lhs: string, op: Operator, rhs: string, versions: boolean): boolean {
  if (op === 'in') return rhs.includes(lhs)
  if (op === 'not in') return !rhs.includes(lhs)
  if (op === '===') return lhs === rhs
  // as packaging does: a version comparison when the right side reads as a specifier, else strings
  if (versions || (parseVersion(lhs) && parseVersion(rhs.replace(/\.\*$/, '')))) {
    const matched = versionMatches(lhs, op, rhs)
    if (matched !== undefined) return matched
  }
  switch (op) {
    case '==':
      return lhs === rhs
    case '!=':
      return lhs !== rhs
    case '<':
      return lhs < rhs
    case '<=':
      return lhs <= rhs
    case '>':
      return lhs > rhs
    case '>=':
      return lhs >= rhs
    default:
      throw new MarkerSyntaxError(`'${op}' compares versions only, and '${rhs}' is none`)
  }
}

/** Parses once, evaluates; the result of parse errors is the caller's to report. */
export function evaluateMarker(marker: string | Marker, ctx: MarkerContext): boolean {
  return evaluate(typeof marker === 'string' ? parseMarker(marker) : marker, ctx)
}
