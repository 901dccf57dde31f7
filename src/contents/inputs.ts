/** What the layer is compared with: compare-with. */
import { Inputs } from '../constants'
import { InputError } from '../errors'

/** `auto`, `latest`, `none`, or a layer version ARN */
export type CompareWith = 'auto' | 'latest' | 'none' | `arn:${string}`

const LAYER_VERSION_ARN =
  /^arn:aws[a-zA-Z-]*:lambda:[a-z]{2}(-[a-z]+)+-\d{1,2}:\d{12}:layer:[a-zA-Z0-9_-]{1,140}:[1-9]\d*$/

export function compareWith(given: string): CompareWith {
  const value = given || 'auto'
  if (value === 'auto' || value === 'latest' || value === 'none') return value
  if (LAYER_VERSION_ARN.test(value)) return value as CompareWith
  throw new InputError(
    Inputs.CompareWith,
    value,
    'auto, latest, none, or a layer version ARN (arn:aws:lambda:<region>:<account>:layer:<name>:<version>)'
  )
}

/** Whether there is a version to compare with: auto compares only when publishing. */
export function comparesWith(compare: CompareWith, publish: boolean): boolean {
  return compare !== 'none' && !(compare === 'auto' && !publish)
}
