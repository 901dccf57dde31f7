/**
 * An AWS CodeArtifact repository as pip's index: a short-lived token (GetAuthorizationToken) and
 * the repository's PyPI endpoint (GetRepositoryEndpoint), fetched with the job's AWS credentials,
 * give `https://aws:<token>@<domain>-<owner>.d.codeartifact.<region>.amazonaws.com/pypi/<repo>/simple/`.
 * The token is masked before anything can print it.
 */
import * as core from '@actions/core'
import {
  CodeartifactClient,
  GetAuthorizationTokenCommand,
  GetRepositoryEndpointCommand
} from '@aws-sdk/client-codeartifact'
import { ACTION_NAME, ACTION_VERSION, Inputs } from '../constants'
import { LayerActionError, messageOf } from '../errors'
import type { CodeArtifactRepository } from './inputs'
import { clientConfig, type ClientOptions } from '../deliver/clients'
import { Redactor } from '../credentials'

/** The token lives as long as the resolve stage may need it, not the 12 hours AWS allows. */
export const TOKEN_SECONDS = 3600

/** CodeArtifact could not give the index; the message names the permission or input to fix. */
export class CodeArtifactError extends LayerActionError {}

export const CODEARTIFACT_PERMISSIONS =
  'codeartifact:GetAuthorizationToken and codeartifact:GetRepositoryEndpoint on the domain and repository, ' +
  'codeartifact:ReadFromRepository on the repository, and sts:GetServiceBearerToken ' +
  '(with the condition "sts:AWSServiceName": "codeartifact.amazonaws.com")'

/**
 * The client of one region (undefined: the SDK's default chain — AWS_REGION, profile). Endpoint
 * (AWS_ENDPOINT_URL_CODEARTIFACT, AWS_ENDPOINT_URL) and credentials come from the SDK's own
 * resolution, as for S3 and Lambda.
 */
export function createCodeArtifactClient(
  o: Omit<ClientOptions, 'userAgent'> = {}
): CodeartifactClient {
  return new CodeartifactClient(
    clientConfig({ ...o, userAgent: `${ACTION_NAME}/${ACTION_VERSION}` })
  )
}

/** `https://aws:<token>@host/pypi/repo/simple/` from the repository endpoint and the token. */
export function indexUrlOf(endpoint: string, token: string): string {
  const url = new URL(endpoint)
  url.username = 'aws'
  url.password = token
  url.pathname = `${url.pathname.replace(/\/*$/, '/')}simple/`
  return url.href
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : ''
}

/** What went wrong, said to the person who must fix the role or the inputs. */
function explain(
  error: unknown,
  call: string,
  repo: CodeArtifactRepository,
  region: string
): Error {
  const owner = repo.domainOwner ? ` owned by ${repo.domainOwner}` : ''
  const where = `domain '${repo.domain}'${owner}, repository '${repo.repository}' in ${region}`
  const detail = messageOf(error)
  switch (errorName(error)) {
    case 'AccessDeniedException':
      return new CodeArtifactError(
        `CodeArtifact refused ${call} for ${where} with the job's AWS credentials (${detail}). ` +
          `The role needs ${CODEARTIFACT_PERMISSIONS}.`
      )
    case 'ResourceNotFoundException':
      return new CodeArtifactError(
        `CodeArtifact has no ${where} (${call}: ${detail}). Check '${Inputs.CodeartifactDomain}', ` +
          `'${Inputs.CodeartifactRepository}'${repo.domainOwner ? '' : `, '${Inputs.CodeartifactDomainOwner}' (needed when the domain belongs to another account)`} ` +
          `and the region (CodeArtifact is regional: the first of '${Inputs.Regions}' / '${Inputs.Region}', else AWS_REGION).`
      )
    case 'CredentialsProviderError':
      return new CodeArtifactError(
        `No AWS credentials to call CodeArtifact ${call} (${detail}): configure them before this step ` +
          '(aws-actions/configure-aws-credentials); the role needs ' +
          CODEARTIFACT_PERMISSIONS +
          '.'
      )
    default:
      return new CodeArtifactError(
        `CodeArtifact ${call} failed for ${where}: ${errorName(error) || 'error'}: ${detail}`
      )
  }
}

/**
 * The index URL of the repository, its token registered as a secret (runner masking and the
 * Redactor) before it is returned, so no log line can carry it.
 */
export async function codeArtifactIndexUrl(
  client: CodeartifactClient,
  repo: CodeArtifactRepository
): Promise<string> {
  let region: string
  try {
    region = await client.config.region()
  } catch {
    throw new CodeArtifactError(
      `No AWS region for CodeArtifact: set '${Inputs.Region}' (or AWS_REGION, as aws-actions/configure-aws-credentials does) to the region of domain '${repo.domain}'`
    )
  }
  const owner = repo.domainOwner ? { domainOwner: repo.domainOwner } : {}
  let token: string
  try {
    const answer = await client.send(
      new GetAuthorizationTokenCommand({
        domain: repo.domain,
        ...owner,
        durationSeconds: TOKEN_SECONDS
      })
    )
    token = answer.authorizationToken ?? ''
  } catch (error: unknown) {
    throw explain(error, 'GetAuthorizationToken', repo, region)
  }
  if (!token) throw new CodeArtifactError('CodeArtifact GetAuthorizationToken returned no token')
  core.setSecret(token)
  let endpoint: string
  try {
    const answer = await client.send(
      new GetRepositoryEndpointCommand({
        domain: repo.domain,
        ...owner,
        repository: repo.repository,
        format: 'pypi'
      })
    )
    endpoint = answer.repositoryEndpoint ?? ''
  } catch (error: unknown) {
    throw explain(error, 'GetRepositoryEndpoint', repo, region)
  }
  if (!/^https?:\/\//.test(endpoint))
    throw new CodeArtifactError(
      `CodeArtifact GetRepositoryEndpoint returned no URL for repository '${repo.repository}' (${JSON.stringify(endpoint)})`
    )
  const url = indexUrlOf(endpoint, token)
  // the encoded form too: that is how it appears inside the URL
  new Redactor([url]).register()
  core.info(
    `CodeArtifact: a token for repository '${repo.repository}' of domain '${repo.domain}' (valid ${TOKEN_SECONDS / 60} minutes)`
  )
  return url
}
