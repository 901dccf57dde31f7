import * as core from '@actions/core'
import { mkdir, mkdtemp } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { ActionInputs } from './inputs'
import { bucketForRegion, layerObjectKey } from './deliver/names'
import { describeTarget } from './python/wheel-tags'
import { Git, inspectRepository } from './release/git'
import { readHistory } from './release/history'
import { assertTagAvailable, decideVersion, type VersionDecision } from './release/bump'

/** Everything a run decides, decided before any side effect. */
export interface Plan {
  /** `python3.12 (Amazon Linux 2023, glibc 2.34, x86_64)` */
  readonly runtimeLabel: string
  readonly workDir: string
  /** the smoke test's extracted layer (holding python/) when /dev/shm has no room for it */
  readonly layerDir: string
  /** a fixed folder for the smoke test verdict's Actions cache entry */
  readonly smokeVerdictDir: string
  readonly wheelhouse: string
  readonly zipPath: string
  readonly release: VersionDecision
  /** the commit being released ('' outside a git repository) */
  readonly sha: string
  /** false outside a git repository: there is nothing to tag */
  readonly git?: Git
  readonly description: string
  readonly s3Key: string
}

export async function makePlan(inputs: ActionInputs, now = new Date()): Promise<Plan> {
  const { runtime, architecture, publishedName: layerName } = inputs
  const runtimeLabel = describeTarget({ runtime, architecture })

  const { release, sha, git } = await planRelease(inputs)
  const description =
    inputs.description ||
    [release.tag, sha.slice(0, 7), inputs.environment].filter(Boolean).join(' ')

  const base = path.join(process.env.RUNNER_TEMP || os.tmpdir(), 'layer-action')
  await mkdir(base, { recursive: true })
  const workDir = await mkdtemp(path.join(base, `${layerName}-`))

  const plan: Plan = {
    runtimeLabel,
    workDir,
    layerDir: path.join(workDir, 'layer'),
    smokeVerdictDir: path.join(base, 'smoke-verdict'),
    // a fixed path: @actions/cache keys its entries by path too
    wheelhouse: path.join(base, 'wheels', `${runtime.identifier}-${architecture}`),
    zipPath: path.join(workDir, `${layerName}.zip`),
    release,
    sha,
    git,
    description,
    s3Key: layerObjectKey(inputs.s3Prefix, layerName, now)
  }
  core.info(`layer:    ${layerName} for ${runtimeLabel}`)
  const tagging = !release.newTag
    ? `this commit is tagged ${release.tag} already`
    : inputs.publish && inputs.tag
      ? `tag ${release.tag} once a layer version of this commit is published`
      : `no tag (${inputs.publish ? 'tag' : 'publish'}: false)`
  core.info(
    `version:  ${release.version} (${release.bump === 'none' ? 'no bump' : `${release.bump} bump`}${release.previousVersion ? ` from ${release.previousVersion}` : ', first release'}); ${tagging}`
  )
  // a plan, not a promise: the publish step says what it did (it may find the zip published already)
  if (inputs.publish) {
    for (const region of inputs.regions) {
      const via = `through s3://${bucketForRegion(inputs.bucket, region)}/${plan.s3Key}`
      core.info(
        inputs.skipUnchanged
          ? `publish:  ${layerName} in ${region} ${via}, or reuse the version that already holds this zip`
          : `publish:  a new version of ${layerName} in ${region} ${via}`
      )
    }
  } else {
    core.info('publish:  false — the zip is built, nothing is sent to AWS')
  }
  return plan
}

async function planRelease(
  inputs: ActionInputs
): Promise<{ release: VersionDecision; sha: string; git?: Git }> {
  const options = {
    tagPrefix: inputs.tagPrefix,
    initialVersion: inputs.initialVersion,
    defaultBump: inputs.defaultBump
  }
  // one git process for HEAD, shallowness and whether there is a repository at all
  const known = await inspectRepository(inputs.workspace)
  if (!known) {
    core.info(
      `${inputs.workspace} is not a git repository: version ${inputs.initialVersion}, and no tag can be created (check out the repository with actions/checkout first)`
    )
    return {
      release: decideVersion({ history: { head: '', commits: [], deepened: false }, ...options }),
      sha: process.env.GITHUB_SHA ?? ''
    }
  }
  const git = Git.create(inputs.workspace)
  const history = await readHistory(git, { tagPrefix: inputs.tagPrefix, known })
  const release = decideVersion({ history, ...options })
  // fail now, not after a publish, when the tag this run would push is taken elsewhere
  if (inputs.publish && inputs.tag) assertTagAvailable(release)
  return { release, sha: history.head, git }
}
