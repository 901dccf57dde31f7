/**
 * One run's layer in every region, step by step from the inputs and the plan: publish or reuse
 * and share; update the functions; health check; then retention and the SSM parameters. Each
 * step leaves alone what is already right, so a rerun of the same commit completes what an
 * earlier run left undone, and one with nothing left to do changes nothing.
 */
import type { ActionInputs } from '../inputs'
import type { Plan } from '../plan'
import type { ZipResult } from '../assemble/zip'
import { ACTION_NAME, ACTION_VERSION } from '../constants'
import { createClients, type AwsClients } from './clients'
import { deliverToRegions, type DeliveryResult } from './deliver'
import { releasesThisCommit } from './outcome'
import { functionInRegion, FunctionUpdateError, updateFunctions, type Sleep } from './functions'
import { checkHealth } from './health'
import { deleteStaleParameters, parameterBase, writeLayerParameters } from './parameters'
import { inEveryRegion } from './regions'
import { keepVersions, versionsInUse } from './retention'
import type { Log } from './upload'

export interface FleetOptions {
  /** the clients of a region; default: the SDK's own resolution, one set per region */
  clientsFor?: (region: string) => AwsClients
  /** waits between LastUpdateStatus polls */
  sleep?: Sleep
  pollMs?: number
  log?: Log
}

export class Fleet {
  private readonly clients = new Map<string, AwsClients>()

  constructor(
    private readonly inputs: ActionInputs,
    private readonly plan: Plan,
    private readonly o: FleetOptions = {}
  ) {}

  clientsFor(region: string): AwsClients {
    if (this.o.clientsFor) return this.o.clientsFor(region)
    if (!this.clients.has(region))
      this.clients.set(
        region,
        createClients({ region, userAgent: `${ACTION_NAME}/${ACTION_VERSION}` })
      )
    return this.clients.get(region)!
  }

  /** Steps 1 and 2: publish or reuse, then share, in every region. */
  publish(zip: Pick<ZipResult, 'path' | 'sha256'>): Promise<DeliveryResult[]> {
    const { inputs, plan } = this
    return deliverToRegions(
      inputs.regions,
      region => this.clientsFor(region),
      {
        layerName: inputs.publishedName,
        bucket: inputs.bucket,
        key: plan.s3Key,
        zipPath: zip.path,
        sha256: zip.sha256,
        skipUnchanged: inputs.skipUnchanged,
        commit: plan.sha,
        description: plan.description,
        compatibleRuntimes: inputs.compatibleRuntimes,
        architecture: inputs.architecture,
        licenseInfo: inputs.licenseInfo || undefined,
        metadata: Object.fromEntries(
          Object.entries({
            version: plan.release.version,
            tag: plan.release.tag,
            commit: plan.sha
          }).filter(([, v]) => v)
        ),
        shareWith: inputs.shareWith
      },
      { log: this.o.log }
    )
  }

  /** Step 3: every function of update-functions on this run's version, in every region. */
  async updateFunctions(deliveries: DeliveryResult[]): Promise<void> {
    const names = this.inputs.updateFunctions
    await inEveryRegion(
      deliveries.map(d => d.region),
      async (region, log) => {
        const d = deliveries.find(x => x.region === region)!
        const here = names.filter(name => functionInRegion(name, region))
        if (here.length === 0) return
        try {
          d.functions = await updateFunctions(
            this.clientsFor(region).lambda,
            d.layerArn,
            d.layerVersionArn,
            here,
            { sleep: this.o.sleep, pollMs: this.o.pollMs, log }
          )
        } catch (error: unknown) {
          if (error instanceof FunctionUpdateError) d.functions = error.results
          throw error
        } finally {
          for (const f of d.functions.filter(f => f.status === 'updated'))
            d.changes.push(`${f.name} now uses version ${d.version}`)
        }
      },
      { log: this.o.log, what: 'update-functions' }
    )
  }

  /** Step 4: the health check; a failure puts the functions back and throws HealthCheckError. */
  checkHealth(deliveries: DeliveryResult[]): Promise<void> {
    return checkHealth(
      deliveries,
      region => this.clientsFor(region),
      this.inputs.healthCheck,
      this.inputs.healthCheckPayload,
      { sleep: this.o.sleep, pollMs: this.o.pollMs, log: this.o.log }
    )
  }

  /**
   * Step 5, after the check passed: in each region the SSM parameters first (so `latest` never
   * names a version about to be deleted), then retention, then the parameters of deleted versions.
   */
  async settle(deliveries: DeliveryResult[]): Promise<void> {
    await inEveryRegion(
      deliveries.map(d => d.region),
      (region, log) =>
        this.settleRegion(
          deliveries.find(d => d.region === region)!,
          log
        ),
      { log: this.o.log, what: 'Retention and SSM parameters' }
    )
  }

  private async settleRegion(d: DeliveryResult, log: Log): Promise<void> {
    const { inputs, plan } = this
    const { lambda, ssm } = this.clientsFor(d.region)
    const base = inputs.ssmParameter ? parameterBase(inputs.ssmParameter, inputs.publishedName) : ''
    if (base) {
      const { names, written } = await writeLayerParameters(
        ssm,
        {
          base,
          layerVersionArn: d.layerVersionArn,
          // `<version>` names a release: a version of this commit; a reuse from another moves `latest`
          version: releasesThisCommit(d) ? plan.release.version : undefined,
          description: `${ACTION_NAME}: ${inputs.publishedName} ${plan.release.tag} (layer version ${d.version})`
        },
        { log }
      )
      d.parameters = names
      d.changes.push(...written.map(name => `wrote ${name}`))
    }
    // a version reused from another commit is a rollback: it prunes nothing, as before
    if (inputs.keepVersions <= 0 || !releasesThisCommit(d)) return
    const { deleted, remaining } = await keepVersions(
      lambda,
      inputs.publishedName,
      inputs.keepVersions,
      {
        protect: [d.version, ...versionsInUse(d.functions, d.layerArn)],
        log
      }
    )
    d.deleted = deleted
    if (deleted.length > 0) d.changes.push(`deleted version(s) ${deleted.join(', ')}`)
    if (!base) return
    const stale = await deleteStaleParameters(ssm, base, d.layerArn, remaining, { log })
    d.changes.push(...stale.map(name => `deleted ${name}`))
  }
}
