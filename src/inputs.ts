import * as core from '@actions/core'
import { existsSync, statSync } from 'node:fs'
import path from 'node:path'
import { Inputs } from './constants'
import { InputError } from './errors'
import {
  DESCRIPTION_MAX,
  LAYER_NAME_MAX,
  LAYER_NAME_PATTERN,
  validateLicenseInfo
} from './deliver/layers'
import { resolveRegion } from './deliver/clients'
import { bucketForRegion } from './deliver/deliver'
import { parsePrincipal } from './deliver/fleet'
import { Redactor, redactUrl } from './credentials'
import { FORMATS_HELP, inputFormat, type InputFormat } from './resolve/formats'
import { BUMPS, PLAIN_VERSION_HELP, isPlainVersion, type Bump } from './release/bump'
import {
  ARCHITECTURES,
  DEFAULT_PYTHON_VERSION,
  RUNTIMES,
  RUNTIME_TABLE_READ,
  RUNTIME_TABLE_URL,
  findRuntime,
  runtimeStatus,
  type Architecture,
  type Runtime
} from './runtimes'

/** Everything the run needs from the workflow, parsed and validated once. */
export interface ActionInputs {
  readonly workspace: string
  /** absolute path of the requirements file, pyproject.toml or lock file */
  readonly requirements: string
  /** what `requirements` names, told by its file name */
  readonly requirementsFormat: InputFormat
  /** optional dependencies of the project (pyproject.toml or a lock) */
  readonly extras: readonly string[]
  /** dependency groups (pyproject.toml or a lock) */
  readonly groups: readonly string[]
  /** `pure`: sdists built on the runner, taken when pure Python; `never`: wheels only */
  readonly buildSdists: BuildSdists
  /** set when the index is an AWS CodeArtifact repository */
  readonly codeartifact?: CodeArtifactRepository
  readonly layerName: string
  readonly environment: string
  /** `<layer-name>-<environment>`, or `<layer-name>` without an environment */
  readonly publishedName: string
  readonly bucket: string
  readonly s3Prefix: string
  /** the regions to publish to, the primary first (one unless `regions` is set) */
  readonly regions: readonly string[]
  readonly runtime: Runtime
  readonly compatibleRuntimes: readonly string[]
  readonly architecture: Architecture
  readonly include: readonly string[]
  readonly slim: boolean
  readonly exclude: readonly string[]
  readonly indexUrl: string
  readonly pipArgs: readonly string[]
  readonly cache: boolean
  readonly publish: boolean
  readonly skipUnchanged: boolean
  readonly description: string
  readonly licenseInfo: string
  readonly tagPrefix: string
  readonly initialVersion: string
  readonly defaultBump: Bump
  readonly tag: boolean
  readonly githubToken: string
  readonly keepVersions: number
  readonly shareWith: readonly string[]
  readonly smokeTest: boolean
  readonly updateFunctions: readonly string[]
  /** `/layers/{layer}`: where the layer version ARN is written in SSM ('' for nowhere) */
  readonly ssmParameter: string
  readonly githubRelease: boolean
  readonly healthCheck: readonly string[]
  /** the health check's payload, valid JSON */
  readonly healthCheckPayload: string
  /** write a CycloneDX SBOM of the layer */
  readonly sbom: boolean
  /** the version whose packages this layer is compared with */
  readonly compareWith: CompareWith
  /** comment the layer's size and changes on the pull request */
  readonly prComment: boolean
}

/** `auto`, `latest`, `none`, or a layer version ARN */
export type CompareWith = 'auto' | 'latest' | 'none' | `arn:${string}`
const LAYER_VERSION_ARN =
  /^arn:aws[a-zA-Z-]*:lambda:[a-z]{2}(-[a-z]+)+-\d{1,2}:\d{12}:layer:[a-zA-Z0-9_-]{1,140}:[1-9]\d*$/

const BUILD_SDISTS = ['pure', 'never'] as const
export type BuildSdists = (typeof BUILD_SDISTS)[number]

