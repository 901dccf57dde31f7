/**
 * AWS errors people meet when publishing a layer, turned into messages that say what to do.
 * The SDK has already retried throttling and 5xx by the time an error reaches here.
 */
import { LayerActionError, messageOf } from '../errors'
import { UNTRUSTED_CERTIFICATE } from '../http-failures'

export type AwsErrorKind =
  | 'no-such-bucket'
  | 'wrong-region'
  | 'access-denied'
  | 'credentials'
  | 'throttled'
  | 'server'
  | 'network'
  | 'untrusted-certificate'
  | 'not-found'
  | 'other'

/** What we were doing when AWS said no: the IAM action and resource it needs, and where. */
export interface AwsContext {
  /** IAM action of the call, e.g. `s3:PutObject` */
  action: string
  /** ARN the action applies to, e.g. `arn:aws:s3:::bucket/key` */
  resource: string
  region: string
  bucket?: string
  key?: string
}

/** A failed AWS call, explained. `kind` lets callers (and tests) tell the cases apart. */
export class AwsError extends LayerActionError {
  constructor(
    message: string,
    readonly kind: AwsErrorKind,
    readonly code: string | undefined,
    options?: { cause?: unknown }
  ) {
    super(message, options)
  }
}

export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn'
  if (region.startsWith('us-gov-')) return 'aws-us-gov'
  if (region.startsWith('eusc-')) return 'aws-eusc'
  if (region.startsWith('us-iso-')) return 'aws-iso'
  if (region.startsWith('us-isob-')) return 'aws-iso-b'
  return 'aws'
}

export function s3ObjectArn(region: string, bucket: string, key: string): string {
  return `arn:${partitionOf(region)}:s3:::${bucket}/${key}`
}

/** The layer's ARN; the account is unknown before the first call succeeds, so a placeholder. */
export function layerArnFor(region: string, layerName: string, account = '<account-id>'): string {
  return `arn:${partitionOf(region)}:lambda:${region}:${account}:layer:${layerName}`
}

interface ErrorFields {
  name: string
  message: string
  status?: number
  attempts?: number
  headers: Record<string, string>
  region?: string
  endpoint?: string
  syscall?: string
}

function fieldsOf(error: unknown): ErrorFields {
  const e = (typeof error === 'object' && error !== null ? error : {}) as Record<string, unknown>
  const metadata = (e.$metadata ?? {}) as { httpStatusCode?: number; attempts?: number }
  const response = (e.$response ?? {}) as { headers?: Record<string, string>; statusCode?: number }
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined)
  return {
    name: str(e.Code) ?? str(e.name) ?? str(e.code) ?? 'Error',
    message: messageOf(error),
    status: metadata.httpStatusCode ?? response.statusCode,
    attempts: metadata.attempts,
    headers: Object.fromEntries(
      Object.entries(response.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)])
    ),
    region: str(e.Region),
    endpoint: str(e.Endpoint),
    syscall: str(e.code)
  }
}

/** Lambda reports S3 failures of PublishLayerVersion as `… S3 Error Code: NoSuchBucket. …`. */
function s3CodeInLambdaMessage(message: string): string | undefined {
  return /S3 Error Code: (\w+)/.exec(message)?.[1]
}

/** Where S3 says the bucket really is: the header, the error's Region, its Endpoint, or the text. */
function bucketRegionOf(f: ErrorFields): string | undefined {
  const fromEndpoint = f.endpoint && /s3[.-]([a-z]{2}(?:-[a-z]+)+-\d)\./.exec(f.endpoint)?.[1]
  const fromText =
    /expecting '([a-z0-9-]+)'/.exec(f.message)?.[1] ??
    /bucket is in this region: ([a-z0-9-]+)/i.exec(f.message)?.[1]
  return f.headers['x-amz-bucket-region'] ?? f.region ?? (fromEndpoint || undefined) ?? fromText
}

