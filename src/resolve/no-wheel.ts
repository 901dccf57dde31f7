/**
 * The explanation a user gets when pip finds no wheel the target runtime can load: which files do
 * exist, which runtimes would take them, and what to change.
 */
import { RUNTIMES, wheelMachine } from '../runtimes'
import type { ProjectListing } from '../python/index-page'
import {
  accepts,
  describeTarget,
  describeTargets,
  parseDistributionFile,
  platformAccepted,
  targetsAccepting,
  type DistributionFile,
  type Target
} from '../python/wheel-tags'
import { compareVersions } from '../python/pep440'

const MAX_FILES = 10

export interface NoWheelFacts {
  /** the requirement pip reported, e.g. `toonew==2.0` */
  requirement: string
  /** the package that requires it, when it is a dependency */
  requiredBy?: string
  /** pip's own explanations worth passing on (versions skipped for their Requires-Python) */
  pipNotes?: readonly string[]
  project: string
  target: Target
  listings: readonly ProjectListing[]
  /** the version comes from a lock file (named here), not from pip's resolver */
  lock?: string
  /** for a package the user did not ask for: the chain from their requirement, `['matplotlib 3.9.2', 'contourpy 1.3.1']` */
  chain?: readonly string[]
  /** the requirement the user wrote that pulls it in, and where it is written */
  direct?: { name: string; where?: string }
}

function newestFirst(files: DistributionFile[]): DistributionFile[] {
  return [...files].sort(
    (a, b) =>
      compareVersions(b.version, a.version) ||
      (a.kind === b.kind ? a.filename.localeCompare(b.filename) : a.kind === 'wheel' ? -1 : 1)
  )
}

function fileLine(file: DistributionFile): string {
  if (file.kind === 'sdist') return `  ${file.filename}: source only`
  return `  ${file.filename}: ${describeTargets(targetsAccepting(file))}`
}

function listFiles(files: DistributionFile[], where: string): string[] {
  const shown = newestFirst(files).slice(0, MAX_FILES)
  const lines = [`Files for it on ${where} (newest first):`, ...shown.map(fileLine)]
  if (files.length > shown.length) lines.push(`  … and ${files.length - shown.length} older files`)
  return lines
}

/** The advice sentence for wheels that exist but do not fit the target. */
function advice(project: string, target: Target, wheels: DistributionFile[]): string {
  const machine = wheelMachine(target.architecture)
  const fitting = wheels.filter(w => accepts(target, w))
  if (fitting.length > 0) {
    const versions = [...new Set(newestFirst(fitting).map(w => w.version))].slice(0, 5)
    const which =
      versions.length === 1 ? `Version ${versions[0]}` : `Versions ${versions.join(', ')}`
    return (
      `${which} of ${project} ${versions.length === 1 ? 'has' : 'have'} wheels for ${target.runtime.identifier}, ` +
      'so something else rules them out: the version asked for, a constraint, another ' +
      "package's requirement, or their Requires-Python. Pin one of those versions, or relax the pin."
    )
  }
  const others = wheels.flatMap(targetsAccepting)
  const platformFits = wheels.filter(w => w.tags.some(t => platformAccepted(target, t.platform)))
  const fixes: string[] = []
  const sameArch = RUNTIMES.filter(r =>
    others.some(t => t.runtime === r && t.architecture === target.architecture)
  )
  const newer = sameArch.filter(r => compareVersions(r.version, target.runtime.version) > 0)
  const suggested = newer[0] ?? sameArch.at(-1)
  if (suggested) fixes.push(`set python-version: '${suggested.version}'`)
  if (others.some(t => t.runtime === target.runtime && t.architecture !== target.architecture)) {
    fixes.push(`set architecture: ${target.architecture === 'arm64' ? 'x86_64' : 'arm64'}`)
  }
  const accepted = describeTargets(others)
  if (platformFits.length > 0) {
    // the platform is right, the Python (ABI) is not
    const pythons = [
      ...new Set(platformFits.flatMap(w => w.tags.map(t => `${t.python}-${t.abi}`)))
    ].slice(0, 4)
    fixes.push(`pin a version of ${project} that has ${target.runtime.abi} or abi3 wheels`)
    return `Its wheels for this platform are built for other Pythons (${pythons.join(', ')}; ${accepted} accept these): ${fixes.join(', or ')}.`
  }
  const forMachine = [
    ...new Set(
      wheels
        .flatMap(w => w.tags.map(t => t.platform))
        .filter(p => p.startsWith('manylinux') && p.endsWith(`_${machine}`))
    )
  ]
  if (forMachine.length > 0) {
    fixes.push(`pin an older version of ${project} that has manylinux2014 wheels (glibc 2.17)`)
    const shown = forMachine.slice(0, 3).join(', ') + (forMachine.length > 3 ? ', …' : '')
    return `Only wheels for a newer glibc than ${target.runtime.glibc.join('.')} exist (${shown}; ${accepted} accept these): ${fixes.join(', or ')}.`
  }
  const platforms = [...new Set(wheels.flatMap(w => w.tags.map(t => t.platform)))]
  const list = (tags: string[]): string =>
    tags.slice(0, 4).join(', ') + (tags.length > 4 ? ', …' : '')
  fixes.push(`pin a version of ${project} that publishes manylinux wheels for ${machine}`)
  const otherMachine = platforms.filter(p => p.startsWith('manylinux'))
  if (otherMachine.length > 0) {
    return `Its Linux wheels are for another machine than ${machine} (${list(otherMachine)}; ${accepted} accept these): ${fixes.join(', or ')}.`
  }
  return (
    `None of its wheels is a manylinux wheel (${list(platforms)}): Lambda runs glibc Linux, so ` +
    `musllinux, macOS and Windows wheels cannot load there. ${capitalize(fixes.join(', or '))}.`
  )
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}

