/**
 * pip's resolution with what pip cannot take for another platform built on the runner: local
 * packages named in the requirements (built first, then named by their wheel), and requirements the
 * index has only as source (built on demand, then offered to pip with --find-links). Only
 * pure-Python builds are taken (python/build.ts says why).
 */
import * as core from '@actions/core'
import { mkdir, mkdtemp, readdir } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { MarkerEnvironment } from '../runtimes'
import { pipRedactor } from '../credentials'
import type { ProjectListing } from '../python/index-page'
import { assertPure, buildSourceWheel, type BuiltWheel } from '../python/build'
import { pipFailureLines, runPip } from '../python/pip'
import { describeTarget, parseDistributionFile } from '../python/wheel-tags'
import { findLocalPackages, rewriteRequirements } from './local-packages'
import { resolveReport, type PipOptions } from './pip'
import { NoCompatibleWheelError } from './pip-errors'
import { pinnedFromReport, type ReportItem } from './pip-report'
import { sha256File } from '../digests'
import { downloadedItems } from './pip-download'
import type { PinnedEntry } from './pinned'

/** A wheel of the layer that was built on the runner, for the log and the job summary. */
export interface BuiltSource {
  readonly name: string
  readonly version: string
  /** the sdist's file name, or the local path as the requirements name it (relative to the workspace) */
  readonly from: string
  readonly origin: 'sdist' | 'local'
  /** the wheel's file name */
  readonly wheel: string
}

export interface SourceResolveOptions {
  readonly pip: PipOptions
  /** `pure`: an sdist-only requirement is built and taken when pure; `never`: refused by name */
  readonly buildSdists: 'pure' | 'never'
  /** this run's scratch folder: built wheels and the rewritten requirements go here */
  readonly workDir: string
  readonly workspace: string
}

/** Each source build takes a round of pip; a dependency chain of sdists longer than this is a loop. */
export const MAX_SOURCE_BUILDS = 25

/**
 * pip's resolution for the target, with what pip cannot take for another platform built on the
 * runner first (local packages) or on demand (a requirement the index has only as an sdist), each
 * taken only when its wheel is pure Python. The built wheels are pinned by their `file:` URL.
 */
export async function resolveWithSources(
  o: SourceResolveOptions
): Promise<{ items: ReportItem[]; built: BuiltSource[]; via: 'report' | 'download' }> {
  const { pip } = o
  const target = { runtime: pip.runtime, architecture: pip.architecture }
  const cwd = pip.cwd ?? process.cwd()
  const build = (source: string, outDir: string, label: string): Promise<BuiltWheel> =>
    buildSourceWheel({
      source,
      outDir,
      python: pip.python,
      env: pip.env,
      indexUrl: pip.indexUrl,
      pipArgs: pip.pipArgs,
      target,
      label
    })
  const built: BuiltSource[] = []

  let requirements = pip.requirements
  const tree = await findLocalPackages(pip.requirements, {
    cwd,
    workspace: o.workspace,
    env: pip.env
  })
  if (tree.locals.length > 0) {
    const wheels = new Map<string, BuiltWheel>()
    for (const local of tree.locals) {
      if (wheels.has(local.source)) continue
      const from = path.relative(o.workspace, local.source) || '.'
      const wheel = await build(local.source, path.join(o.workDir, 'local-wheels'), from)
      assertPure(wheel, { from, target })
      wheels.set(local.source, wheel)
      built.push({ ...sourceOf(wheel), from, origin: 'local' })
    }
    requirements = await rewriteRequirements(tree, wheels, {
      outDir: path.join(o.workDir, 'requirements'),
      cwd,
      env: pip.env
    })
    core.info(
      `Local packages built into wheels (installed as normal packages, not editable): ${built
        .map(b => `${b.from} → ${b.wheel}`)
        .join(', ')}`
    )
  }

  const sdistWheels = path.join(o.workDir, 'sdist-wheels')
  const tried = new Set<string>()
  for (;;) {
    const round: PipOptions = {
      ...pip,
      requirements,
      findLinks: built.some(b => b.origin === 'sdist') ? [sdistWheels] : undefined
    }
    try {
      const report = await resolveReport(round)
      if (report !== 'no-report') return { items: report, built, via: 'report' }
      core.info(
        `${pip.python}'s pip has no --dry-run --report (pip 22.2 and later): downloading the wheels to read what it resolved`
      )
      return { items: await downloadedItems(round), built, via: 'download' }
    } catch (error: unknown) {
      if (!(error instanceof NoCompatibleWheelError)) throw error
      const sdists = sdistsOnly(error.listings)
      if (sdists === 'compiled') throw error
      if (o.buildSdists === 'never') {
        if (sdists.length === 0) throw error
        throw refusedNever(error, sdists)
      }
      const listed = error.listings.some(l => l.files !== undefined)
      if (listed && sdists.length === 0) throw error
      if (tried.has(error.project) || tried.size >= MAX_SOURCE_BUILDS) throw error
      tried.add(error.project)
      const sdist = await downloadSdist(pip, error.requirement, error.project, o.workDir)
      if (!sdist) throw error
      core.info(
        `${error.project} has no wheel for ${describeTarget(target)}, only a source distribution: building ${path.basename(sdist)} on the runner (build-sdists: pure takes it when the wheel is pure Python)`
      )
      const wheel = await build(sdist, sdistWheels, path.basename(sdist))
      assertPure(wheel, { from: path.basename(sdist), target })
      built.push({ ...sourceOf(wheel), from: path.basename(sdist), origin: 'sdist' })
    }
  }
}

