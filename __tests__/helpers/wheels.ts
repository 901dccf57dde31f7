/**
 * Real wheels and a real PEP 503 index for tests: pip must resolve, download and install them
 * exactly as it would from PyPI, so each wheel is complete (METADATA, WHEEL, RECORD with hashes,
 * top_level.txt) and the index is served over HTTP on loopback.
 */
import AdmZip from 'adm-zip'
import { createHash, randomBytes } from 'node:crypto'
import { promises as fs } from 'node:fs'
import * as http from 'node:http'
import type { AddressInfo } from 'node:net'
import * as path from 'node:path'
import * as zlib from 'node:zlib'

export interface WheelSpec {
  /** distribution name as written in requirements, e.g. `my-pkg` */
  name: string
  version: string
  /** `{python tag}-{abi tag}-{platform tag}`, compressed sets allowed: `py3-none-any`, `cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64` */
  tags: string
  /** files inside the wheel (path → content); default: `<name_>/__init__.py` */
  modules?: Record<string, string | Buffer>
  /** Requires-Dist lines, e.g. `other>=1.0` */
  requires?: string[]
  /** adds an incompressible `<name_>/_payload.bin` of this many bytes */
  sizeBytes?: number
  /** the Requires-Python field, e.g. `>=3.12.5` */
  requiresPython?: string
  /** files under `<name>-<version>.data/` (`purelib/x.py`, `scripts/tool`, …) */
  data?: Record<string, string>
  /** the dist-info's entry_points.txt */
  entryPoints?: string
  /** files stored in the wheel without compression */
  stored?: string[]
  /** more METADATA header lines, e.g. `License-Expression: MIT` or `Classifier: …` */
  metadata?: string[]
}

export interface BuiltWheel {
  path: string
  filename: string
}

/** PEP 503 normalised project name: `My_Pkg.x` → `my-pkg-x`. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-')
}

/** The form a name takes inside wheel file and dist-info names (PEP 427). */
function escapedName(name: string): string {
  return name.replace(/[-_.]+/g, '_')
}

function recordHash(data: Buffer): string {
  return 'sha256=' + createHash('sha256').update(data).digest('base64url')
}

export async function makeWheel(dir: string, spec: WheelSpec): Promise<BuiltWheel> {
  const dist = escapedName(spec.name)
  const pkg = dist.toLowerCase()
  const filename = `${dist}-${spec.version}-${spec.tags}.whl`
  const [pyTags, abiTags, platTags] = spec.tags.split('-')
  const pure = platTags === 'any'
  const distInfo = `${dist}-${spec.version}.dist-info`

  const files = new Map<string, Buffer>()
  const modules = spec.modules ?? { [`${pkg}/__init__.py`]: `__version__ = '${spec.version}'\n` }
  for (const [file, content] of Object.entries(modules)) files.set(file, Buffer.from(content))
  if (spec.sizeBytes) files.set(`${pkg}/_payload.bin`, randomBytes(spec.sizeBytes))
  for (const [file, content] of Object.entries(spec.data ?? {}))
    files.set(`${dist}-${spec.version}.data/${file}`, Buffer.from(content))

  const topLevel = [...new Set([...files.keys()].map(f => f.split('/')[0].replace(/\..*$/, '')))]
  const metadata = [
    'Metadata-Version: 2.1',
    `Name: ${spec.name}`,
    `Version: ${spec.version}`,
    ...(spec.requiresPython ? [`Requires-Python: ${spec.requiresPython}`] : []),
    ...(spec.metadata ?? []),
    ...(spec.requires ?? []).map(r => `Requires-Dist: ${r}`),
    ''
  ].join('\n')
  const tagLines = pyTags
    .split('.')
    .flatMap(py =>
      abiTags.split('.').flatMap(abi => platTags.split('.').map(p => `Tag: ${py}-${abi}-${p}`))
    )
  const wheel = [
    'Wheel-Version: 1.0',
    'Generator: layer-action-tests',
    `Root-Is-Purelib: ${pure}`,
    ...tagLines,
    ''
  ].join('\n')
  files.set(`${distInfo}/METADATA`, Buffer.from(metadata))
  files.set(`${distInfo}/WHEEL`, Buffer.from(wheel))
  files.set(`${distInfo}/top_level.txt`, Buffer.from(topLevel.join('\n') + '\n'))
  if (spec.entryPoints) files.set(`${distInfo}/entry_points.txt`, Buffer.from(spec.entryPoints))

  const record = [...files].map(([f, data]) => `${f},${recordHash(data)},${data.length}`)
  record.push(`${distInfo}/RECORD,,`)
  files.set(`${distInfo}/RECORD`, Buffer.from(record.join('\n') + '\n'))

  const zip = new AdmZip()
  for (const [file, data] of files) {
    zip.addFile(file, data)
    if (spec.stored?.includes(file)) (zip.getEntry(file) as AdmZip.IZipEntry).header.method = 0
  }
  await fs.mkdir(dir, { recursive: true })
  const wheelPath = path.join(dir, filename)
  await fs.writeFile(wheelPath, zip.toBuffer())
  return { path: wheelPath, filename }
}

