import * as core from '@actions/core'
import { getInputs } from './inputs'
import { makePlan } from './plan'
import { resolveWheels } from './resolve/resolve'
import { assembleLayer } from './assemble/layer'
import { smokeTestLayer } from './smoke/smoke'
import { zipLayer } from './assemble/zip'
import { publishLayer } from './deliver/publish'
import { tagRelease } from './release/release'
import { githubRelease } from './release/github'
import { report, reportFailure } from './report'
import { LayerActionError, messageOf } from './errors'
import { layerContents } from './contents/contents'
import { sbomBesideZips } from './contents/sbom-upload'
import { commentContents } from './contents/pr-comment'
import { attachSbomToRelease } from './contents/release-asset'
// SHIM imports (wheelhouseOf, below)
import { createHash } from 'node:crypto'
import { createReadStream, openSync, closeSync } from 'node:fs'
import { pipeline } from 'node:stream/promises'
import type { Resolution } from './resolve/resolve'
import type { ActionInputs } from './inputs'
import type { Wheelhouse } from './fetch/wheelhouse'
import { readWheelMetadata } from './contents/packages'
import { requirementGraph } from './contents/graph'
import { markerEnvironment } from './runtimes'

/**
 * One run: inputs → plan → wheels for the target → layer entries → zip (and, beside it, the files
 * for the smoke test) → contents (SBOM, changes, pull-request comment) → S3 + layer version(s)
 * (health check, SSM) and the SBOM beside the zip → tag → GitHub Release (and its SBOM asset) → outputs.
 * Every decision is made in the plan, before any side effect; this is the only place that fails the step.
 */
export async function run(): Promise<void> {
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
        inputs.smokeTest ? smokeTestLayer(layer.entries, plan.layerDir, inputs) : undefined
      ])
    )
    const wheelhouse = await wheelhouseOf(resolution, inputs) // SHIM: see below
    const contents = await core.group('Contents: SBOM and changes', () =>
      layerContents(inputs, plan, zip, wheelhouse)
    )
    if (inputs.prComment)
      await core.group('Pull-request comment', () => commentContents(inputs, plan, contents))
    const deliveries = inputs.publish
      ? await core.group('Publish', () => publishLayer(inputs, plan, zip))
      : []
    const sbomS3Key =
      contents.sbom && deliveries.length > 0
        ? await core.group('SBOM beside the zip', () =>
            sbomBesideZips(inputs, deliveries, contents.sbom?.json ?? '')
          )
        : ''
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
      ? await core.group('GitHub Release', () => githubRelease(inputs, plan, tag, deliveries))
      : undefined
    const sbom = contents.sbom
    if (release?.outcome && sbom)
      await core.group('SBOM release asset', () =>
        attachSbomToRelease({
          token: inputs.githubToken,
          releaseId: release.outcome?.id ?? 0,
          layerName: inputs.publishedName,
          version: plan.release.version,
          json: sbom.json
        })
      )
    await report({
      inputs,
      plan,
      layer,
      smoke,
      zip,
      deliveries,
      tag,
      release,
      built: resolution.built,
      contents,
      sbomS3Key
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

/**
 * SHIM (issue 18), until fetch hands over the Wheelhouse: each wheel's SHA-256, and the graph from
 * its METADATA Requires-Dist evaluated for the target. The lead replaces it at merge.
 */
async function wheelhouseOf(resolution: Resolution, inputs: ActionInputs): Promise<Wheelhouse> {
  // only the SBOM reads hashes and the graph
  if (!inputs.sbom)
    return { dir: '', wheels: [], pinned: { entries: [], skipped: [], summary: '' }, cache: 'off' }
  const env = markerEnvironment(inputs.runtime, inputs.architecture)
  const wheels = await Promise.all(
    resolution.wheels.map(async w => {
      const hash = createHash('sha256')
      await pipeline(createReadStream(w.file), hash)
      const fd = openSync(w.file, 'r')
      const metadata = await readWheelMetadata(fd, w.file).finally(() => closeSync(fd))
      return {
        ...w,
        sha256: hash.digest('hex'),
        reused: false,
        requiresDist: metadata.requiresDist
      }
    })
  )
  const graph = requirementGraph(
    wheels.map(w => ({ key: w.name, requiresDist: w.requiresDist })),
    env
  )
  const entries = wheels.map(w => ({
    name: w.name,
    version: w.version,
    artifact: { kind: 'hashes' as const, hashes: { sha256: [w.sha256] } },
    dependencies: graph.get(w.name) ?? [],
    requiredBy: wheels.filter(o => graph.get(o.name)?.includes(w.name)).map(o => o.name)
  }))
  return {
    dir: '',
    wheels,
    pinned: { entries, skipped: [], summary: '' },
    cache: resolution.cache
  }
}