export interface CodeArtifactRepository {
  readonly domain: string
  readonly repository: string
  /** '' when the domain is the caller's account's */
  readonly domainOwner: string
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/
/** S3 bucket naming rules; `{region}` stands for each region's name when `regions` is set. */
const BUCKET = /^(?=.{3,63}$)[a-z0-9][a-z0-9.-]*[a-z0-9]$/
const FUNCTION =
  /^(arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:function:)?[a-zA-Z0-9_-]{1,64}(:(\$LATEST|[a-zA-Z0-9_-]+))?$/
/** git check-ref-format, as far as a tag prefix can break it */
const BAD_TAG_PREFIX = /[\s~^:?*[\\]|\.\.|@\{|^\/|\/\/|^-/
/** pip flags the action sets itself from python-version and architecture */
const RESERVED_PIP_ARGS = [
  '-t',
  '--target',
  '-d',
  '--dest',
  '--platform',
  '--python-version',
  '--implementation',
  '--abi',
  '--only-binary',
  '--no-binary',
  '--prefix',
  '--root',
  '--user'
]
const RUNTIME_LIMIT = 15
/** PEP 508 names, as extras (PEP 685) and dependency groups (PEP 735) are spelled */
const PROJECT_NAME = /^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/
/** SSM parameter names: a path of letters, digits and . - _ (the version is appended below it) */
const SSM_PARAMETER = /^\/[a-zA-Z0-9_.\-/]{1,900}$/
/** CodeArtifact domain and repository names */
const CODEARTIFACT_NAME = /^[a-z][a-z0-9-]{1,49}$/
const CODEARTIFACT_REPOSITORY = /^[A-Za-z0-9][A-Za-z0-9._-]{1,99}$/

/** Reads every input once. Throws InputError (naming the input, the value and what is allowed). */
export function getInputs(env: NodeJS.ProcessEnv = process.env, today = new Date()): ActionInputs {
  const workspace = path.resolve(env.GITHUB_WORKSPACE || process.cwd())
  const publish = bool(Inputs.Publish)

  const runtime = pythonRuntime(
    core.getInput(Inputs.PythonVersion) || DEFAULT_PYTHON_VERSION,
    today
  )
  const architecture = oneOf(
    Inputs.Architecture,
    core.getInput(Inputs.Architecture) || 'x86_64',
    ARCHITECTURES
  )

  const layerName = core.getInput(Inputs.LayerName)
  if (!layerName)
    throw new InputError(
      Inputs.LayerName,
      '',
      'it is required: the base name of the layer, e.g. common'
    )
  const environment = core.getInput(Inputs.Environment)
  const publishedName = environment ? `${layerName}-${environment}` : layerName
  const validName = (name: string) => LAYER_NAME_PATTERN.test(name) && name.length <= LAYER_NAME_MAX
  if (!validName(publishedName)) {
    const input = validName(layerName) ? Inputs.Environment : Inputs.LayerName
    throw new InputError(
      input,
      input === Inputs.LayerName ? layerName : environment,
      `the layer name '${publishedName}' must be 1 to ${LAYER_NAME_MAX} letters, digits, '-' or '_'`
    )
  }

  const regionsInput = list(core.getInput(Inputs.Regions))
  const region = resolveRegion(core.getInput(Inputs.Region), env)
  const regions = unique(regionsInput.length > 0 ? regionsInput : region ? [region] : [])
  for (const r of regions) {
    if (!REGION.test(r))
      throw new InputError(
        regionsInput.length > 0 ? Inputs.Regions : Inputs.Region,
        r,
        'an AWS region name such as eu-west-1'
      )
  }

  const bucket = core.getInput(Inputs.Bucket)
  if (publish) {
    if (!bucket)
      throw new InputError(
        Inputs.Bucket,
        '',
        'it is required unless publish is false: the S3 bucket the zip is uploaded to'
      )
    if (regions.length === 0)
      throw new InputError(
        Inputs.Region,
        '',
        'it is required to publish: set region, or AWS_REGION (aws-actions/configure-aws-credentials sets it)'
      )
  }
  if (bucket) {
    for (const r of regions.length > 0 ? regions : ['us-east-1']) {
      const name = bucketForRegion(bucket, r)
      if (!BUCKET.test(name) || name.includes('..'))
        throw new InputError(
          Inputs.Bucket,
          bucket,
          'an S3 bucket name: 3 to 63 lowercase letters, digits, dots and hyphens ({region} is replaced by each region)'
        )
    }
    if (regions.length > 1 && !bucket.includes('{region}'))
      core.warning(
        `'${Inputs.Bucket}' has no {region} placeholder but ${regions.length} regions are set: a layer can only be published from a bucket in its own region, so each region needs its own bucket, e.g. my-artifacts-{region}`
      )
  }

  const requirementsInput = core.getInput(Inputs.Requirements) || 'requirements.txt'
  const requirements = path.resolve(workspace, requirementsInput)
  if (!existsSync(requirements) || !statSync(requirements).isFile())
    throw new InputError(
      Inputs.Requirements,
      requirementsInput,
      `${FORMATS_HELP}; no file at ${requirements}`
    )
  const requirementsFormat = inputFormat(requirements)
  const extras = unique(list(core.getInput(Inputs.Extras)))
  const groups = unique(list(core.getInput(Inputs.Groups)))
  for (const [input, names] of [
    [Inputs.Extras, extras],
    [Inputs.Groups, groups]
  ] as const) {
    for (const name of names) {
      if (!PROJECT_NAME.test(name))
        throw new InputError(
          input,
          name,
          'names of letters, digits, ".", "-" and "_" (PEP 685, PEP 735)'
        )
    }
    if (names.length > 0 && requirementsFormat === 'requirements')
      throw new InputError(
        input,
        names.join(','),
        `nothing with a requirements file (${path.basename(requirements)}): ${input} are read from pyproject.toml or a lock file; put the packages in the requirements file instead`
      )
  }
  const buildSdists = oneOf(
    Inputs.BuildSdists,
    core.getInput(Inputs.BuildSdists) || 'pure',
    BUILD_SDISTS
  )

  const compatibleRuntimes = list(core.getInput(Inputs.CompatibleRuntimes))
  const runtimes = compatibleRuntimes.length > 0 ? unique(compatibleRuntimes) : [runtime.identifier]
  for (const id of runtimes) {
    if (!RUNTIMES.some(r => r.identifier === id))
      throw new InputError(
        Inputs.CompatibleRuntimes,
        id,
        `Lambda Python runtimes: ${RUNTIMES.map(r => r.identifier).join(', ')}`
      )
    if (id !== runtime.identifier)
      core.warning(
        `'${Inputs.CompatibleRuntimes}' lists ${id}, but the layer is built for ${runtime.identifier}: compiled packages (${runtime.abi} wheels) will not import on ${id}; pure-Python packages will.`
      )
  }
  if (runtimes.length > RUNTIME_LIMIT)
    throw new InputError(
      Inputs.CompatibleRuntimes,
      runtimes.join(','),
      `at most ${RUNTIME_LIMIT} runtimes (a Lambda limit)`
    )

  const indexUrl = core.getInput(Inputs.IndexUrl)
  const pipArgs = splitArgs(core.getInput(Inputs.PipArgs))
  // masked before anything can print them: credentials in index-url and in any URL of pip-args
  const redactor = new Redactor([indexUrl, ...pipArgs]).register()
  if (indexUrl && !/^(https?|file):\/\//.test(indexUrl))
    throw new InputError(
      Inputs.IndexUrl,
      redactUrl(indexUrl),
      'an http(s):// or file:// URL of a PEP 503 simple index'
    )

  for (const arg of pipArgs) {
    const flag = arg.split('=')[0]
    if (RESERVED_PIP_ARGS.includes(flag))
      throw new InputError(
        Inputs.PipArgs,
        arg,
        `any pip option except ${RESERVED_PIP_ARGS.join(' ')}: the action sets these from python-version and architecture`
      )
  }

  const codeartifact = codeArtifactRepository(indexUrl)

  const description = core.getInput(Inputs.Description)
  if ([...description].length > DESCRIPTION_MAX)
    throw new InputError(
      Inputs.Description,
      description,
      `at most ${DESCRIPTION_MAX} characters (a Lambda limit)`
    )
  const licenseInfo = validateLicenseInfo(core.getInput(Inputs.LicenseInfo), Inputs.LicenseInfo)

  const tagPrefix = core.getInput(Inputs.TagPrefix, { trimWhitespace: false })
  if (BAD_TAG_PREFIX.test(tagPrefix))
    throw new InputError(
      Inputs.TagPrefix,
      tagPrefix,
      'text allowed in a git tag name: no spaces, ~ ^ : ? * [ \\, "..", or a leading "-" or "/"'
    )
  const initialVersion = core.getInput(Inputs.InitialVersion) || '1.0.0'
  if (!isPlainVersion(initialVersion))
    throw new InputError(Inputs.InitialVersion, initialVersion, PLAIN_VERSION_HELP)

  const keepVersions = integer(Inputs.KeepVersions, core.getInput(Inputs.KeepVersions) || '0')
  const shareWith = unique(list(core.getInput(Inputs.ShareWith)))
  for (const p of shareWith) parsePrincipal(p, Inputs.ShareWith)
  const updateFunctions = functions(Inputs.UpdateFunctions)

  const githubToken = core.getInput(Inputs.GithubToken)
  if (githubToken) core.setSecret(githubToken)
  const githubRelease = bool(Inputs.GithubRelease)
  if (githubRelease && !githubToken)
    throw new InputError(
      Inputs.GithubToken,
      '',
      'a token with contents: write when github-release is true (the default ${{ github.token }} works with permissions: contents: write)'
    )

  const ssmParameter = core.getInput(Inputs.SsmParameter).replace(/\/+$/, '')
  if (ssmParameter && !SSM_PARAMETER.test(ssmParameter.replace(/\{layer\}/g, 'layer')))
    throw new InputError(
      Inputs.SsmParameter,
      ssmParameter,
      'an SSM parameter path such as /layers/{layer}: starts with "/", letters, digits and . - _ / ({layer} is the published layer name)'
    )
  const healthCheck = functions(Inputs.HealthCheck)
  const healthCheckPayload = core.getInput(Inputs.HealthCheckPayload) || '{}'
  try {
    JSON.parse(healthCheckPayload)
  } catch {
    throw new InputError(
      Inputs.HealthCheckPayload,
      healthCheckPayload,
      'a JSON document, e.g. {"ping": true}'
    )
  }

  const compareWith = core.getInput(Inputs.CompareWith) || 'auto'
  if (!['auto', 'latest', 'none'].includes(compareWith) && !LAYER_VERSION_ARN.test(compareWith))
    throw new InputError(
      Inputs.CompareWith,
      compareWith,
      'auto, latest, none, or a layer version ARN (arn:aws:lambda:<region>:<account>:layer:<name>:<version>)'
    )

  const inputs: ActionInputs = {
    workspace,
    requirements,
    requirementsFormat,
    extras,
    groups,
    buildSdists,
    codeartifact,
    layerName,
    environment,
    publishedName,
    bucket,
    s3Prefix: core.getInput(Inputs.S3Prefix).replace(/^\/+|\/+$/g, ''),
    regions,
    runtime,
    compatibleRuntimes: runtimes,
    architecture,
    include: lines(core.getInput(Inputs.Include)),
    slim: bool(Inputs.Slim),
    exclude: lines(core.getInput(Inputs.Exclude)),
    indexUrl,
    pipArgs,
    cache: bool(Inputs.Cache),
    publish,
    skipUnchanged: bool(Inputs.SkipUnchanged),
    description,
    licenseInfo,
    tagPrefix,
    initialVersion,
    defaultBump: oneOf(Inputs.DefaultBump, core.getInput(Inputs.DefaultBump) || 'patch', BUMPS),
    tag: bool(Inputs.Tag),
    githubToken,
    keepVersions,
    shareWith,
    smokeTest: bool(Inputs.SmokeTest),
    updateFunctions,
    ssmParameter,
    githubRelease,
    healthCheck,
    healthCheckPayload,
    sbom: bool(Inputs.Sbom),
    compareWith: compareWith as CompareWith,
    prComment: bool(Inputs.PrComment)
  }
  core.debug(
    `inputs: ${redactor.redact(JSON.stringify({ ...inputs, githubToken: githubToken ? '***' : '' }))}`
  )
  return Object.freeze(inputs)
}

/**
 * A version Lambda never had is an error. AWS's deprecation dates are warnings, never refusals:
 * AWS has moved them before (python3.9's blocks went from 2026 into 2027), and a block stops
 * creating or updating functions, not publishing layers, so Lambda's API answers for itself.
 */
function pythonRuntime(value: string, today: Date): Runtime {
  const version = value.replace(/^python/, '')
  const runtime = findRuntime(version)
  if (!runtime)
    throw new InputError(
      Inputs.PythonVersion,
      value,
      `one of ${RUNTIMES.map(r => `'${r.version}'`).join(', ')} (the Lambda Python runtimes)`
    )
  const status = runtimeStatus(runtime, today)
  if (status !== 'supported') core.warning(deprecationNotice(runtime, status))
  return runtime
}

function deprecationNotice(r: Runtime, status: 'deprecated' | 'blocked'): string {
  const announced = `AWS's runtime table (${RUNTIME_TABLE_URL}, read ${RUNTIME_TABLE_READ}) announces that ${r.identifier} is deprecated from ${r.deprecation}, that functions on it can no longer be created from ${r.blockFunctionCreate} and no longer be updated from ${r.blockFunctionUpdate}`
  const now =
    status === 'blocked'
      ? 'those dates have passed, so functions on it may not take a new layer version unless AWS has moved them again'
      : 'it gets no more security patches'
  return `${announced}; ${now}. The layer is built and published all the same, and Lambda's own answer is reported if it refuses ${r.identifier}. Move to python${DEFAULT_PYTHON_VERSION} or later.`
}

/** The CodeArtifact inputs, all or none; they replace index-url. */
function codeArtifactRepository(indexUrl: string): CodeArtifactRepository | undefined {
  const domain = core.getInput(Inputs.CodeartifactDomain)
  const repository = core.getInput(Inputs.CodeartifactRepository)
  const domainOwner = core.getInput(Inputs.CodeartifactDomainOwner)
  if (!domain && !repository) {
    if (domainOwner)
      throw new InputError(
        Inputs.CodeartifactDomainOwner,
        domainOwner,
        'nothing without codeartifact-domain and codeartifact-repository'
      )
    return undefined
  }
  if (!domain)
    throw new InputError(
      Inputs.CodeartifactDomain,
      '',
      'it is required with codeartifact-repository'
    )
  if (!repository)
    throw new InputError(
      Inputs.CodeartifactRepository,
      '',
      'it is required with codeartifact-domain'
    )
  if (!CODEARTIFACT_NAME.test(domain))
    throw new InputError(
      Inputs.CodeartifactDomain,
      domain,
      'a CodeArtifact domain name: 2 to 50 lowercase letters, digits and -'
    )
  if (!CODEARTIFACT_REPOSITORY.test(repository))
    throw new InputError(
      Inputs.CodeartifactRepository,
      repository,
      'a CodeArtifact repository name: 2 to 100 letters, digits, . - _'
    )
  if (domainOwner && !/^\d{12}$/.test(domainOwner))
    throw new InputError(Inputs.CodeartifactDomainOwner, domainOwner, 'a 12-digit AWS account ID')
  if (indexUrl)
    throw new InputError(
      Inputs.IndexUrl,
      redactUrl(indexUrl),
      'empty when codeartifact-domain is set: the CodeArtifact repository is the index'
    )
  return { domain, repository, domainOwner }
}

/** The toolkit's YAML 1.2 core booleans, reported as an InputError. */
function bool(name: Inputs): boolean {
  try {
    return core.getBooleanInput(name)
  } catch {
    throw new InputError(name, core.getInput(name), 'true or false')
  }
}

function oneOf<T extends string>(name: Inputs, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T
  throw new InputError(name, value, `one of ${allowed.join(', ')}`)
}

/** A list of Lambda function names or ARNs, each once. */
function functions(name: Inputs): string[] {
  const names = unique(list(core.getInput(name)))
  for (const f of names) {
    if (!FUNCTION.test(f)) throw new InputError(name, f, 'Lambda function names or function ARNs')
  }
  return names
}

function integer(name: Inputs, value: string): number {
  if (!/^\d+$/.test(value)) throw new InputError(name, value, 'a whole number, 0 or more')
  return Number(value)
}

/** Comma or newline separated. */
export function list(value: string): string[] {
  return value
    .split(/[,\n]/)
    .map(s => s.trim())
    .filter(Boolean)
}

/** Newline separated (paths and globs may contain commas). */
function lines(value: string): string[] {
  return value
    .split('\n')
    .map(s => s.trim())
    .filter(Boolean)
}

function unique(values: string[]): string[] {
  return [...new Set(values)]
}

/** Splits pip-args as a shell would: whitespace separates, quotes group, backslash escapes. */
export function splitArgs(value: string): string[] {
  const args: string[] = []
  let current: string | undefined
  let quote: string | undefined
  for (let i = 0; i < value.length; i++) {
    const c = value[i]
    if (quote) {
      if (c === quote) quote = undefined
      else if (c === '\\' && quote === '"' && i + 1 < value.length) current += value[++i]
      else current += c
    } else if (c === '"' || c === "'") {
      quote = c
      current ??= ''
    } else if (c === '\\' && i + 1 < value.length) {
      current = (current ?? '') + value[++i]
    } else if (/\s/.test(c)) {
      if (current !== undefined) args.push(current)
      current = undefined
    } else {
      current = (current ?? '') + c
    }
  }
  if (quote) throw new InputError(Inputs.PipArgs, value, 'arguments with balanced quotes')
  if (current !== undefined) args.push(current)
  return args
}
