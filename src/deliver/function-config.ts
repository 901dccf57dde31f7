/**
 * A function's layer list in Lambda: read it, set it, and wait for LastUpdateStatus — polling while
 * another update is in progress, retrying when the function changed under us.
 */
import {
  GetFunctionConfigurationCommand,
  UpdateFunctionConfigurationCommand,
  type FunctionConfiguration,
  type LambdaClient
} from '@aws-sdk/client-lambda'
import { setTimeout as delay } from 'node:timers/promises'
import { LayerActionError } from '../errors'
import { explainAwsError } from './errors'
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
export async function setLayers(
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

export function pollSettings(o: UpdateFunctionsOptions) {
  return { sleep: o.sleep ?? delay, pollMs: o.pollMs ?? 2000, maxPolls: o.maxPolls ?? 150 }
}
