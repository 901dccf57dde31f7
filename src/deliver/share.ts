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
import { InputError } from '../errors'
import { explainAwsError, layerArnFor } from './errors'
import type { Log } from './upload'

export interface Principal {
  /** as the user wrote it */
  given: string
  principal: string
  organizationId?: string
  /** deterministic, so a rerun names the same statement */
  statementId: string
}

const ACCOUNT = /^\d{12}$/
const ORGANIZATION = /^o-[a-z0-9]{10,32}$/
const ROOT_ARN = /^arn:aws[a-zA-Z-]*:iam::(\d{12}):root$/

/** One share-with entry → AddLayerVersionPermission's Principal / OrganizationId / StatementId. */
export function parsePrincipal(given: string, input = 'share-with'): Principal {
  const value = given.trim()
  if (value === '*') return { given: value, principal: '*', statementId: 'layer-action-public' }
  if (ACCOUNT.test(value)) {
    return { given: value, principal: value, statementId: `layer-action-${value}` }
  }
  const root = ROOT_ARN.exec(value)
  if (root) return { given: value, principal: value, statementId: `layer-action-${root[1]}` }
  if (ORGANIZATION.test(value)) {
    return {
      given: value,
      principal: '*',
      organizationId: value,
      statementId: `layer-action-${value}`
    }
  }
  throw new InputError(
    input,
    given,
    "each entry is a 12-digit AWS account ID, an organization ID ('o-' and 10 to 32 lower-case " +
      "letters or digits), or '*' (every AWS account)"
  )
}

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
