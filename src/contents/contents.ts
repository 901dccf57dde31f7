/**
 * The contents stage (after the smoke test, before deliver): the built zip's distributions → the
 * SBOM `<layer>.cdx.json` beside the zip, and the diff against the version `compare-with` names.
 */
import fs from 'node:fs'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import * as core from '@actions/core'
import type { ZipResult } from '../assemble/zip'
import { ACTION_VERSION } from '../constants'
import { InputError, messageOf } from '../errors'
import type { Wheelhouse } from '../fetch/wheelhouse'
import type { ActionInputs } from '../inputs'
import type { Plan } from '../plan'
import type { ComparedLayer, CompareRequest, RegionClients } from './compared'
import { diffPackages, type Changes } from './diff'
import type { ContentsView } from './markdown'
import { readZipPackages, type LayerPackage } from './packages'
import type { PackageOrigin } from './sbom'
import { comparesWith } from './inputs'
import { requirementGraph } from '../python/graph'
import { markerEnvironment } from '../runtimes'

export interface ContentsResult {
  /** the distributions in the zip, sorted by name */
  readonly packages: readonly LayerPackage[]
  /** with sbom: true */
  readonly sbom?: { readonly path: string; readonly json: string }
  readonly compared?: ComparedLayer
  readonly changes?: Changes
  /** the summary and the comment show this */
  readonly view: ContentsView
}

export interface ContentsOptions {
  /** AWS clients of a region (tests point them at moto) */
  clientsFor?: (region: string) => RegionClients
}

export async function layerContents(
  inputs: ActionInputs,
  plan: Plan,
  zip: ZipResult,
  wheelhouse: Wheelhouse,
  o: ContentsOptions = {}
): Promise<ContentsResult> {
  const fd = fs.openSync(zip.path, 'r')
  const own = await readZipPackages(fd, path.basename(zip.path)).finally(() => fs.closeSync(fd))
  for (const why of own.skipped) core.warning(`${inputs.publishedName}: ${why}`)
  const { packages } = own

  const sbom = inputs.sbom ? await writeSbom(inputs, plan, zip, wheelhouse, packages) : undefined
  const named = packages.map(p => ({ name: p.key, version: p.metadata.version }))

  let compared: ComparedLayer | undefined
  let notCompared: string | undefined
  try {
    compared = await readCompared(
      {
        compareWith: inputs.compareWith,
        publish: inputs.publish,
        layerName: inputs.publishedName,
        region: inputs.regions[0] ?? '',
        bucket: inputs.bucket,
        s3Prefix: inputs.s3Prefix,
        own: { codeSha256: zip.sha256, packages: named, unzippedSize: zip.unzippedSize },
        tmpDir: plan.workDir
      },
      o.clientsFor
    )
    if (!compared) notCompared = notComparedReason(inputs)
  } catch (error: unknown) {
    // a version that does not exist was named: the input is wrong. Anything else: a report is missing
    if (error instanceof InputError) throw error
    notCompared = messageOf(error)
    core.warning(
      `The packages were not compared (compare-with: ${inputs.compareWith}): ${notCompared}`
    )
  }
  const changes = compared
    ? diffPackages(compared.layerVersionArn, compared.packages, named)
    : undefined
  if (compared && changes) {
    const how = compared.read
      ? `${compared.read.requests} range request(s), ${compared.read.bytes} of ${compared.read.total} bytes`
      : compared.source
    core.info(
      `Compared with ${compared.layerVersionArn} (${how}): ${changes.changed.length} changed, ${changes.added.length} added, ${changes.removed.length} removed`
    )
  }
  return {
    packages,
    ...(sbom ? { sbom } : {}),
    ...(compared ? { compared } : {}),
    ...(changes ? { changes } : {}),
    view: {
      zipSize: zip.zipSize,
      unzippedSize: zip.unzippedSize,
      packages: packages.length,
      ...(compared ? { compared } : {}),
      ...(changes ? { changes } : {}),
      ...(notCompared ? { notCompared } : {})
    }
  }
}

async function writeSbom(
  inputs: ActionInputs,
  plan: Plan,
  zip: ZipResult,
  wheelhouse: Wheelhouse,
  packages: readonly LayerPackage[]
): Promise<{ path: string; json: string }> {
  const origins = new Map<string, PackageOrigin>(
    wheelhouse.wheels.map(w => [w.name, { sha256: w.sha256, wheel: path.basename(w.file) }])
  )
  // CycloneDX loads only with sbom: true (a chunk of its own)
  const { layerSbom } = await import('./sbom')
  const json = layerSbom(
    {
      layerName: inputs.publishedName,
      version: plan.release.version,
      runtime: inputs.runtime.identifier,
      architecture: inputs.architecture,
      codeSha256: zip.sha256,
      codeSize: zip.zipSize,
      unzippedSize: zip.unzippedSize,
      toolVersion: ACTION_VERSION
    },
    packages,
    origins,
    graphOf(inputs, wheelhouse, packages)
  )
  const file = path.join(path.dirname(zip.path), `${inputs.publishedName}.cdx.json`)
  await writeFile(file, json)
  const unmatched = packages.filter(p => !origins.has(p.key)).map(p => p.path)
  core.info(
    `SBOM ${file}: ${packages.length} component(s)` +
      (unmatched.length
        ? `; not from a wheel of this run, so no hash: ${unmatched.join(', ')}`
        : '')
  )
  return { path: file, json }
}

/**
 * The graph as resolved for the target (the pinned set's); for an input that records none
 * (Pipfile.lock), the same rule applied to the layer's own METADATA.
 */
function graphOf(
  inputs: ActionInputs,
  wheelhouse: Wheelhouse,
  packages: readonly LayerPackage[]
): { dependencies: Map<string, readonly string[]>; roots: Set<string> } {
  const entries = wheelhouse.pinned.entries
  if (entries.some(e => e.dependencies.length > 0) || packages.length < 2)
    return {
      dependencies: new Map(entries.map(e => [e.name, e.dependencies])),
      roots: new Set(entries.filter(e => e.requiredBy.length === 0).map(e => e.name))
    }
  const graph = requirementGraph(
    packages.map(p => ({ name: p.key, requiresDist: p.metadata.requiresDist })),
    markerEnvironment(inputs.runtime, inputs.architecture)
  )
  const required = new Set([...graph.values()].flat())
  return {
    dependencies: graph,
    roots: new Set(packages.map(p => p.key).filter(k => !required.has(k)))
  }
}

function notComparedReason(inputs: ActionInputs): string {
  if (inputs.compareWith === 'none') return 'compare-with: none'
  if (!comparesWith(inputs.compareWith, inputs.publish))
    return 'compare-with: auto compares only when publishing (set compare-with: latest)'
  return `${inputs.publishedName} has no version yet`
}

/** The version compare-with names, read; the AWS clients load only then (a chunk of their own). */
async function readCompared(
  req: CompareRequest,
  clientsFor?: (region: string) => RegionClients
): Promise<ComparedLayer | undefined> {
  if (!comparesWith(req.compareWith, req.publish)) return undefined
  const { readComparedLayer, regionClients } = await import('./compared')
  return readComparedLayer(req, clientsFor ?? regionClients())
}
