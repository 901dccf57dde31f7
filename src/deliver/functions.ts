/**
 * Step 3: point the functions of update-functions at the version, and put them back after a
 * failed health check. A function already on the version is left alone, so a rerun updates only
 * the ones an earlier run did not reach.
 */
import {
  GetFunctionConfigurationCommand,
  UpdateFunctionConfigurationCommand,
  type FunctionConfiguration,
  type LambdaClient
} from '@aws-sdk/client-lambda'
import { setTimeout as delay } from 'node:timers/promises'
import * as core from '@actions/core'
import { LayerActionError, messageOf } from '../errors'
import { explainAwsError } from './errors'
import { layerArnOf } from './layers'
import type { Log } from './upload'

export type Sleep = (ms: number) => Promise<void>

/** A function may use at most five layers. */
export const MAX_LAYERS_PER_FUNCTION = 5

export type FunctionStatus = 'updated' | 'unchanged' | 'failed'

export interface FunctionResult {
  name: string
  status: FunctionStatus
  /** the function's layer ARNs after the update (empty when it failed) */
  layers: string[]
  /** its layer ARNs before, what a rollback puts back (absent when it failed before reading them) */
  previousLayers?: string[]
  error?: string
}

export interface UpdateFunctionsOptions {
  sleep?: Sleep
  /** between two GetFunctionConfiguration polls */
  pollMs?: number
  /** polls before giving up on LastUpdateStatus */
  maxPolls?: number
  log?: Log
}

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

function layersOf(config: FunctionConfiguration): string[] {
  return (config.Layers ?? []).map(l => l.Arn ?? '').filter(arn => arn !== '')
}

async function getConfiguration(lambda: LambdaClient, name: string, region: string) {
  try {
    return await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }))
  } catch (error: unknown) {
    const explained = explainAwsError(error, {
      action: 'lambda:GetFunctionConfiguration',
      resource: functionArnFor(region, name),
      region
    })
    if (explained.kind === 'not-found') {
      throw new LayerActionError(
        `Function '${name}' does not exist in ${region}: fix 'update-functions' (names, or ARNs to pick a region).`,
        { cause: error }
      )
    }
    throw explained
  }
}

/** The function's ARN for an error message: as given, or with a placeholder for the account. */
export function functionArnFor(region: string, name: string): string {
  return name.startsWith('arn:') ? name : `arn:aws:lambda:${region}:<account-id>:function:${name}`
}

/** Polls until no update is in progress; Failed is an error carrying Lambda's reason. */
async function waitForUpdate(
  lambda: LambdaClient,
  name: string,
  region: string,
  o: Required<Pick<UpdateFunctionsOptions, 'sleep' | 'pollMs' | 'maxPolls'>>
): Promise<FunctionConfiguration> {
  for (let poll = 0; ; poll++) {
    const config = await getConfiguration(lambda, name, region)
    const status = config.LastUpdateStatus
    if (status === 'Failed') {
      throw new LayerActionError(
        `Lambda could not apply the new layers to '${name}': ` +
          `${config.LastUpdateStatusReasonCode ?? 'Failed'}: ${config.LastUpdateStatusReason ?? 'no reason given'}`
      )
    }
    // a function that has never been updated has no LastUpdateStatus; Pending is its creation
    if (status !== 'InProgress' && config.State !== 'Pending') return config
    if (poll >= o.maxPolls) {
      throw new LayerActionError(
        `'${name}' was still updating after ${Math.round((o.maxPolls * o.pollMs) / 1000)} s; ` +
          'check it in the Lambda console and re-run.'
      )
    }
    await o.sleep(o.pollMs)
  }
}

/** Sets a function's layer list to `next(current)` and waits until Lambda has applied it. */
async function setLayers(
  lambda: LambdaClient,
  name: string,
  region: string,
  next: (current: string[]) => string[],
  o: Required<Pick<UpdateFunctionsOptions, 'sleep' | 'pollMs' | 'maxPolls'>>
): Promise<FunctionResult> {
  // another deployment may be updating it: Lambda refuses a second update meanwhile
  let config = await waitForUpdate(lambda, name, region, o)
  for (let attempt = 1; ; attempt++) {
    const current = layersOf(config)
    const wanted = next(current)
    if (wanted.join('\n') === current.join('\n'))
      return { name, status: 'unchanged', layers: current, previousLayers: current }
    if (wanted.length > MAX_LAYERS_PER_FUNCTION) {
      throw new LayerActionError(
        `'${name}' already uses ${current.length} other layers; Lambda allows ${MAX_LAYERS_PER_FUNCTION} per function.`
      )
    }
    try {
      await lambda.send(
        new UpdateFunctionConfigurationCommand({
          FunctionName: name,
          Layers: wanted,
          ...(config.RevisionId ? { RevisionId: config.RevisionId } : {})
        })
      )
    } catch (error: unknown) {
      const code = (error as { name?: string }).name
      // changed under us (RevisionId) or an update started meanwhile: read again and retry
      if (
        (code === 'PreconditionFailedException' || code === 'ResourceConflictException') &&
        attempt < 3
      ) {
        config = await waitForUpdate(lambda, name, region, o)
        continue
      }
      throw explainAwsError(error, {
        action: 'lambda:UpdateFunctionConfiguration',
        resource: functionArnFor(region, name),
        region
      })
    }
    const done = await waitForUpdate(lambda, name, region, o)
    return { name, status: 'updated', layers: layersOf(done), previousLayers: current }
  }
}

function pollSettings(o: UpdateFunctionsOptions) {
  return { sleep: o.sleep ?? delay, pollMs: o.pollMs ?? 2000, maxPolls: o.maxPolls ?? 150 }
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
