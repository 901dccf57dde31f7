/**
 * The resolved wheels → the layer's entries: each wheel read from its central directory, merged
 * (namespace packages across wheels), the user's own code beside them, what never runs on Lambda
 * left out, then measured against Lambda's limit. Nothing is extracted or written here.
 */
import * as core from '@actions/core'
import path from 'node:path'
import { LayerActionError } from '../errors'
import type { ActionInputs } from '../inputs'
import type { Wheelhouse } from '../fetch/wheelhouse'
import { plural } from '../words'
import type { LayerEntry } from './entries'
import { includeEntries } from './include'
import {
  assertWithinLimit,
  formatBytes,
  measureEntries,
  nearLimitWarning,
  type SizeReport
} from './size'
import { slimEntries, type SlimReport } from './slim'
import { wheelContent, type WheelContent } from './wheel'

export interface BuiltLayer {
  /** what goes into the zip, paths relative to python/ */
  readonly entries: readonly LayerEntry[]
  /** wheel file names */
  readonly wheels: readonly string[]
  readonly cache: Wheelhouse['cache']
  readonly slim: SlimReport
  readonly size: SizeReport
}

export async function assembleLayer(
  inputs: ActionInputs,
  wheelhouse: Wheelhouse
): Promise<BuiltLayer> {
  const wheels = await Promise.all(wheelhouse.wheels.map(w => wheelContent(w.file)))
  const installed = mergeWheels(wheels)
  const { entries: own } = await includeEntries(inputs.include, inputs.workspace, installed)
  const { kept, report: slim } = slimEntries([...installed, ...own], {
    slim: inputs.slim,
    exclude: inputs.exclude,
    leftOut: wheels.flatMap(w => w.leftOut)
  })
  if (kept.length === 0) throw emptyLayer(inputs, installed.length + own.length)
  const size = measureEntries(kept)
  assertWithinLimit(size)
  const warning = nearLimitWarning(size)
  if (warning) core.warning(warning)
  core.info(
    `${plural(kept.length, 'file')}, ${formatBytes(size.totalBytes)} unzipped, from ${plural(wheels.length, 'wheel')}` +
      (own.length > 0 ? ` and 'include'` : '')
  )
  return {
    entries: kept,
    wheels: wheelhouse.wheels.map(w => path.basename(w.file)),
    cache: wheelhouse.cache,
    slim,
    size
  }
}

/** A layer of no file is no layer: say why it came out empty. */
function emptyLayer(inputs: ActionInputs, before: number): LayerActionError {
  const requirements = path.relative(inputs.workspace, inputs.requirements) || inputs.requirements
  const why =
    before > 0
      ? `every one of its ${plural(before, 'file')} was left out by 'slim' and 'exclude'`
      : `${requirements} installs no package and 'include' names no path`
  return new LayerActionError(
    `Nothing to put in the layer: ${why}. Add a requirement or an 'include' path (or loosen 'exclude').`
  )
}

/**
 * One entry per path. The same path from two wheels with the same bytes (the `__init__.py` of a
 * pkgutil-style namespace package) is one entry. With different bytes, pip lets the wheel it
 * installs last win without a word; here it is a warning naming both distributions, and the wheel
 * whose file name sorts last wins, so every run keeps the same copy. A warning, not an error: such
 * layers work today (opencv-python beside opencv-python-headless), and the user may not control it.
 */
export function mergeWheels(wheels: readonly WheelContent[]): LayerEntry[] {
  const byPath = new Map<string, LayerEntry>()
  const clashes = new Map<string, string[]>()
  const ordered = [...wheels].sort((a, b) =>
    a.distribution.wheel < b.distribution.wheel
      ? -1
      : a.distribution.wheel > b.distribution.wheel
        ? 1
        : 0
  )
  for (const w of ordered) {
    for (const e of w.entries) {
      const before = byPath.get(e.path)
      byPath.set(e.path, e)
      if (!before || sameBytes(before, e)) continue
      const pair = `${label(before)} and ${label(e)}`
      clashes.set(pair, [...(clashes.get(pair) ?? []), e.path])
    }
  }
  for (const [pair, paths] of clashes) {
    const winner = pair.split(' and ')[1]
    core.warning(
      `${pair} both write ${plural(paths.length, 'file')} with different content under python/ ` +
        `(${paths.slice(0, 3).join(', ')}${paths.length > 3 ? ', …' : ''}): the layer keeps ${winner}'s, ` +
        'as pip keeps the one it installs last. Drop one of the two from the requirements if they are alternatives.'
    )
  }
  return [...byPath.values()]
}

function label(e: LayerEntry): string {
  return e.owner ? `${e.owner.name} ${e.owner.version}` : e.path
}

function sameBytes(a: LayerEntry, b: LayerEntry): boolean {
  if (a.size !== b.size) return false
  if (a.source.kind === 'wheel' && b.source.kind === 'wheel')
    return a.source.entry.crc >>> 0 === b.source.entry.crc >>> 0
  if (a.source.kind === 'bytes' && b.source.kind === 'bytes')
    return a.source.data.equals(b.source.data)
  return false
}
