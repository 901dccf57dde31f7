/**
 * What to install and from where: requirements (its format told by the file name), extras, groups,
 * build-sdists, index-url, pip-args and the CodeArtifact repository. Credentials in index-url and
 * pip-args are masked before anything can print them; pip's network options in pip-args (and PIP_*,
 * and pip's config files) become the road of the action's own downloads.
 */
import { existsSync, statSync } from 'node:fs'
import path from 'node:path'
import { Inputs } from '../constants'
import { InputError } from '../errors'
import { Redactor, redactUrl } from '../credentials'
import { list, oneOf, type RawInputs } from '../input-values'
import { PIP_PYTHON, pipNetwork, spellsPipOption } from '../python/pip'
import { usePipNetwork } from '../proxies'
import { FORMATS_HELP, inputFormat, type InputFormat } from './formats'

const BUILD_SDISTS = ['pure', 'never'] as const
export type BuildSdists = (typeof BUILD_SDISTS)[number]

export interface CodeArtifactRepository {
  readonly domain: string
  readonly repository: string
  /** '' when the domain is the caller's account's */
  readonly domainOwner: string
}

export interface InstallInputs {
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
  readonly indexUrl: string
  readonly pipArgs: readonly string[]
  /** set when the index is an AWS CodeArtifact repository */
  readonly codeartifact?: CodeArtifactRepository
}

/** PEP 508 names, as extras (PEP 685) and dependency groups (PEP 735) are spelled */
const PROJECT_NAME = /^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/
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
const CODEARTIFACT_NAME = /^[a-z][a-z0-9-]{1,49}$/
const CODEARTIFACT_REPOSITORY = /^[A-Za-z0-9][A-Za-z0-9._-]{1,99}$/

export function installInputs(raw: RawInputs, workspace: string): InstallInputs {
  const given = raw[Inputs.Requirements] || 'requirements.txt'
  const requirements = path.resolve(workspace, given)
  if (!existsSync(requirements) || !statSync(requirements).isFile())
    throw new InputError(Inputs.Requirements, given, `${FORMATS_HELP}; no file at ${requirements}`)
  const requirementsFormat = inputFormat(requirements)
  const extras = names(raw, Inputs.Extras, requirementsFormat, requirements)
  const groups = names(raw, Inputs.Groups, requirementsFormat, requirements)
  const buildSdists = oneOf(Inputs.BuildSdists, raw[Inputs.BuildSdists] || 'pure', BUILD_SDISTS)

  const indexUrl = raw[Inputs.IndexUrl]
  const pipArgs = splitArgs(raw[Inputs.PipArgs])
  // masked before anything can print them: credentials in index-url and in any URL of pip-args
  new Redactor([indexUrl, ...pipArgs]).register()
  if (indexUrl && !/^(https?|file):\/\//.test(indexUrl))
    throw new InputError(
      Inputs.IndexUrl,
      redactUrl(indexUrl),
      'an http(s):// or file:// URL of a PEP 503 simple index'
    )
  for (const arg of pipArgs) {
    if (RESERVED_PIP_ARGS.some(flag => spellsPipOption(arg, flag)))
      throw new InputError(
        Inputs.PipArgs,
        arg,
        `any pip option except ${RESERVED_PIP_ARGS.join(' ')}: the action sets these from python-version and architecture`
      )
  }
  // the action's own downloads take pip's road: --proxy, --cert, --client-cert here, else PIP_* or pip's config files
  usePipNetwork(env => pipNetwork({ python: PIP_PYTHON, pipArgs, env }))
  const codeartifact = codeArtifactRepository(raw, indexUrl)
  return {
    requirements,
    requirementsFormat,
    extras,
    groups,
    buildSdists,
    indexUrl,
    pipArgs,
    ...(codeartifact ? { codeartifact } : {})
  }
}

/** extras or groups: PEP 685/735 names, read from pyproject.toml or a lock, never a requirements file. */
function names(
  raw: RawInputs,
  input: Inputs.Extras | Inputs.Groups,
  format: InputFormat,
  requirements: string
): string[] {
  const given = list(raw[input])
  for (const name of given) {
    if (!PROJECT_NAME.test(name))
      throw new InputError(
        input,
        name,
        'names of letters, digits, ".", "-" and "_" (PEP 685, PEP 735)'
      )
  }
  if (given.length > 0 && format === 'requirements')
    throw new InputError(
      input,
      given.join(','),
      `nothing with a requirements file (${path.basename(requirements)}): ${input} are read from pyproject.toml or a lock file; put the packages in the requirements file instead`
    )
  return given
}

/** The CodeArtifact inputs, all or none; they replace index-url. */
function codeArtifactRepository(
  raw: RawInputs,
  indexUrl: string
): CodeArtifactRepository | undefined {
  const domain = raw[Inputs.CodeartifactDomain]
  const repository = raw[Inputs.CodeartifactRepository]
  const domainOwner = raw[Inputs.CodeartifactDomainOwner]
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
