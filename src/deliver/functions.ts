/**
 * Step 3: point the functions of update-functions at the version, and put them back after a
 * failed health check. A function already on the version is left alone, so a rerun updates only
 * the ones an earlier run did not reach.
 */
import type { LambdaClient } from '@aws-sdk/client-lambda'
import * as core from '@actions/core'
import { LayerActionError, messageOf } from '../errors'
import {
  pollSettings,
  setLayers,
  type FunctionResult,
  type UpdateFunctionsOptions
} from './function-config'
import { layerArnOf } from './layers'

export {
  functionArnFor,
  type FunctionResult,
  type FunctionStatus,
  type Sleep,
  type UpdateFunctionsOptions
} from './function-config'

/** A function name applies to this region unless it is an ARN of another region. */
export function functionInRegion(name: string, region: string): boolean {
  const arn = /^arn:[^:]+:lambda:([^:]+):/.exec(name)
  return !arn || arn[1] === region
}

/**
 * This layer's version replaced (or appended) in a function's layer list, the other layers and
 * their order kept; a second version of this layer in the list is dropped.
 */
export function withLayer(
  current: readonly string[],
  layerArn: string,
  layerVersionArn: string
): string[] {
  let placed = false
  const next: string[] = []
  for (const arn of current) {
    if (layerArnOf(arn) !== layerArn) next.push(arn)
    else if (!placed) {
      next.push(layerVersionArn)
      placed = true
    }
  }
  if (!placed) next.push(layerVersionArn)
  return next
}

/** Thrown when some functions could not be updated; `results` holds every function's outcome. */
export class FunctionUpdateError extends LayerActionError {
  constructor(
    message: string,
    readonly results: FunctionResult[]
  ) {
    super(message)
  }
}

/**
 * Points each function at `layerVersionArn`, one at a time, waiting for LastUpdateStatus before
 * the next. Every function is tried; failures are thrown together at the end.
 */
export async function updateFunctions(
  lambda: LambdaClient,
  layerArn: string,
  layerVersionArn: string,
  names: readonly string[],
  o: UpdateFunctionsOptions = {}
): Promise<FunctionResult[]> {
  const log = o.log ?? core.info
  const region = await lambda.config.region()
  const settings = pollSettings(o)
  const results: FunctionResult[] = []
  for (const name of names) {
    try {
      const result = await setLayers(
        lambda,
        name,
        region,
        current => withLayer(current, layerArn, layerVersionArn),
        settings
      )
      log(
        `Function ${name}: ${result.status === 'updated' ? 'now uses' : 'already uses'} ${layerVersionArn}`
      )
      results.push(result)
    } catch (error: unknown) {
      const message = messageOf(error)
      core.warning(`Function ${name}: not updated: ${message}`)
      results.push({ name, status: 'failed', layers: [], error: message })
    }
  }
  const failed = results.filter(r => r.status === 'failed')
  if (failed.length > 0) {
    throw new FunctionUpdateError(
      `Could not point ${failed.length} of ${results.length} function(s) at ${layerVersionArn}: ` +
        failed.map(f => `${f.name}: ${f.error}`).join('; '),
      results
    )
  }
  return results
}

export interface Restored {
  name: string
  /** the layer version ARNs it is back on */
  layers: string[]
}

/**
 * Puts each function this run updated back on the layer list it had before (a rollback). Every
 * function is tried; returns the ones restored, with their layers, and the ones that could not be.
 */
export async function restoreFunctions(
  lambda: LambdaClient,
  updated: readonly FunctionResult[],
  o: UpdateFunctionsOptions = {}
): Promise<{ restored: Restored[]; failed: { name: string; error: string }[] }> {
  const log = o.log ?? core.info
  const region = await lambda.config.region()
  const settings = pollSettings(o)
  const restored: Restored[] = []
  const failed: { name: string; error: string }[] = []
  for (const f of updated) {
    if (f.status !== 'updated' || !f.previousLayers) continue
    const previous = f.previousLayers
    try {
      await setLayers(lambda, f.name, region, () => previous, settings)
      log(`Function ${f.name}: put back on ${previous.join(', ') || 'no layers'}`)
      restored.push({ name: f.name, layers: previous })
    } catch (error: unknown) {
      const message = messageOf(error)
      core.warning(`Function ${f.name}: could not be put back on its previous layers: ${message}`)
      failed.push({ name: f.name, error: message })
    }
  }
  return { restored, failed }
}
