/**
 * The names and limits a delivery is checked against while the inputs are read, before any AWS
 * client exists: Lambda's layer name and field limits, share-with principals, the region, the S3
 * bucket and key. Imports no SDK, so the inputs and the plan load without the clients.
 */
import { InputError } from '../errors'

/** LayerName: `[a-zA-Z0-9-_]+`, 1 to 140 characters. */
export const LAYER_NAME_PATTERN = /^[a-zA-Z0-9_-]+$/
export const LAYER_NAME_MAX = 140
/** Description: at most 256 characters. */
export const DESCRIPTION_MAX = 256
/** LicenseInfo: at most 512 characters. */
export const LICENSE_INFO_MAX = 512

/** Throws an InputError naming `input` unless `name` is a layer name Lambda accepts. */
export function validateLayerName(name: string, input = 'layer-name'): string {
  if (name.length < 1 || name.length > LAYER_NAME_MAX || !LAYER_NAME_PATTERN.test(name)) {
    throw new InputError(
      input,
      name,
      `a Lambda layer name is 1 to ${LAYER_NAME_MAX} characters of letters, digits, '-' and '_' ` +
        `(with 'environment' set, '<layer-name>-<environment>' must fit these rules)`
    )
  }
  return name
}

export function validateLicenseInfo(value: string, input = 'license-info'): string {
  if ([...value].length > LICENSE_INFO_MAX) {
    throw new InputError(input, value, `at most ${LICENSE_INFO_MAX} characters (Lambda's limit)`)
  }
  return value
}

/** The description cut to Lambda's limit, marked with an ellipsis when cut. */
export function layerDescription(text: string): string {
  const chars = [...text]
  return chars.length <= DESCRIPTION_MAX ? text : chars.slice(0, DESCRIPTION_MAX - 1).join('') + '…'
}

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

/** The region of the layer: the input, then AWS_REGION, then AWS_DEFAULT_REGION. */
export function resolveRegion(
  input: string,
  env: NodeJS.ProcessEnv = process.env
): string | undefined {
  for (const value of [input, env.AWS_REGION, env.AWS_DEFAULT_REGION]) {
    const region = value?.trim()
    if (region) return region
  }
  return undefined
}

export function bucketForRegion(bucket: string, region: string): string {
  return bucket.replace(/\{region\}/g, region)
}

/** `<prefix>/<layer>/<YYYYMMDD-HHMMSS>/<layer>.zip`, UTC; an empty prefix adds no leading slash. */
export function layerObjectKey(prefix: string, layerName: string, now: Date): string {
  const iso = now.toISOString() // 2026-11-22T10:45:12.345Z
  const stamp = `${iso.slice(0, 10).replace(/-/g, '')}-${iso.slice(11, 19).replace(/:/g, '')}`
  const trimmed = prefix.replace(/^\/+|\/+$/g, '')
  return [trimmed, layerName, stamp, `${layerName}.zip`].filter(part => part !== '').join('/')
}
