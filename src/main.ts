import * as core from '@actions/core'
import { getInputs } from './inputs'
import { makePlan } from './plan'
import { resolveWheels } from './resolve/resolve'
import { assembleLayer } from './assemble/layer'
import { smokeTestLayer } from './smoke/smoke'
import { zipLayer } from './assemble/zip'
import { tagRelease } from './release/release'
import { report, reportFailure } from './report'
import { LayerActionError, messageOf } from './errors'

/**
 * One run: inputs → plan → wheels for the target → layer entries → zip (and, beside it, the files
 * for the smoke test) → S3 + layer version(s) (health check, SSM) → tag → GitHub Release → outputs.
 * Every decision is made in the plan, before any side effect; this is the only place that fails the step.
 */
export async function run(): Promise<void> {
  // performance.now() counts from the process's start: Node's own start and the bundle's loading
  core.debug(`run() started ${Math.round(performance.now())} ms after the process`)
  try {
    const inputs = getInputs()
    const plan = await core.group('Plan', () => makePlan(inputs))
    const resolution = await core.group(`Resolve for ${plan.runtimeLabel}`, () =>
      resolveWheels(inputs, plan)
    )
    const layer = await core.group(`Assemble ${inputs.publishedName}`, () =>
      assembleLayer(inputs, resolution)
    )
    const [zip, smoke] = await core.group('Zip and smoke test', () =>
      Promise.all([
        zipLayer(layer.entries, plan.zipPath),
        inputs.smokeTest
          ? smokeTestLayer(layer.entries, {
              runtime: inputs.runtime,
              architecture: inputs.architecture,
              layerDir: plan.layerDir,
              verdictDir: plan.smokeVerdictDir,
              cache: inputs.cache
            })
          : undefined
      ])
    )
    // the AWS and GitHub clients load only on the paths that use them (dist/ holds them as chunks)
    const deliveries = inputs.publish
      ? await core.group('Publish', async () =>
          (await import('./deliver/publish')).publishLayer(inputs, plan, zip)
        )
      : []
    const published = deliveries.some(d => d.published)
    const tag = await core.group('Tag', () =>
      tagRelease({
        enabled: inputs.tag,
        published,
        release: plan.release,
        sha: plan.sha,
        git: plan.git
      })
    )
    // github-release: false makes no GitHub API call at all
    const release = inputs.githubRelease
      ? await core.group('GitHub Release', async () =>
          (await import('./release/github')).githubRelease(inputs, plan, tag, deliveries)
        )
      : undefined
    await report({
      inputs,
      plan,
      layer,
      smoke,
      zip,
      deliveries,
      tag,
      release,
      built: resolution.built
    })
  } catch (error) {
    await reportFailure(error)
    // a LayerActionError speaks to the user; anything else is a bug in this action
    if (error instanceof LayerActionError) core.setFailed(error.message)
    else {
      core.debug(error instanceof Error ? (error.stack ?? '') : String(error))
      core.setFailed(`Unexpected error (please report it with the debug log): ${messageOf(error)}`)
    }
  }
}
