import * as core from '@actions/core'
import { getInputs, type ActionInputs } from './inputs'
import { makePlan, type Plan } from './plan'
import { effectiveIndexUrl, resolvePinnedSet } from './resolve/resolve'
import { fetchWheels, restoreWheels } from './fetch/stage'
import { builtOnRunner, type Wheelhouse } from './fetch/wheelhouse'
import { assembleLayer } from './assemble/layer'
import { zipLayer } from './assemble/zip'
import { probeInterpreter, smokeTestLayer } from './smoke/smoke'
import { layerContents } from './contents/contents'
import { commentContents } from './contents/pr-comment'
import { handOff } from './handoff'
import { report, reportFailure } from './report'
import { RunProgress } from './progress'
import { LayerActionError, messageOf } from './errors'

/**
 * One run: inputs → plan → pinned set → wheelhouse → layer entries → zip (and, beside it, the smoke
 * test) → contents (SBOM, changes, pull-request comment) → the hand-off (layer versions, functions,
 * health check, SSM, tag, GitHub Release) → outputs and summary. Every decision is made in the
 * plan, before any side effect; this is the only place that fails the step.
 */
export async function run(): Promise<void> {
  // performance.now() counts from the process's start: Node's own start and the bundle's loading
  core.debug(`run() started ${Math.round(performance.now())} ms after the process`)
  // which step is running and what each finished one returned, for the summary of a failure
  const progress = new RunProgress()
  try {
    const inputs = await progress.step('inputs', getInputs)
    const plan = await progress.group('plan', 'Plan', () => makePlan(inputs))
    // the smoke test's interpreter, probed while the wheels are restored and resolved
    const interpreter = inputs.smokeTest ? probeInterpreter(inputs) : undefined
    const wheelhouse = await wheelhouseFor(inputs, plan, progress)
    const layer = await progress.group('assemble', `Assemble ${inputs.publishedName}`, () =>
      assembleLayer(inputs, wheelhouse)
    )
    let saved: Promise<void> | undefined
    const [zip, smoke] = await core.group('Zip and smoke test', () =>
      Promise.all([
        progress.step('zip', async () => {
          const zipped = await zipLayer(layer.entries, plan.zipPath, {
            verifiedBefore: wheelhouse.verifiedBefore
          })
          // every entry taken from the wheels is verified: now they may be kept for the next run
          saved = wheelhouse.save?.()
          return zipped
        }),
        inputs.smokeTest
          ? progress.step('smoke', () =>
              smokeTestLayer(layer.entries, {
                runtime: inputs.runtime,
                architecture: inputs.architecture,
                layerDir: plan.layerDir,
                verdictDir: plan.smokeVerdictDir,
                cache: inputs.cache,
                interpreter
              })
            )
          : undefined
      ])
    )
    const contents = await progress.group('contents', 'Contents: SBOM and changes', () =>
      layerContents(inputs, plan, zip, wheelhouse)
    )
    if (inputs.prComment)
      await core.group('Pull-request comment', () => commentContents(inputs, plan, contents))
    const handed = await progress.step('hand-off', () =>
      handOff(inputs, plan, zip, { sbom: contents.sbom?.json })
    )
    await saved
    const built = builtOnRunner(wheelhouse)
    await progress.step('summary', () =>
      report({ inputs, plan, layer, smoke, zip, ...handed, built, contents })
    )
  } catch (error) {
    await reportFailure(error, progress)
    // a LayerActionError speaks to the user; anything else is a bug in this action
    if (error instanceof LayerActionError) core.setFailed(error.message)
    else {
      core.debug(error instanceof Error ? (error.stack ?? '') : String(error))
      core.setFailed(`Unexpected error (please report it with the debug log): ${messageOf(error)}`)
    }
  }
}

/**
 * One way down for every input: the wheel cache restored; on an exact hit the pinned set recorded
 * with it (no pip, no network), else the input resolved; then the files fetched, recorded, saved.
 */
export async function wheelhouseFor(
  inputs: ActionInputs,
  plan: Plan,
  progress = new RunProgress()
): Promise<Wheelhouse> {
  const indexUrl = await progress.step('resolve', () => effectiveIndexUrl(inputs))
  const cached = await progress.step('fetch', () => restoreWheels(inputs, plan, indexUrl))
  const pinned =
    cached.pinned ??
    (await progress.group('resolve', `Resolve for ${plan.runtimeLabel}`, () =>
      resolvePinnedSet(inputs, plan, { indexUrl })
    ))
  return progress.group('fetch', `Fetch ${pinned.entries.length} distribution(s)`, () =>
    fetchWheels(inputs, plan, pinned, cached, indexUrl)
  )
}
