/**
 * What a delivery came to, as the summary reports it: whether it releases this commit, and the
 * errors that carry what was done before they were thrown. Imports no SDK, so the report and the
 * failure summary load without the clients.
 */
import { LayerActionError } from '../errors'
import type { DeliveryResult } from './deliver'
import type { Restored } from './functions'

/** A region's delivery failed; `result` is set when a layer version was published before it did. */
export class DeliveryError extends LayerActionError {
  constructor(
    message: string,
    readonly region: string,
    readonly result?: DeliveryResult,
    options?: { cause?: unknown }
  ) {
    super(message, options)
  }
}

export interface HealthFailure {
  name: string
  region: string
  /** what the function returned (`errorType: errorMessage`) or why it could not be invoked */
  error: string
}

/** A health check failed; the functions were put back (rolledBack) unless `notRestored` says otherwise. */
export class HealthCheckError extends LayerActionError {
  constructor(
    message: string,
    readonly deliveries: DeliveryResult[],
    readonly failure: HealthFailure,
    /** each function put back, `name (region)`, with the layer ARNs it is back on */
    readonly restored: Restored[],
    readonly notRestored: { name: string; error: string }[]
  ) {
    super(message)
  }

  /** true when at least one function was put back on its previous layers */
  get rolledBack(): boolean {
    return this.restored.length > 0
  }
}

/** True when this run releases a version of this commit: published now, or by an earlier run. */
export function releasesThisCommit(d: DeliveryResult): boolean {
  return d.published || d.rerun
}

/** The lines of what this run changed, `region: what`; empty when nothing was left to do. */
export function changesOf(deliveries: readonly DeliveryResult[]): string[] {
  return deliveries.flatMap(d =>
    d.changes.map(c => (deliveries.length > 1 ? `${d.region}: ${c}` : c))
  )
}
