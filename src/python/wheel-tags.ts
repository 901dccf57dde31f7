/**
 * Which Lambda runtimes would load a given distribution file: the same tag rules pip applies with
 * the target arguments of pipTargetArgs(), used to explain a failed resolution.
 */
import {
  ARCHITECTURES,
  RUNTIMES,
  platformTags,
  wheelMachine,
  type Architecture,
  type Runtime
} from '../runtimes'
import { normalizeProject } from './names'

export interface Tag {
  python: string
  abi: string
  platform: string
}

export interface DistributionFile {
  filename: string
  /** PEP 503 normalised project name */
  project: string
  version: string
  kind: 'wheel' | 'sdist'
  /** every tag of a wheel (compressed tag sets expanded); empty for an sdist */
  tags: Tag[]
}

export interface Target {
  runtime: Runtime
  architecture: Architecture
}

const SDIST = /^(.+)-([^-]+?)\.(tar\.gz|tar\.bz2|tar\.xz|zip|tgz|tar)$/i

/** Parses `name-ver(-build)?-py-abi-plat.whl` and `name-ver.tar.gz`; undefined for anything else. */
export function parseDistributionFile(filename: string): DistributionFile | undefined {
  if (filename.endsWith('.whl')) {
    const parts = filename.slice(0, -4).split('-')
    if (parts.length !== 5 && parts.length !== 6) return undefined
    const [name, version] = parts
    const [pys, abis, plats] = parts.slice(-3)
    const tags = pys
      .split('.')
      .flatMap(python =>
        abis
          .split('.')
          .flatMap(abi => plats.split('.').map(platform => ({ python, abi, platform })))
      )
    return { filename, project: normalizeProject(name), version, kind: 'wheel', tags }
  }
  const sdist = SDIST.exec(filename)
  if (!sdist) return undefined
  return {
    filename,
    project: normalizeProject(sdist[1]),
    version: sdist[2],
    kind: 'sdist',
    tags: []
  }
}

function minorOf(runtime: Runtime): number {
  return Number(runtime.version.split('.')[1])
}

/** Mirrors packaging.tags.cpython_tags + compatible_tags for `--implementation cp` on Linux. */
function tagAccepted(tag: Tag, runtime: Runtime, platforms: readonly string[]): boolean {
  const minor = minorOf(runtime)
  const any = tag.platform === 'any'
  if (!any && !platforms.includes(tag.platform)) return false
  const cp = /^cp3(\d+)$/.exec(tag.python)
  if (cp) {
    const m = Number(cp[1])
    if (m === minor)
      return any ? tag.abi === 'none' : ['abi3', 'none', runtime.abi].includes(tag.abi)
    // abi3 wheels built for an older CPython 3 load on newer ones
    return !any && m < minor && m >= 2 && tag.abi === 'abi3'
  }
  const py = /^py3(\d*)$/.exec(tag.python)
  if (py) return tag.abi === 'none' && (py[1] === '' || Number(py[1]) <= minor)
  return false
}

/** Whether the runtime's glibc and machine load this platform tag (`any` always). */
export function platformAccepted(target: Target, platform: string): boolean {
  return platform === 'any' || platformTags(target.runtime, target.architecture).includes(platform)
}

export function accepts(target: Target, file: DistributionFile): boolean {
  if (file.kind !== 'wheel') return false
  const platforms = platformTags(target.runtime, target.architecture)
  return file.tags.some(t => tagAccepted(t, target.runtime, platforms))
}

/** Every (runtime, architecture) of the table that would load this file, oldest runtime first. */
export function targetsAccepting(file: DistributionFile): Target[] {
  return RUNTIMES.flatMap(runtime =>
    ARCHITECTURES.filter(architecture => accepts({ runtime, architecture }, file)).map(
      architecture => ({
        runtime,
        architecture
      })
    )
  )
}

/** `python3.12+` when the list runs to the newest runtime, else `python3.10, python3.11`. */
function describeRuntimes(runtimes: readonly Runtime[]): string {
  const first = RUNTIMES.indexOf(runtimes[0])
  const contiguousToNewest =
    runtimes.length > 1 &&
    first + runtimes.length === RUNTIMES.length &&
    runtimes.every((r, i) => RUNTIMES[first + i] === r)
  if (contiguousToNewest) return `${runtimes[0].identifier}+`
  return runtimes.map(r => r.identifier).join(', ')
}

/** `python3.12+ (x86_64)`, `python3.10+ (x86_64, arm64)`, `python3.12 (arm64); python3.13 (x86_64)` or `no Lambda runtime`. */
export function describeTargets(targets: readonly Target[]): string {
  if (targets.length === 0) return 'no Lambda runtime'
  const byArch = ARCHITECTURES.map(a => ({
    architecture: a,
    runtimes: RUNTIMES.filter(r => targets.some(t => t.runtime === r && t.architecture === a))
  })).filter(g => g.runtimes.length > 0)
  const texts = byArch.map(g => describeRuntimes(g.runtimes))
  if (byArch.length === 2 && texts[0] === texts[1])
    return `${texts[0]} (${ARCHITECTURES.join(', ')})`
  return byArch.map((g, i) => `${texts[i]} (${g.architecture})`).join('; ')
}

/** `python3.11 (Amazon Linux 2, glibc 2.26, x86_64)` */
export function describeTarget(target: Target): string {
  const r = target.runtime
  return `${r.identifier} (${r.os}, glibc ${r.glibc.join('.')}, ${wheelMachine(target.architecture)})`
}

/**
 * The tags the target accepts, best first, in the order pip prefers them (packaging.tags:
 * cpython_tags then compatible_tags): cp3XY-cp3XY, cp3XY-abi3, cp3XY-none on each platform (best
 * platform first), older cp3X-abi3, then py3X-none on each platform, cp3XY-none-any, py3X-none-any.
 */
export function tagPriority(target: Target): string[] {
  const platforms = platformTags(target.runtime, target.architecture)
  const minor = minorOf(target.runtime)
  const cp = target.runtime.abi
  const tags: string[] = []
  const each = (python: string, abi: string): void => {
    for (const p of platforms) tags.push(`${python}-${abi}-${p}`)
  }
  each(cp, cp)
  each(cp, 'abi3')
  each(cp, 'none')
  for (let m = minor - 1; m >= 2; m--) each(`cp3${m}`, 'abi3')
  // packaging's _py_interpreter_range: py3XY, py3, then py3X for older minors
  const pys = [
    `py3${minor}`,
    'py3',
    ...Array.from({ length: minor }, (_v, i) => `py3${minor - 1 - i}`)
  ]
  for (const py of pys) each(py, 'none')
  tags.push(`${cp}-none-any`)
  for (const py of pys) tags.push(`${py}-none-any`)
  return tags
}

/**
 * How much the target prefers this wheel: 0 is best; undefined when it cannot load it. Among the
 * wheels of one locked version, the lowest rank is the one pip would have installed.
 */
export function wheelRank(
  target: Target,
  file: DistributionFile,
  priority = tagPriority(target)
): number | undefined {
  if (file.kind !== 'wheel') return undefined
  let best: number | undefined
  for (const t of file.tags) {
    const i = priority.indexOf(`${t.python}-${t.abi}-${t.platform}`)
    if (i >= 0 && (best === undefined || i < best)) best = i
  }
  return best
}
