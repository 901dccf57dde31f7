/**
 * requirements, pyproject.toml or a lock → the pinned set: every distribution of the layer, pinned
 * for the Lambda target (name, version, the one file with its hash, why it is there). Nothing is
 * downloaded here but the metadata pip reads; fetch/ gets the files.
 */
import * as core from '@actions/core'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import type { ActionInputs } from '../inputs'
import type { Plan } from '../plan'
import { markerEnvironment } from '../runtimes'
import { pipNetworkOfRun } from '../proxies'
import { Redactor, pipRedactor, withoutUserInfo } from '../credentials'
import { PIP_PYTHON, pipOptionValues } from '../python/pip'
import { logIndex, type PipOptions } from './pip'
import { describeMarkerEnvironment } from './pip-target'
import { writePyprojectRequirements } from './pyproject'
import { pinnedFromResolution, resolveWithSources } from './sources'
import { isLock } from './formats'
import { pinnedFromLock } from './locks'
import { allowedRoots } from './paths'
import type { PinnedSet } from './pinned'

export interface ResolveOptions {
  /** the index for the run: `index-url`, or CodeArtifact's (effectiveIndexUrl) */
  readonly indexUrl: string
  /** the environment pip runs in (default: process.env) */
  readonly env?: NodeJS.ProcessEnv
  /** the interpreter that runs pip (default: python3) */
  readonly python?: string
}

/** Any input → the pinned set for the target. */
export async function resolvePinnedSet(
  inputs: ActionInputs,
  plan: Plan,
  o: ResolveOptions
): Promise<PinnedSet> {
  const display = path.relative(inputs.workspace, inputs.requirements) || inputs.requirements
  const env = o.env ?? process.env
  core.info(
    `markers evaluated for ${describeMarkerEnvironment(inputs.runtime, inputs.architecture)}`
  )
  const target = { runtime: inputs.runtime, architecture: inputs.architecture }
  if (isLock(inputs.requirementsFormat)) {
    if (o.indexUrl)
      logIndex({ indexUrl: o.indexUrl, redactor: pipRedactor({ indexUrl: o.indexUrl }) })
    const text = await readFile(inputs.requirements, 'utf8')
    const pinned = pinnedFromLock(
      {
        file: inputs.requirements,
        display,
        text,
        extras: inputs.extras,
        groups: inputs.groups,
        env: markerEnvironment(inputs.runtime, inputs.architecture),
        indexUrl: o.indexUrl,
        environ: env
      },
      inputs.requirementsFormat,
      { target, buildSdists: inputs.buildSdists, roots: allowedRoots(inputs.workspace, env) }
    )
    // credentials a lock names for its sources (Poetry, Pipenv) are masked before anything prints them
    new Redactor(pinned.entries.map(e => e.index ?? '')).register()
    core.info(`Installing exactly as locked: ${pinned.summary}`)
    for (const note of pinned.notes) core.notice(note)
    for (const line of pinned.skipped) core.info(`  left out ${line}`)
    return { entries: pinned.entries, skipped: pinned.skipped, summary: pinned.summary }
  }

  // pip's proxy, wherever it is set, is masked before pip prints a line (the read is the fetch's too)
  await pipNetworkOfRun(env)

  // pyproject.toml: its dependencies, extras and groups become a requirements file pip resolves as any other
  const fromPyproject =
    inputs.requirementsFormat === 'pyproject'
      ? await writePyprojectRequirements(inputs.requirements, {
          display,
          extras: inputs.extras,
          groups: inputs.groups,
          dir: plan.workDir,
          python: inputs.runtime
        })
      : undefined
  if (fromPyproject) {
    core.info(
      `${display}: ${fromPyproject.requirements.length} requirement(s) for pip (the project itself is not installed): ${fromPyproject.requirements.join(', ') || 'none'}`
    )
    if (fromPyproject.requirements.length === 0)
      return { entries: [], skipped: [], summary: `${display}: no requirements` }
  }
  const pip: PipOptions = {
    requirements: fromPyproject?.file ?? inputs.requirements,
    display,
    wheelhouse: path.join(plan.workDir, 'pip'),
    runtime: inputs.runtime,
    architecture: inputs.architecture,
    python: o.python ?? PIP_PYTHON,
    indexUrl: o.indexUrl || undefined,
    pipArgs: inputs.pipArgs,
    env,
    cwd: inputs.workspace,
    keep: plan.wheelhouse
  }
  logIndex({ indexUrl: pip.indexUrl, redactor: pipRedactor(pip) })
  const { items, built, via } = await resolveWithSources({
    pip,
    buildSdists: inputs.buildSdists,
    workDir: plan.workDir,
    workspace: inputs.workspace
  })
  const entries = await pinnedFromResolution(items, built, {
    env: markerEnvironment(inputs.runtime, inputs.architecture),
    indexFor: indexFor(pip)
  })
  for (const b of built)
    core.info(
      `Built from source on the runner: ${b.name} ${b.version} from ${b.from} (${b.origin})`
    )
  const summary = `${display}: ${entries.length} distribution(s) for ${plan.runtimeLabel}, resolved by pip (${via === 'report' ? 'install --dry-run --report' : 'download, a pip before 22.2'})`
  core.info(`${summary}: ${entries.map(e => `${e.name} ${e.version}`).join(', ')}`)
  return { entries, skipped: [], summary }
}

/**
 * The index a file came from, when the action knows it with its credentials (`index-url`,
 * `--index-url`/`--extra-index-url` in pip-args, PIP_INDEX_URL, PIP_EXTRA_INDEX_URL): the one on
 * the file's host, so fetch can send them. pip prints no credentials in its report.
 */
function indexFor(pip: PipOptions): (url: string) => string | undefined {
  const env = pip.env ?? process.env
  const known = [
    pip.indexUrl ?? '',
    ...pipOptionValues(pip.pipArgs, ['--index-url', '-i', '--extra-index-url']),
    env.PIP_INDEX_URL ?? '',
    ...(env.PIP_EXTRA_INDEX_URL ?? '').split(/\s+/)
  ].filter(u => /^https?:\/\//i.test(u))
  const hostOf = (u: string): string => {
    try {
      return new URL(withoutUserInfo(u)).host
    } catch {
      return ''
    }
  }
  return url => {
    const host = hostOf(url)
    return known.find(k => host !== '' && hostOf(k) === host)
  }
}

/** index-url, or the CodeArtifact repository's URL with a fresh token (masked before it is returned). */
export async function effectiveIndexUrl(inputs: ActionInputs): Promise<string> {
  if (!inputs.codeartifact) return inputs.indexUrl
  // the CodeArtifact client (the AWS SDK) loads only for a run that names a repository
  const { codeArtifactIndexUrl, createCodeArtifactClient } = await import('./codeartifact')
  const client = createCodeArtifactClient({ region: inputs.regions[0] })
  try {
    return await codeArtifactIndexUrl(client, inputs.codeartifact)
  } finally {
    client.destroy()
  }
}