/** A source distribution pip would have to build (it never will with --only-binary): an empty tar.gz. */
export async function makeSdist(dir: string, name: string, version: string): Promise<BuiltWheel> {
  const filename = `${escapedName(name).toLowerCase()}-${version}.tar.gz`
  await fs.mkdir(dir, { recursive: true })
  const sdistPath = path.join(dir, filename)
  await fs.writeFile(sdistPath, zlib.gzipSync(Buffer.alloc(1024)))
  return { path: sdistPath, filename }
}

/** The project a distribution file belongs to, from its file name. */
function projectOf(filename: string): string {
  if (filename.endsWith('.whl')) return normalizeName(filename.split('-')[0])
  return normalizeName(filename.replace(/\.(tar\.gz|zip)$/, '').replace(/-[^-]+$/, ''))
}

function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
}

/**
 * Writes `<root>/simple/index.html`, `<root>/simple/<project>/index.html` and copies the files to
 * `<root>/files/`. Call again with more files to add them (projects are re-listed from disk).
 */
export async function makeIndex(
  root: string,
  files: readonly (string | BuiltWheel)[]
): Promise<void> {
  const filesDir = path.join(root, 'files')
  await fs.mkdir(filesDir, { recursive: true })
  for (const file of files) {
    const source = typeof file === 'string' ? file : file.path
    await fs.copyFile(source, path.join(filesDir, path.basename(source)))
  }
  const byProject = new Map<string, string[]>()
  for (const name of (await fs.readdir(filesDir)).sort()) {
    const project = projectOf(name)
    byProject.set(project, [...(byProject.get(project) ?? []), name])
  }
  const simple = path.join(root, 'simple')
  await fs.mkdir(simple, { recursive: true })
  const page = (links: string[]): string =>
    `<!DOCTYPE html>\n<html><body>\n${links.join('<br/>\n')}\n</body></html>\n`
  await fs.writeFile(
    path.join(simple, 'index.html'),
    page([...byProject.keys()].map(p => `<a href="${p}/">${escapeHtml(p)}</a>`))
  )
  for (const [project, names] of byProject) {
    const links: string[] = []
    for (const name of names) {
      const digest = createHash('sha256')
        .update(await fs.readFile(path.join(filesDir, name)))
        .digest('hex')
      links.push(
        `<a href="../../files/${encodeURIComponent(name)}#sha256=${digest}">${escapeHtml(name)}</a>`
      )
    }
    await fs.mkdir(path.join(simple, project), { recursive: true })
    await fs.writeFile(path.join(simple, project, 'index.html'), page(links))
  }
}

export interface ServedIndex {
  /** `http://127.0.0.1:<port>/simple/` (with `user:password@` when auth is required) */
  url: string
  /** the same URL without credentials */
  plainUrl: string
  /** every request path served, for assertions */
  requests: string[]
  close(): Promise<void>
}

/** Serves `root` (as written by makeIndex) on 127.0.0.1, optionally behind HTTP basic auth. */
export async function serveIndex(
  root: string,
  options: { auth?: { username: string; password: string } } = {}
): Promise<ServedIndex> {
  const requests: string[] = []
  const expected = options.auth
    ? 'Basic ' + Buffer.from(`${options.auth.username}:${options.auth.password}`).toString('base64')
    : undefined
  const server = http.createServer((req, res) => {
    void (async () => {
      const urlPath = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)
      requests.push(urlPath)
      if (expected && req.headers.authorization !== expected) {
        res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="index"' }).end('unauthorized')
        return
      }
      let file = path.join(root, path.normalize(urlPath))
      if (!file.startsWith(path.resolve(root))) {
        res.writeHead(403).end()
        return
      }
      try {
        if ((await fs.stat(file)).isDirectory()) file = path.join(file, 'index.html')
        const body = await fs.readFile(file)
        const type = file.endsWith('.html') ? 'text/html' : 'application/octet-stream'
        res.writeHead(200, { 'Content-Type': type, 'Content-Length': body.length }).end(body)
      } catch {
        res.writeHead(404).end('not found')
      }
    })()
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const plainUrl = `http://127.0.0.1:${port}/simple/`
  const url = options.auth
    ? `http://${encodeURIComponent(options.auth.username)}:${encodeURIComponent(options.auth.password)}@127.0.0.1:${port}/simple/`
    : plainUrl
  return {
    url,
    plainUrl,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close(error => (error ? reject(error) : resolve()))
      })
  }
}