/** Which of the user's requirements to change, for a package they did not ask for. */
function directAdvice(facts: NoWheelFacts): string[] {
  if (!facts.direct || !facts.chain) return []
  const { name, where } = facts.direct
  const via = facts.chain.length > 2 ? ` (through ${facts.chain.slice(1, -1).join(' → ')})` : ''
  return [
    `To change: ${name} is the requirement you wrote${where ? ` (${where})` : ''} that pulls in ${facts.project}${via}. ` +
      `Pin a version of ${name} whose dependencies have wheels for ${describeTarget(facts.target)}, or drop ${name}; ` +
      `or pin ${facts.project} yourself to a version that has such a wheel.`
  ]
}

/** The whole message: headline, the files that exist (at most ten), and what to do. */
export function explainNoWheel(facts: NoWheelFacts): string {
  const lines = explainLines(facts)
  return [...lines, ...directAdvice(facts)].join('\n')
}

function explainLines(facts: NoWheelFacts): string[] {
  const { project, target, listings } = facts
  const matching =
    facts.requirement && facts.requirement !== project ? ` matching '${facts.requirement}'` : ''
  const by = facts.chain
    ? ` (not asked for: it comes in through ${facts.chain.join(' → ')})`
    : facts.requiredBy
      ? ` (required by ${facts.requiredBy})`
      : ''
  const headline = facts.lock
    ? `No wheel of '${project}'${by} fits ${describeTarget(target)}: ${facts.lock} locks '${facts.requirement}', ` +
      'and none of its wheels can load on this runtime (a Lambda layer needs prebuilt wheels).'
    : `No wheel of '${project}'${by} fits ${describeTarget(target)}: pip found no version${matching} ` +
      'with a wheel this runtime can load (a Lambda layer needs prebuilt wheels; pip builds none for ' +
      'another platform).'
  const lines = [headline, ...(facts.pipNotes ?? []).map(note => `pip: ${note}`)]
  const readable = listings.filter(l => l.files !== undefined)
  if (readable.length === 0) {
    if (listings.length > 0 && listings.every(l => /^HTTP 40[13]$/.test(l.problem ?? ''))) {
      // pip reports an index that refuses it as a missing distribution: say what it really is
      lines.push(
        `${listings.map(l => `${l.url} answered ${l.problem}`).join('; ')}: the index refused the credentials. ` +
          "Check the token in 'index-url' (or in pip's configuration); with 'codeartifact-domain', the job's role " +
          'needs codeartifact:ReadFromRepository on the repository.'
      )
    } else if (listings.length > 0 && listings.every(l => l.notFound)) {
      lines.push(
        `'${project}' is not on ${listings.map(l => l.url).join(' nor ')}: check its name in the requirements, ` +
          "and the 'index-url' / 'pip-args' inputs if it comes from a private index."
      )
    } else {
      const why = listings.map(l => `${l.url}: ${l.problem ?? 'unreadable'}`).join('; ')
      lines.push(
        `Could not list the files that do exist for it (${why || 'no index to read'}); ` +
          `look for a wheel tagged manylinux…_${wheelMachine(target.architecture)} and ` +
          `${target.runtime.abi}, abi3 or py3 on the index.`
      )
    }
    return lines
  }
  const seen = new Set<string>()
  const files: DistributionFile[] = []
  for (const listing of readable) {
    for (const name of listing.files ?? []) {
      const file = parseDistributionFile(name)
      if (file && !seen.has(name)) {
        seen.add(name)
        files.push(file)
      }
    }
  }
  const where = readable.map(l => l.url).join(' and ')
  if (files.length === 0) {
    lines.push(`${where} lists no files for it.`)
    return lines
  }
  lines.push(...listFiles(files, where))
  const wheels = files.filter(f => f.kind === 'wheel')
  if (wheels.length === 0) {
    lines.push(
      `${project} publishes only source distributions there: Lambda needs a prebuilt wheel, and pip will not ` +
        `build one for another platform. Build a wheel on Amazon Linux (for instance \`pip wheel\` in the ` +
        `public.ecr.aws/lambda/python:${target.runtime.version} image) and serve it from your index, ` +
        `or pick a version of ${project} that ships wheels.`
    )
  } else {
    lines.push(advice(project, target, wheels))
  }
  return lines
}
