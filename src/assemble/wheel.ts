/**
 * A wheel → the layer entries `pip install --target` would create, read from its central directory
 * without extracting anything. Every file of the wheel goes to the same path under python/, except:
 * `<name>.data/purelib/…` and `<name>.data/platlib/…` go to the root (as pip installs them);
 * `<name>.data/scripts|headers|data/…` are left out (pip installs them outside site-packages);
 * `*.dist-info/INSTALLER` names this action; REQUESTED is written as pip writes it for a pinned
 * install. RECORD is the wheel's own, as shipped, except in a wheel with a `.data` directory, whose
 * RECORD is rewritten to the paths the files take in the layer (the entries left out are dropped).
 * pip also lists INSTALLER and REQUESTED in RECORD; this layer's RECORD does not: keeping the wheel's
 * RECORD lets its compressed bytes be copied, and nothing on Lambda reads RECORD.
 */
import fs from 'node:fs'
import path from 'node:path'
import { LayerActionError } from '../errors'
import { readCentralDirectory, readEntry, type CentralEntry } from '../zip/reader'
import type { Distribution, LayerEntry, LeftOutEntry } from './entries'

/** The name the INSTALLER file of every distribution in the layer holds (pip writes `pip`). */
export const INSTALLER = 'layer-action'

/** A wheel that cannot go into a layer: an entry outside python/, no dist-info, a damaged zip. */
export class WheelError extends LayerActionError {}

export interface WheelContent {
  readonly distribution: Distribution
  readonly entries: LayerEntry[]
  readonly leftOut: LeftOutEntry[]
}

const DIST_INFO = /^([^/]+)-([^/-]+)\.dist-info\/METADATA$/
const INSTALLED_SCHEMES = new Set(['purelib', 'platlib'])

/** Refuses a name that would land outside python/ (absolute, `..`); normalises `./` and `//`. */
function layerPath(name: string, wheel: string): string {
  const segments = name.split('/').filter(s => s !== '' && s !== '.')
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name) || segments.includes('..')) {
    throw new WheelError(
      `The wheel ${wheel} holds an entry '${name}' that would be written outside python/: ` +
        'pip refuses to install it, and so does this action. Use another version of that package or report it to its maintainers.'
    )
  }
  return segments.join('/')
}

export async function wheelContent(file: string): Promise<WheelContent> {
  const wheel = path.basename(file)
  const fd = fs.openSync(file, 'r')
  try {
    const central = readCentralDirectory(fd, wheel)
    const meta = central.map(e => DIST_INFO.exec(e.name)).find(m => m !== null)
    if (!meta)
      throw new WheelError(`The wheel ${wheel} has no *.dist-info/METADATA: it is not a wheel`)
    const distribution: Distribution = { name: meta[1], version: meta[2], wheel }
    const distInfo = `${meta[1]}-${meta[2]}.dist-info`
    const dataDir = `${meta[1]}-${meta[2]}.data/`
    const hasData = central.some(e => e.name.startsWith(dataDir))
    const entries: LayerEntry[] = []
    const leftOut: LeftOutEntry[] = []
    const moved = new Map<string, string | undefined>()
    let record: CentralEntry | undefined
    for (const e of central) {
      if (e.name.endsWith('/')) continue // directories come from the files' paths
      let target = layerPath(e.name, wheel)
      if (e.name.startsWith(dataDir)) {
        const [scheme, ...rest] = target.slice(dataDir.length).split('/')
        if (!INSTALLED_SCHEMES.has(scheme) || rest.length === 0) {
          leftOut.push({ name: e.name, size: e.size, owner: distribution })
          moved.set(target, undefined)
          continue
        }
        moved.set(target, rest.join('/'))
        target = rest.join('/')
      }
      if (target === `${distInfo}/INSTALLER` || target === `${distInfo}/REQUESTED`) continue
      if (target === `${distInfo}/RECORD` && hasData) {
        record = e
        continue
      }
      entries.push({
        path: target,
        size: e.size,
        executable: ((e.mode ?? 0) & 0o111) !== 0,
        source: { kind: 'wheel', wheel: file, entry: e },
        owner: distribution
      })
    }
    const written = (name: string, data: Buffer): LayerEntry => ({
      path: `${distInfo}/${name}`,
      size: data.length,
      executable: false,
      source: { kind: 'bytes', data },
      owner: distribution
    })
    entries.push(written('INSTALLER', Buffer.from(`${INSTALLER}\n`)))
    // pip writes REQUESTED for every distribution named on its command line: all of them, pinned
    entries.push(written('REQUESTED', Buffer.alloc(0)))
    if (record) {
      const text = (await readEntry(fd, record, wheel)).toString('utf8')
      entries.push(written('RECORD', Buffer.from(rewriteRecord(text, moved))))
    }
    return { distribution, entries, leftOut }
  } finally {
    fs.closeSync(fd)
  }
}

/** RECORD with each moved path replaced by where it lies now, and the lines of files left out dropped. */
function rewriteRecord(text: string, moved: ReadonlyMap<string, string | undefined>): string {
  const lines: string[] = []
  for (const line of text.split(/\r?\n/)) {
    if (!line) continue
    const [field, rest] = splitFirstCsvField(line)
    const normalised = field
      .split('/')
      .filter(s => s !== '' && s !== '.')
      .join('/')
    if (!moved.has(normalised)) {
      lines.push(line)
      continue
    }
    const to = moved.get(normalised)
    if (to !== undefined)
      lines.push(`${/[",\r\n]/.test(to) ? `"${to.replace(/"/g, '""')}"` : to}${rest}`)
  }
  return lines.map(l => `${l}\n`).join('')
}

/** `"a,b",x,1` → [`a,b`, `,x,1`] */
function splitFirstCsvField(line: string): [string, string] {
  if (!line.startsWith('"')) {
    const comma = line.indexOf(',')
    return comma < 0 ? [line, ''] : [line.slice(0, comma), line.slice(comma)]
  }
  let field = ''
  let i = 1
  for (; i < line.length; i++) {
    if (line[i] === '"') {
      if (line[i + 1] !== '"') break
      i++
    }
    field += line[i]
  }
  return [field, line.slice(i + 1)]
}