/** What to change in one entry of a built wheel, in both its central and its local header. */
export interface EntryPatch {
  /** the CRC-32 both headers declare */
  crc?: number
  /** the uncompressed size both headers declare */
  size?: number
  /** the compression method (8: deflate) */
  method?: number
  /** a new name of the same length, as raw bytes (e.g. CP437) */
  name?: Buffer
  /** the general purpose flags, from the old ones */
  flags?: (old: number) => number
  /** changes the entry's compressed bytes in place */
  data?: (compressed: Buffer) => void
}

/**
 * Damages or disguises one entry of a wheel in place, as a broken disk, a bad mirror or an attacker
 * would serve it: the zip structure stays readable, only what the entry declares or holds changes.
 * Field offsets from APPNOTE 4.3.7 (local header) and 4.3.12 (central directory header).
 */
export async function patchWheel(file: string, entry: string, patch: EntryPatch): Promise<void> {
  const zip = await fs.readFile(file)
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]))
  let p = zip.readUInt32LE(eocd + 16)
  const count = zip.readUInt16LE(eocd + 10)
  for (let i = 0; i < count; i++) {
    const nameLength = zip.readUInt16LE(p + 28)
    const next = p + 46 + nameLength + zip.readUInt16LE(p + 30) + zip.readUInt16LE(p + 32)
    if (zip.toString('latin1', p + 46, p + 46 + nameLength) === entry) {
      const local = zip.readUInt32LE(p + 42)
      const set = (central: number, localAt: number, write: (at: number) => void) => {
        write(p + central)
        write(local + localAt)
      }
      if (patch.crc !== undefined) set(16, 14, at => zip.writeUInt32LE(patch.crc! >>> 0, at))
      if (patch.size !== undefined) set(24, 22, at => zip.writeUInt32LE(patch.size!, at))
      if (patch.method !== undefined) set(10, 8, at => zip.writeUInt16LE(patch.method!, at))
      if (patch.flags)
        set(8, 6, at => zip.writeUInt16LE(patch.flags!(zip.readUInt16LE(at)) & 0xffff, at))
      if (patch.name) {
        if (patch.name.length !== nameLength) throw new Error('a patched name keeps its length')
        set(46, 30, at => patch.name!.copy(zip, at))
      }
      if (patch.data) {
        const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28)
        patch.data(zip.subarray(start, start + zip.readUInt32LE(p + 20)))
      }
      await fs.writeFile(file, zip)
      return
    }
    p = next
  }
  throw new Error(`${file} has no entry ${entry}`)
}

/**
 * `bytes` zero bytes as a raw deflate stream, and their CRC-32, made a megabyte at a time: a 300 MB
 * bomb costs its 300 KB stream, never 300 MB of memory.
 */
export async function deflatedZeros(bytes: number): Promise<{ stream: Buffer; crc: number }> {
  const chunk = Buffer.alloc(1 << 20)
  const deflate = zlib.createDeflateRaw({ level: 9 })
  const out: Buffer[] = []
  deflate.on('data', (b: Buffer) => out.push(b))
  let crc = 0
  for (let left = bytes; left > 0; left -= chunk.length) {
    const piece = chunk.subarray(0, Math.min(chunk.length, left))
    crc = zlib.crc32(piece, crc)
    if (!deflate.write(piece)) await new Promise(resolve => deflate.once('drain', resolve))
  }
  await new Promise(resolve => deflate.end(resolve))
  return { stream: Buffer.concat(out), crc }
}

/**
 * A wheel whose `<pkg>/_bomb.bin` declares `declared` bytes and inflates to `real` zero bytes: the
 * stream is stored by makeWheel, then relabelled as deflated with the small size.
 */
export async function makeBombWheel(
  dir: string,
  spec: WheelSpec,
  o: { real: number; declared: number }
): Promise<BuiltWheel> {
  const bomb = `${escapedName(spec.name).toLowerCase()}/_bomb.bin`
  const { stream, crc } = await deflatedZeros(o.real)
  const wheel = await makeWheel(dir, {
    ...spec,
    modules: {
      ...(spec.modules ?? { [`${escapedName(spec.name).toLowerCase()}/__init__.py`]: '' }),
      [bomb]: stream
    },
    stored: [...(spec.stored ?? []), bomb]
  })
  await patchWheel(wheel.path, bomb, { method: 8, size: o.declared, crc })
  return wheel
}