/**
 * The pinned entries of pip's resolution: each file by its URL and hashes, each wheel built on the
 * runner by its `file:` URL, its SHA-256 and what it was built from.
 */
export async function pinnedFromResolution(
  items: readonly ReportItem[],
  built: readonly BuiltSource[],
  o: { env: MarkerEnvironment; indexFor: (url: string) => string | undefined }
): Promise<PinnedEntry[]> {
  const entries = pinnedFromReport(items, o)
  return Promise.all(
    entries.map(async entry => {
      const a = entry.artifact
      if (a.kind !== 'file' || !a.url?.startsWith('file:')) return entry
      const from = built.find(b => b.wheel === a.filename)
      const hashes = a.hashes.sha256?.length
        ? a.hashes
        : { ...a.hashes, sha256: [await sha256File(fileURLToPath(a.url))] }
      return {
        ...entry,
        artifact: {
          ...a,
          hashes,
          ...(from ? { builtFrom: { origin: from.origin, from: from.from } } : {})
        }
      }
    })
  )
}

function sourceOf(wheel: BuiltWheel): { name: string; version: string; wheel: string } {
  return { name: wheel.name, version: wheel.version, wheel: path.basename(wheel.file) }
}

/**
 * The sdists the indexes list for a project whose wheels (if any) are all pure; `compiled` when
 * some wheel is platform-specific: then the project compiles code, and building its sdist would
 * take long only to be refused. An unreadable listing gives [] (building is still worth a try).
 */
function sdistsOnly(listings: readonly ProjectListing[]): string[] | 'compiled' {
  const files = listings.flatMap(l => l.files ?? []).map(f => parseDistributionFile(f))
  if (files.some(f => f?.kind === 'wheel' && f.tags.some(t => t.platform !== 'any')))
    return 'compiled'
  return files.filter(f => f?.kind === 'sdist').map(f => (f as { filename: string }).filename)
}

function refusedNever(error: NoCompatibleWheelError, sdists: readonly string[]): Error {
  const shown = sdists.slice(0, 3).join(', ') + (sdists.length > 3 ? ', …' : '')
  return new NoCompatibleWheelError(
    `${error.message}\n${error.project} is there as source (${shown}) and build-sdists is 'never', ` +
      'so no build backend runs. Set build-sdists: pure (the default) to build it on the runner; the layer ' +
      'then takes it when the wheel is pure Python (py3-none-any).',
    error.project,
    error.requirement,
    error.runtime,
    error.architecture,
    error.listings
  )
}

/**
 * `pip download --no-deps --no-binary <project>`: the sdist pip would pick for the requirement,
 * without platform flags (pip refuses sdists with them). Undefined when there is none to take.
 */
async function downloadSdist(
  pip: PipOptions,
  requirement: string,
  project: string,
  workDir: string
): Promise<string | undefined> {
  const redactor = pipRedactor(pip)
  await mkdir(path.join(workDir, 'sdists'), { recursive: true })
  const dir = await mkdtemp(path.join(workDir, 'sdists', `${project}-`))
  const args = [
    'download',
    '--no-deps',
    '--no-binary',
    project,
    // the version whose Requires-Python admits the target, not the runner (allowed with --no-deps)
    '--python-version',
    pip.runtime.fullVersion,
    '-d',
    dir,
    '--no-input',
    '--disable-pip-version-check',
    ...(pip.indexUrl ? ['--index-url', pip.indexUrl] : []),
    ...pip.pipArgs,
    requirement
  ]
  const result = await runPip({
    python: pip.python,
    argv: ['-m', 'pip', ...args],
    shown: `-m pip ${args.join(' ')}`,
    env: pip.env,
    cwd: pip.cwd,
    redactor,
    levelOf: line => (/^(Saved|ERROR)/.test(line) ? 'info' : 'debug')
  })
  if (result.code !== 0) {
    core.info(
      `No source distribution of ${requirement} to build either:\n${pipFailureLines(result, redactor)}`
    )
    return undefined
  }
  const sdist = (await readdir(dir)).find(f => parseDistributionFile(f)?.kind === 'sdist')
  return sdist ? path.join(dir, sdist) : undefined
}
