/**
 * The Lambda Python runtimes: which Amazon Linux each runs on, its glibc, and AWS's deprecation
 * schedule (RUNTIME_TABLE_URL, as of RUNTIME_TABLE_READ). Python 3.8 to 3.11 run on Amazon Linux 2
 * (glibc 2.26); 3.12 and later on Amazon Linux 2023 (glibc 2.34). Deprecation dates follow the OS or
 * the language, whichever ends first. python3.8 and python3.9 are deprecated but still accepted by
 * PublishLayerVersion (and functions on them still run): they build, with a warning.
 */

export type Architecture = 'x86_64' | 'arm64'
export const ARCHITECTURES: readonly Architecture[] = ['x86_64', 'arm64']

export interface Runtime {
  /** `3.12` */
  readonly version: string
  /**
   * `3.12.12`: the patch level the runtime carried when this table was written, for
   * `python_full_version` markers. AWS patches runtimes in place, so this trails the live one.
   */
  readonly fullVersion: string
  /** `python3.12`, as Lambda names it in CompatibleRuntimes */
  readonly identifier: string
  /** `cp312`: the CPython ABI tag of its wheels */
  readonly abi: string
  readonly os: 'Amazon Linux 2' | 'Amazon Linux 2023'
  /** [major, minor] of the runtime's glibc */
  readonly glibc: readonly [number, number]
  /** ISO dates (UTC) from AWS's runtime table */
  readonly deprecation: string
  readonly blockFunctionCreate: string
  readonly blockFunctionUpdate: string
}

const AL2 = { os: 'Amazon Linux 2', glibc: [2, 26] } as const
const AL2023 = { os: 'Amazon Linux 2023', glibc: [2, 34] } as const

function runtime(
  fullVersion: string,
  linux: typeof AL2 | typeof AL2023,
  deprecation: string,
  blockFunctionCreate: string,
  blockFunctionUpdate: string
): Runtime {
  const version = fullVersion.split('.').slice(0, 2).join('.')
  return Object.freeze({
    version,
    fullVersion,
    identifier: `python${version}`,
    abi: `cp${version.replace('.', '')}`,
    ...linux,
    deprecation,
    blockFunctionCreate,
    blockFunctionUpdate
  })
}

/**
 * Dates as AWS's table gives them: "Deprecation date", "Block function create", "Block function
 * update". Taken from cfn-lint's copy of that table (aws-cloudformation/cfn-lint,
 * src/cfnlint/data/AdditionalSpecs/LmbdRuntimeLifecycle.json at afd7953, "Update Lambda runtime
 * lifecycle dates from AWS docs", 2026-06-02), which agrees with AWS's note that python3.9's blocks
 * moved into 2027. 3.8 and 3.9 carry the last CPython release of their line, the most their runtime
 * can have had.
 */
export const RUNTIMES: readonly Runtime[] = Object.freeze([
  runtime('3.8.20', AL2, '2024-10-14', '2027-02-01', '2027-03-03'),
  runtime('3.9.25', AL2, '2025-12-15', '2027-02-01', '2027-03-03'),
  runtime('3.10.18', AL2, '2026-10-31', '2027-02-01', '2027-03-03'),
  runtime('3.11.13', AL2, '2027-06-30', '2027-07-31', '2027-08-31'),
  runtime('3.12.12', AL2023, '2028-10-31', '2028-11-30', '2029-01-10'),
  runtime('3.13.9', AL2023, '2029-06-30', '2029-07-31', '2029-08-31'),
  runtime('3.14.0', AL2023, '2029-06-30', '2029-07-31', '2029-08-31')
])

export const DEFAULT_PYTHON_VERSION = '3.12'

/** Where AWS announces runtime deprecation dates, and the date of the copy the table above was read from. */
export const RUNTIME_TABLE_READ = '2026-06'
export const RUNTIME_TABLE_URL =
  'https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html#runtimes-supported'

export function findRuntime(version: string): Runtime | undefined {
  return RUNTIMES.find(r => r.version === version)
}

export type RuntimeStatus = 'supported' | 'deprecated' | 'blocked'

/**
 * Where a runtime stands by the dates AWS announced: `deprecated`, no more patches; `blocked`, no
 * function can be created on it or updated any more. Both are warnings (inputs.ts): the dates move,
 * and PublishLayerVersion takes a deprecated runtime.
 */
export function runtimeStatus(r: Runtime, today: Date = new Date()): RuntimeStatus {
  const day = today.toISOString().slice(0, 10)
  if (day >= r.blockFunctionUpdate) return 'blocked'
  if (day >= r.deprecation) return 'deprecated'
  return 'supported'
}

/** The machine name wheels use for a Lambda architecture. */
export function wheelMachine(architecture: Architecture): 'x86_64' | 'aarch64' {
  return architecture === 'arm64' ? 'aarch64' : 'x86_64'
}

/**
 * Every platform tag a wheel may carry and still load on the runtime, best first: one
 * `manylinux_2_<n>` per glibc minor the runtime has (pip does not expand these itself when given
 * `--platform`), each followed by its legacy alias (PEP 600). x86_64 goes down to glibc 2.5, other
 * machines to 2.17, as pip's own tag list does.
 */
export function platformTags(r: Runtime, architecture: Architecture): string[] {
  const machine = wheelMachine(architecture)
  const [major, newest] = r.glibc
  const oldest = machine === 'x86_64' ? 5 : 17
  const legacy: Record<number, string> =
    machine === 'x86_64'
      ? { 17: 'manylinux2014', 12: 'manylinux2010', 5: 'manylinux1' }
      : { 17: 'manylinux2014' }
  const tags: string[] = []
  for (let minor = newest; minor >= oldest; minor--) {
    tags.push(`manylinux_${major}_${minor}_${machine}`)
    if (legacy[minor]) tags.push(`${legacy[minor]}_${machine}`)
  }
  return tags
}

/**
 * The PEP 508 marker environment of the Lambda runtime on an architecture: what
 * `platform.machine()`, `sys.platform` … answer inside the function. Every marker in
 * requirements, lock files and wheel metadata is evaluated against this, never the runner.
 */
export interface MarkerEnvironment {
  readonly implementation_name: 'cpython'
  readonly implementation_version: string
  readonly os_name: 'posix'
  readonly platform_machine: 'x86_64' | 'aarch64'
  readonly platform_python_implementation: 'CPython'
  readonly platform_release: string
  readonly platform_system: 'Linux'
  readonly platform_version: string
  readonly python_full_version: string
  readonly python_version: string
  readonly sys_platform: 'linux'
}

export function markerEnvironment(r: Runtime, architecture: Architecture): MarkerEnvironment {
  return Object.freeze({
    implementation_name: 'cpython',
    implementation_version: r.fullVersion,
    os_name: 'posix',
    platform_machine: wheelMachine(architecture),
    platform_python_implementation: 'CPython',
    // the kernel's release and build string vary by host: no layer should depend on them
    platform_release: '',
    platform_system: 'Linux',
    platform_version: '',
    python_full_version: r.fullVersion,
    python_version: r.version,
    sys_platform: 'linux'
  })
}
