/**
 * Step 4, the health check after update-functions: invoke each named function; one that returns a
 * function error, or cannot be invoked, puts every function this run updated back on its previous
 * layers (what CodeDeploy does for a bad deployment). Retention has not run yet, so those layers
 * still exist. The new layer version stays: it is harmless, and the next run reuses or prunes it.
 */
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda'
import * as core from '@actions/core'
import { messageOf } from '../errors'
import type { AwsClients } from './clients'
import type { DeliveryResult } from './deliver'
import { explainAwsError } from './errors'
import { HealthCheckError, type HealthFailure } from './outcome'
import {
  functionArnFor,
  functionInRegion,
  restoreFunctions,
  type Restored,
  type UpdateFunctionsOptions
} from './functions'
import type { Log } from './upload'

const MAX_ERROR = 1000

/** The function's own error out of an invocation payload: `errorType: errorMessage` when it is JSON. */
export function functionErrorOf(payload: Uint8Array | undefined, kind: string): string {
  const text = Buffer.from(payload ?? new Uint8Array()).toString('utf8')
  try {
    const e = JSON.parse(text) as { errorMessage?: unknown; errorType?: unknown }
    if (typeof e.errorMessage === 'string') {
      const type = typeof e.errorType === 'string' ? `${e.errorType}: ` : ''
      return `${type}${e.errorMessage}`.slice(0, MAX_ERROR)
    }
  } catch {
    // not JSON: the raw text below
  }
  return `${kind} function error${text ? `: ${text.slice(0, MAX_ERROR)}` : ''}`
}

/** One synchronous invocation; undefined when healthy, else the error to report. */
export async function invokeHealthCheck(
  lambda: LambdaClient,
  name: string,
  payload: string
): Promise<string | undefined> {
  const region = await lambda.config.region()
  try {
    const r = await lambda.send(
      new InvokeCommand({
        FunctionName: name,
        InvocationType: 'RequestResponse',
        Payload: Buffer.from(payload)
      })
    )
    return r.FunctionError ? functionErrorOf(r.Payload, r.FunctionError) : undefined
  } catch (error: unknown) {
    return explainAwsError(error, {
      action: 'lambda:InvokeFunction',
      resource: functionArnFor(region, name),
      region
    }).message
  }
}

/**
 * Invokes each function in every region delivered to, in order, stopping at the first failure;
 * then restores every function the deliveries updated, in every region, and throws
 * HealthCheckError naming the function and its error.
 */
export async function checkHealth(
  deliveries: DeliveryResult[],
  clientsFor: (region: string) => AwsClients,
  names: readonly string[],
  payload: string,
  o: UpdateFunctionsOptions & { log?: Log } = {}
): Promise<void> {
  const log = o.log ?? core.info
  let failure: HealthFailure | undefined
  for (const d of deliveries) {
    for (const name of names.filter(n => functionInRegion(n, d.region))) {
      const error = await invokeHealthCheck(clientsFor(d.region).lambda, name, payload)
      if (error === undefined) {
        log(`Health check: ${name} (${d.region}) answered without a function error`)
        continue
      }
      failure = { name, region: d.region, error }
      break
    }
    if (failure) break
  }
  if (!failure) return

  core.warning(`Health check: ${failure.name} (${failure.region}) failed: ${failure.error}`)
  const restored: Restored[] = []
  const notRestored: { name: string; error: string }[] = []
  for (const d of deliveries) {
    try {
      const r = await restoreFunctions(clientsFor(d.region).lambda, d.functions, { ...o, log })
      restored.push(...r.restored.map(f => ({ ...f, name: `${f.name} (${d.region})` })))
      notRestored.push(...r.failed.map(f => ({ ...f, name: `${f.name} (${d.region})` })))
    } catch (error: unknown) {
      notRestored.push({ name: d.region, error: messageOf(error) })
    }
  }
  throw new HealthCheckError(
    healthFailureMessage(deliveries, failure, restored, notRestored),
    deliveries,
    failure,
    restored,
    notRestored
  )
}

/** The three things a failed check must say: what failed, what was put back where, what stays. */
export function healthFailureMessage(
  deliveries: readonly DeliveryResult[],
  failure: HealthFailure,
  restored: readonly Restored[],
  notRestored: readonly { name: string; error: string }[]
): string {
  const back =
    restored.length > 0
      ? `Put ${restored.length} function(s) back on their previous layers: ` +
        restored.map(f => `${f.name} on ${f.layers.join(', ') || 'no layers'}`).join('; ') +
        '.'
      : 'No function had been updated by this run, so none was put back.'
  const stuck =
    notRestored.length > 0
      ? ` Could NOT put back: ${notRestored.map(f => `${f.name}: ${f.error}`).join('; ')} — fix these by hand.`
      : ''
  const arns = deliveries.map(d => d.layerVersionArn).join(', ')
  return (
    `Health check failed: function '${failure.name}' in ${failure.region} returned: ${failure.error}. ` +
    `${back}${stuck} ${arns} stay${deliveries.length === 1 ? 's' : ''} published: the next run ` +
    'with the same zip reuses it, and keep-versions prunes it like any other version. This run ' +
    'deleted no old version and wrote no SSM parameter, tag or GitHub Release.'
  )
}
