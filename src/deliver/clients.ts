/**
 * The S3, Lambda and SSM clients of one region, and the settings every AWS client of the action is
 * made with (CodeArtifact's too, ../resolve/codeartifact.ts). Credentials, endpoints (AWS_ENDPOINT_URL,
 * AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL_LAMBDA, a profile's endpoint_url) and retry settings come
 * from the SDK's own resolution, so whatever configured the job's AWS access configures this too;
 * the proxy variables and AWS_CA_BUNDLE, which the SDK does not read, from ../aws-network.ts.
 */
import { LambdaClient } from '@aws-sdk/client-lambda'
import { S3Client } from '@aws-sdk/client-s3'
import { SSMClient } from '@aws-sdk/client-ssm'
import { ConfiguredRetryStrategy } from '@smithy/core/retry'
import { awsRequestHandler } from '../aws-network'

export interface AwsClients {
  s3: S3Client
  lambda: LambdaClient
  ssm: SSMClient
}

export interface ClientOptions {
  /** undefined: the SDK's default chain (AWS_REGION, the profile) */
  region?: string
  /** Product token added to the SDK's user agent, e.g. `layer-action/1.4.0`. */
  userAgent?: string
  /** Attempts per call, first one included (the SDK's default is 3; publishing is often throttled). */
  maxAttempts?: number
  /**
   * Delay before retry `attempt` in ms. Unset: the SDK's standard mode (exponential backoff with
   * jitter, longer for throttling). Tests set it so retries do not wait.
   */
  retryDelay?: (attempt: number) => number
  /** Read for path-style addressing and retry settings; the SDK itself reads process.env. */
  env?: NodeJS.ProcessEnv
}

export const DEFAULT_MAX_ATTEMPTS = 5
export const USER_AGENT_NAME = 'layer-action'

/** The endpoint the SDK will use for S3 from the environment, if one is configured there. */
export function s3EndpointFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (/^(true|1)$/i.test(env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS ?? '')) return undefined
  return env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined
}

/** The configuration every AWS client of the action is made with (one road, one retry policy). */
export function clientConfig(o: ClientOptions) {
  const env = o.env ?? process.env
  // AWS_MAX_ATTEMPTS / AWS_RETRY_MODE, when the workflow sets them, win over our defaults
  const fromEnv = Number.parseInt(env.AWS_MAX_ATTEMPTS ?? '', 10)
  const maxAttempts = o.maxAttempts ?? (fromEnv > 0 ? fromEnv : DEFAULT_MAX_ATTEMPTS)
  const requestHandler = awsRequestHandler(env)
  return {
    ...(o.region ? { region: o.region } : {}),
    customUserAgent: o.userAgent ?? USER_AGENT_NAME,
    maxAttempts,
    ...(env.AWS_RETRY_MODE ? {} : { retryMode: 'standard' }),
    ...(o.retryDelay
      ? { retryStrategy: new ConfiguredRetryStrategy(maxAttempts, o.retryDelay) }
      : {}),
    ...(requestHandler ? { requestHandler } : {})
  }
}

export function createClients(o: ClientOptions & { region: string }): AwsClients {
  const env = o.env ?? process.env
  const common = clientConfig(o)
  return {
    s3: new S3Client({
      ...common,
      // emulators and S3-compatible stores rarely resolve <bucket>.<host>; AWS itself needs no change
      forcePathStyle: s3EndpointFromEnv(env) !== undefined,
      // a bucket in another region is an error to explain, not to follow: Lambda needs it in-region
      followRegionRedirects: false
    }),
    lambda: new LambdaClient(common),
    ssm: new SSMClient(common)
  }
}
