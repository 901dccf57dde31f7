/**
 * The inputs as the runner gives them (one string each, action.yml's defaults applied), and the
 * readers every room's input rules share: booleans, lists, choices, numbers. Nothing here knows
 * what an input means; the rules live beside their domain and the table in inputs.ts.
 */
import * as core from '@actions/core'
import { Inputs } from './constants'
import { InputError } from './errors'

export type RawInputs = Readonly<Record<Inputs, string>>

/** Every input, read once. Only `tag-prefix` keeps its whitespace, so a stray space is reported, not trimmed away. */
export function readRawInputs(): RawInputs {
  const raw = {} as Record<Inputs, string>
  for (const name of Object.values(Inputs))
    raw[name] = core.getInput(name, { trimWhitespace: name !== Inputs.TagPrefix })
  return raw
}

/** The toolkit's YAML 1.2 core booleans (what core.getBooleanInput accepts). */
export function bool(raw: RawInputs, name: Inputs): boolean {
  const value = raw[name].trim()
  if (['true', 'True', 'TRUE'].includes(value)) return true
  if (['false', 'False', 'FALSE'].includes(value)) return false
  throw new InputError(name, raw[name], 'true or false')
}

export function oneOf<T extends string>(name: Inputs, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T
  throw new InputError(name, value, `one of ${allowed.join(', ')}`)
}

export function integer(name: Inputs, value: string): number {
  if (!/^\d+$/.test(value)) throw new InputError(name, value, 'a whole number, 0 or more')
  return Number(value)
}

/** Comma or newline separated, each once. */
export function list(value: string): string[] {
  return unique(
    value
      .split(/[,\n]/)
      .map(s => s.trim())
      .filter(Boolean)
  )
}

/** Newline separated (paths and globs may contain commas). */
export function lines(value: string): string[] {
  return value
    .split('\n')
    .map(s => s.trim())
    .filter(Boolean)
}

export function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)]
}
