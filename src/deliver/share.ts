/**
 * Step 2: share the version (share-with). Each principal gets one statement whose ID names it, so
 * a rerun finds the grants an earlier run made and adds only the missing ones.
 */
import {
  AddLayerVersionPermissionCommand,
  GetLayerVersionPolicyCommand,
  type LambdaClient
} from '@aws-sdk/client-lambda'
import * as core from '@actions/core'
import { explainAwsError, layerArnFor } from './errors'
import { parsePrincipal } from './names'
import type { Log } from './upload'

export interface ShareResult {
  given: string
  statementId: string
  status: 'added' | 'present'
}

/**
 * The statement IDs in the version's policy; undefined when the policy cannot be read (no
 * lambda:GetLayerVersionPolicy: then every grant is tried, and a conflict counts as present).
 */
async function statementIds(
  lambda: LambdaClient,
  layerName: string,
  version: number
): Promise<Set<string> | undefined> {
  try {
    const r = await lambda.send(
      new GetLayerVersionPolicyCommand({ LayerName: layerName, VersionNumber: version })
    )
    const policy = JSON.parse(r.Policy ?? '{}') as { Statement?: { Sid?: string }[] }
    return new Set((policy.Statement ?? []).map(s => s.Sid ?? ''))
  } catch (error: unknown) {
    // a version nobody was granted has no policy at all
    if ((error as { name?: string }).name === 'ResourceNotFoundException') return new Set()
    core.debug(`GetLayerVersionPolicy: ${(error as { name?: string }).name ?? 'error'}`)
    return undefined
  }
}

/** Grants lambda:GetLayerVersion on one version to each principal; a rerun adds only what is missing. */
export async function shareLayerVersion(
  lambda: LambdaClient,
  layerName: string,
  version: number,
  principals: readonly string[],
  o: { log?: Log } = {}
): Promise<ShareResult[]> {
  const log = o.log ?? core.info
  const region = await lambda.config.region()
  const present = principals.length > 0 ? await statementIds(lambda, layerName, version) : undefined
  const results: ShareResult[] = []
  for (const p of principals.map(given => parsePrincipal(given))) {
    if (present?.has(p.statementId)) {
      results.push({ given: p.given, statementId: p.statementId, status: 'present' })
      continue
    }
    try {
      await lambda.send(
        new AddLayerVersionPermissionCommand({
          LayerName: layerName,
          VersionNumber: version,
          StatementId: p.statementId,
          Action: 'lambda:GetLayerVersion',
          Principal: p.principal,
          ...(p.organizationId ? { OrganizationId: p.organizationId } : {})
        })
      )
      results.push({ given: p.given, statementId: p.statementId, status: 'added' })
    } catch (error: unknown) {
      // the statement ID names the principal, so an existing one is this very grant
      if ((error as { name?: string }).name === 'ResourceConflictException') {
        results.push({ given: p.given, statementId: p.statementId, status: 'present' })
        continue
      }
      throw explainAwsError(error, {
        action: 'lambda:AddLayerVersionPermission',
        resource: `${layerArnFor(region, layerName)}:${version}`,
        region
      })
    }
  }
  if (results.length > 0) {
    log(
      `Shared ${layerName}:${version} with ${results.map(r => `${r.given} (${r.status === 'added' ? 'added' : 'already granted'})`).join(', ')}`
    )
  }
  return results
}
