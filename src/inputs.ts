/**
 * The table of inputs: each read once, checked by the rules of the room it belongs to, frozen into
 * one ActionInputs before anything else happens. A bad value is an InputError naming the input, the
 * value and what is allowed.
 */
import * as core from '@actions/core'
import path from 'node:path'
import { Inputs } from './constants'
import { Redactor } from './credentials'
import { bool, lines, readRawInputs } from './input-values'
import { targetInputs, type TargetInputs } from './target'
import { installInputs, type InstallInputs } from './resolve/inputs'
import { destinationInputs, handoffInputs } from './deliver/inputs'
import type { DestinationInputs, HandoffInputs } from './deliver/inputs'
import { releaseInputs, type ReleaseInputs } from './release/inputs'
import { compareWith, type CompareWith } from './contents/inputs'

export type ActionInputs = Readonly<
  { workspace: string } & TargetInputs &
    InstallInputs &
    LayerInputs &
    DestinationInputs &
    HandoffInputs &
    ReleaseInputs &
    SwitchInputs
>

/** What goes into the layer besides the wheels, and what is left out. */
interface LayerInputs {
  readonly include: readonly string[]
  readonly slim: boolean
  readonly exclude: readonly string[]
}

/** The on/off inputs and the comparison. */
interface SwitchInputs {
  readonly cache: boolean
  readonly smokeTest: boolean
  readonly publish: boolean
  readonly skipUnchanged: boolean
  readonly tag: boolean
  readonly githubRelease: boolean
  readonly sbom: boolean
  readonly compareWith: CompareWith
  readonly prComment: boolean
}

/** Reads every input once. Throws InputError (naming the input, the value and what is allowed). */
export function getInputs(env: NodeJS.ProcessEnv = process.env, today = new Date()): ActionInputs {
  const raw = readRawInputs()
  const workspace = path.resolve(env.GITHUB_WORKSPACE || process.cwd())
  const publish = bool(raw, Inputs.Publish)
  const githubRelease = bool(raw, Inputs.GithubRelease)
  const destination = destinationInputs(raw, { env, publish })
  const inputs: ActionInputs = Object.freeze({
    workspace,
    ...targetInputs(raw, today), //                         python-version, architecture, compatible-runtimes
    ...installInputs(raw, workspace), //                    requirements, extras, groups, build-sdists, index-url, pip-args, codeartifact-*
    include: lines(raw[Inputs.Include]),
    slim: bool(raw, Inputs.Slim),
    exclude: lines(raw[Inputs.Exclude]),
    ...destination, //                                      layer-name, environment, bucket, s3-prefix, region(s), description, license-info
    ...handoffInputs(raw, destination.publishedName), //    keep-versions, share-with, update-functions, health-check(-payload), ssm-parameter
    ...releaseInputs(raw, { githubRelease }), //            tag-prefix, initial-version, default-bump, github-token
    cache: bool(raw, Inputs.Cache),
    smokeTest: bool(raw, Inputs.SmokeTest),
    publish,
    skipUnchanged: bool(raw, Inputs.SkipUnchanged),
    tag: bool(raw, Inputs.Tag),
    githubRelease,
    sbom: bool(raw, Inputs.Sbom),
    compareWith: compareWith(raw[Inputs.CompareWith]),
    prComment: bool(raw, Inputs.PrComment)
  })
  const redactor = new Redactor([inputs.indexUrl, ...inputs.pipArgs])
  core.debug(
    `inputs: ${redactor.redact(JSON.stringify({ ...inputs, githubToken: inputs.githubToken ? '***' : '' }))}`
  )
  return inputs
}
