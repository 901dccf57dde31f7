/**
 * How the release is versioned and announced: tag-prefix, initial-version, default-bump, and the
 * token that github-release needs (masked before anything can print it).
 */
import * as core from '@actions/core'
import { Inputs } from '../constants'
import { InputError } from '../errors'
import { oneOf, type RawInputs } from '../input-values'
import { BUMPS, PLAIN_VERSION_HELP, isPlainVersion, type Bump } from './bump'

export interface ReleaseInputs {
  readonly tagPrefix: string
  readonly initialVersion: string
  readonly defaultBump: Bump
  readonly githubToken: string
}

/** git check-ref-format, as far as a tag prefix can break it */
const BAD_TAG_PREFIX = /[\s~^:?*[\\]|\.\.|@\{|^\/|\/\/|^-/

export function releaseInputs(raw: RawInputs, o: { githubRelease: boolean }): ReleaseInputs {
  const tagPrefix = raw[Inputs.TagPrefix]
  if (BAD_TAG_PREFIX.test(tagPrefix))
    throw new InputError(
      Inputs.TagPrefix,
      tagPrefix,
      'text allowed in a git tag name: no spaces, ~ ^ : ? * [ \\, "..", or a leading "-" or "/"'
    )
  const initialVersion = raw[Inputs.InitialVersion] || '1.0.0'
  if (!isPlainVersion(initialVersion))
    throw new InputError(Inputs.InitialVersion, initialVersion, PLAIN_VERSION_HELP)
  const githubToken = raw[Inputs.GithubToken]
  if (githubToken) core.setSecret(githubToken)
  if (o.githubRelease && !githubToken)
    throw new InputError(
      Inputs.GithubToken,
      '',
      'a token with contents: write when github-release is true (the default ${{ github.token }} works with permissions: contents: write)'
    )
  return {
    tagPrefix,
    initialVersion,
    defaultBump: oneOf(Inputs.DefaultBump, raw[Inputs.DefaultBump] || 'patch', BUMPS),
    githubToken
  }
}