const THROTTLING = new Set([
  'TooManyRequestsException',
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'RequestLimitExceeded',
  'SlowDown',
  'RequestThrottled',
  'RequestThrottledException',
  'ProvisionedThroughputExceededException'
])
const CREDENTIALS = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'CredentialsProviderError',
  'TokenRefreshRequired'
])
const ACCESS_DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'Forbidden'])
const WRONG_REGION = new Set([
  'PermanentRedirect',
  'AuthorizationHeaderMalformed',
  'IllegalLocationConstraintException'
])
const NETWORK = new Set(['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'ECONNRESET', 'EAI_AGAIN'])

function attemptsText(f: ErrorFields): string {
  return f.attempts && f.attempts > 1 ? ` after ${f.attempts} attempts` : ''
}

/** AccessDeniedException names the resource ARN, account included: fill in our placeholder. */
function withAccount(resource: string, message: string): string {
  const account = /arn:[\w-]+:[\w-]+:[\w-]*:(\d{12}):/.exec(message)?.[1]
  return account ? resource.replace('<account-id>', account) : resource
}

/** Turns whatever an SDK call threw into an AwsError whose message says what to do. */
export function explainAwsError(error: unknown, given: AwsContext): AwsError {
  if (error instanceof AwsError) return error
  const f = fieldsOf(error)
  const ctx = { ...given, resource: withAccount(given.resource, f.message) }
  const s3Code = s3CodeInLambdaMessage(f.message)
  const code = s3Code ?? f.name
  const said = `(AWS said: ${f.name}: ${f.message})`
  const make = (kind: AwsErrorKind, message: string): AwsError =>
    new AwsError(`${message} ${said}`, kind, code, { cause: error })
  const bucket = ctx.bucket ?? '(bucket)'
  // an S3 failure inside PublishLayerVersion: Lambda read the object with the caller's credentials
  const s3ctx: AwsContext =
    s3Code && ctx.bucket && ctx.key
      ? { ...ctx, action: 's3:GetObject', resource: s3ObjectArn(ctx.region, ctx.bucket, ctx.key) }
      : ctx

  if (code === 'NoSuchBucket') {
    return make(
      'no-such-bucket',
      `S3 bucket '${bucket}' does not exist (looked for it from ${ctx.region}). ` +
        `Create it in ${ctx.region}, or set the 'bucket' input to an existing bucket in that region.`
    )
  }
  const bucketRegion = bucketRegionOf(f)
  if (
    WRONG_REGION.has(code) ||
    (f.status === 301 && ctx.action.startsWith('s3:')) ||
    (bucketRegion !== undefined && bucketRegion !== ctx.region && code !== 'AccessDenied')
  ) {
    const where = bucketRegion ? `in ${bucketRegion}` : 'in another region'
    return make(
      'wrong-region',
      `S3 bucket '${bucket}' is ${where}, not in ${ctx.region}. Lambda publishes a layer only from a ` +
        `bucket in the layer's own region: use a bucket in ${ctx.region}` +
        (bucketRegion ? `, or set 'region' to ${bucketRegion}` : '') +
        `; with 'regions', put '{region}' in 'bucket' (e.g. my-layers-{region}) to use one bucket per region.`
    )
  }
  if (ACCESS_DENIED.has(code) || (f.status === 403 && !CREDENTIALS.has(code))) {
    return make(
      'access-denied',
      `Access denied: these credentials may not ${s3ctx.action} on ${s3ctx.resource}. ` +
        `Allow '${s3ctx.action}' on that resource in the policy of the role the workflow assumes ` +
        `(the README lists the minimal policy).`
    )
  }
  if (CREDENTIALS.has(code) || /Could not load credentials/i.test(f.message)) {
    return make(
      'credentials',
      `AWS did not accept the credentials for ${ctx.action}. Configure them before this step, e.g. ` +
        `aws-actions/configure-aws-credentials with an OIDC role (and 'permissions: id-token: write'), ` +
        `and check they have not expired.`
    )
  }
  if (THROTTLING.has(code) || f.status === 429) {
    return make(
      'throttled',
      `AWS throttled ${ctx.action}${attemptsText(f)}, retrying with backoff did not get through. ` +
        `Re-run the job later; if many jobs publish at once, limit them (strategy.max-parallel).`
    )
  }
  if (
    (f.status !== undefined && f.status >= 500) ||
    /^(ServiceException|InternalError|ServiceUnavailable)$/.test(code)
  ) {
    return make(
      'server',
      `${ctx.action} on ${ctx.resource} failed with a server error` +
        `${f.status ? ` (HTTP ${f.status})` : ''}${attemptsText(f)}. This is usually passing: re-run the job.`
    )
  }
  if (f.syscall && NETWORK.has(f.syscall)) {
    return make(
      'network',
      `Could not reach AWS for ${ctx.action} in ${ctx.region} (${f.syscall}). Check the runner's network, ` +
        `its proxy (HTTPS_PROXY / HTTP_PROXY / NO_PROXY), ` +
        `and AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL_LAMBDA if you set them.`
    )
  }
  if (f.syscall && UNTRUSTED_CERTIFICATE.has(f.syscall)) {
    return make(
      'untrusted-certificate',
      `The certificate presented for ${ctx.action} in ${ctx.region} is not trusted (${f.syscall}): a ` +
        `TLS-intercepting proxy, or an endpoint signed by a private CA. Point AWS_CA_BUNDLE at that ` +
        `CA's PEM bundle, as for the AWS CLI (NODE_EXTRA_CA_CERTS is added to it; ca_bundle in ` +
        `~/.aws/config is not read).`
    )
  }
  if (code === 'ResourceNotFoundException' || code === 'NoSuchKey' || f.status === 404) {
    return make('not-found', `${ctx.action} on ${ctx.resource}: not found.`)
  }
  return make('other', `${ctx.action} on ${ctx.resource} failed.`)
}
