/**
 * One step in every region at once: a failing region lets the others finish, then one error
 * names every region that failed and carries what the others did.
 */
import * as core from '@actions/core'
import { LayerActionError, messageOf } from '../errors'
import type { Log } from './upload'

export interface RegionFailure<T> {
  region: string
  error: LayerActionError
  /** what that region had done before it failed, if the error says */
  partial?: T
}

/** Some regions failed after every region had finished; `results` holds the ones that succeeded. */
export class RegionsFailedError<T = unknown> extends LayerActionError {
  constructor(
    message: string,
    readonly results: T[],
    readonly failures: RegionFailure<T>[]
  ) {
    super(message)
  }
}

/**
 * Runs `step` for each region in parallel, its log lines prefixed with the region when there are
 * several. One region failing throws its own error; several, RegionsFailedError naming each.
 */
export async function inEveryRegion<T>(
  regions: readonly string[],
  step: (region: string, log: Log) => Promise<T>,
  o: {
    log?: Log
    what: string
    partialOf?: (error: unknown) => T | undefined
    done?: (r: T) => string
  }
): Promise<T[]> {
  const baseLog = o.log ?? core.info
  const settled = await Promise.allSettled(
    regions.map(region =>
      step(region, regions.length > 1 ? line => baseLog(`[${region}] ${line}`) : baseLog)
    )
  )
  const results: T[] = []
  const failures: RegionFailure<T>[] = []
  settled.forEach((s, i) => {
    const region = regions[i]
    if (s.status === 'fulfilled') return void results.push(s.value)
    const error =
      s.reason instanceof LayerActionError
        ? s.reason
        : new LayerActionError(`Unexpected error: ${messageOf(s.reason)}`, { cause: s.reason })
    const partial = o.partialOf?.(s.reason)
    failures.push({ region, error, ...(partial ? { partial } : {}) })
  })
  if (failures.length === 0) return results
  if (regions.length === 1) throw failures[0].error
  const done = o.done ? results.map(r => o.done!(r)).join(', ') : ''
  throw new RegionsFailedError(
    `${o.what} failed in ${failures.length} of ${regions.length} regions: ` +
      failures.map(f => `${f.region}: ${f.error.message}`).join(' | ') +
      (done ? `. Succeeded: ${done}.` : '.'),
    results,
    failures
  )
}
