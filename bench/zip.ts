// The zip step alone: our zipLayer against the plain "read + deflate every file on the threadpool"
// figure, `zip -r9`, `zip -r6` and adm-zip, on one realistic layer tree.
//
//   node --import tsx bench/zip.ts [--runs 5] [--level 6] [--tree <dir holding python/> | --generated]
//
// The tree is built once and cached under .tmp/bench/layer-tree: where the machine's wheel mirror
// exists (/opt/pypi/simple) it is a real `pip install -t` of boto3, pandas, numpy, lxml, sqlalchemy,
// pydantic and pillow for CPython 3.11 (about 175 MB); elsewhere, or with --generated, a generated
// tree of the same order of size (.tmp/bench/generated-tree).
// Every method runs in its own child process (so peak RSS is per method), in alternating order.
// UV_THREADPOOL_SIZE, when set, is passed to the Node children.
import { spawnSync } from 'node:child_process'
import { existsSync, promises as fs, statSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import zlib from 'node:zlib'
import { zipLayer } from '../src/assemble/zip'
import { mb, median } from './stats'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const CACHE = path.join(ROOT, '.tmp', 'bench')
const MIRROR = '/opt/pypi/simple'
const MIRROR_MORE = '/opt/pypi-more/simple'
export const BENCH_PACKAGES = [
  'boto3',
  'pandas',
  'numpy',
  'lxml',
  'sqlalchemy',
  'pydantic',
  'pillow'
]

const METHODS = ['ours', 'threadpool', 'zip -r9', 'zip -r6', 'adm-zip'] as const
type Method = (typeof METHODS)[number] | 'idle'

interface Sample {
  seconds: number
  maxRssBytes: number
  zipSize: number
  sha256?: string
}

// ---- the child side: one method, one measurement, a JSON line on stdout ----

async function child(method: Method, tree: string, out: string, level: number): Promise<void> {
  const start = performance.now()
  let zipSize = 0
  let sha256: string | undefined
  if (method === 'ours') {
    const r = await zipLayer(tree, out, { level })
    zipSize = r.zipSize
    sha256 = r.sha256Hex
  } else if (method === 'threadpool') {
    zipSize = await threadpoolBaseline(path.join(tree, 'python'), level)
  } else if (method === 'adm-zip') {
    const { default: AdmZip } = await import('adm-zip')
    const zip = new AdmZip()
    zip.addLocalFolder(path.join(tree, 'python'), 'python')
    zip.writeZip(out)
    zipSize = (await fs.stat(out)).size
  } else if (method !== 'idle') {
    throw new Error(`the child runs node methods only, not ${method}`)
  }
  const seconds = (performance.now() - start) / 1000
  const sample: Sample = {
    seconds,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    zipSize,
    sha256
  }
  process.stdout.write(`${JSON.stringify(sample)}\n`)
}

/** The floor to compare with: read and deflate every file on the threadpool, write nothing. */
async function threadpoolBaseline(dir: string, level: number): Promise<number> {
  const files: string[] = []
  const walk = async (d: string) => {
    for (const e of await fs.readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name)
      if (e.isDirectory()) await walk(p)
      else files.push(p)
    }
  }
  await walk(dir)
  let next = 0
  let compressed = 0
  const worker = async () => {
    while (next < files.length) {
      const data = await fs.readFile(files[next++])
      const out = await new Promise<Buffer>((resolve, reject) =>
        zlib.deflateRaw(data, { level }, (e, r) => (e ? reject(e) : resolve(r)))
      )
      compressed += out.length
    }
  }
  await Promise.all(Array.from({ length: 32 }, worker))
  return compressed
}

// ---- the parent side ----

function hermeticPipEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PIP_')) env[k] = v
  env.PIP_CONFIG_FILE = '/dev/null'
  env.PIP_DISABLE_PIP_VERSION_CHECK = '1'
  return env
}

async function treeSize(dir: string): Promise<{ bytes: number; files: number }> {
  let bytes = 0
  let files = 0
  const walk = async (d: string) => {
    for (const e of await fs.readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name)
      if (e.isDirectory()) await walk(p)
      else {
        bytes += (await fs.stat(p)).size
        files++
      }
    }
  }
  await walk(dir)
  return { bytes, files }
}

/** The cached benchmark tree: real wheels where the mirror exists, generated content elsewhere. */
export async function benchTree(generated = false): Promise<{ dir: string; kind: string }> {
  const mirror = !generated && existsSync(MIRROR)
  const dir = path.join(CACHE, mirror ? 'layer-tree' : 'generated-tree')
  const kind = mirror ? `pip install ${BENCH_PACKAGES.join(' ')} (CPython 3.11)` : 'generated'
  if (existsSync(path.join(dir, '.complete'))) return { dir, kind }
  await fs.rm(dir, { recursive: true, force: true })
  const partial = `${dir}.partial`
  await fs.rm(partial, { recursive: true, force: true })
  await fs.mkdir(partial, { recursive: true })
  if (mirror) {
    console.log(`building the tree: ${kind} …`)
    const args = ['-m', 'pip', 'install', '--quiet', '--no-compile', '--only-binary=:all:']
    args.push('--index-url', `file://${MIRROR}`)
    if (existsSync(MIRROR_MORE)) args.push('--extra-index-url', `file://${MIRROR_MORE}`)
    args.push('-t', path.join(partial, 'python'), ...BENCH_PACKAGES)
    const r = spawnSync('python3.11', args, { env: hermeticPipEnv(), stdio: 'inherit' })
    if (r.status !== 0) throw new Error(`pip install for the bench tree failed (exit ${r.status})`)
  } else {
    console.log('no wheel mirror here: generating a tree of realistic size …')
    await generateTree(path.join(partial, 'python'))
  }
  await fs.writeFile(path.join(partial, '.complete'), '')
  await fs.rename(partial, dir)
  return { dir, kind }
}

/** About 230 MB in 8,000 files: Python sources, shared libraries, already-compressed data. */
async function generateTree(python: string): Promise<void> {
  let seed = 0x5eed
  const random = () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const words = 'def class self return import from if else for in while None True False try except'
    .split(' ')
    .concat(Array.from({ length: 200 }, (_, i) => `name_${i.toString(36)}`))
  const source = (bytes: number) => {
    const lines: string[] = []
    let n = 0
    while (n < bytes) {
      const line = `${'    '.repeat(Math.floor(random() * 3))}${Array.from(
        { length: 3 + Math.floor(random() * 8) },
        () => words[Math.floor(random() * words.length)]
      ).join(' ')}\n`
      lines.push(line)
      n += line.length
    }
    return lines.join('')
  }
  // machine code compresses about 2.5:1: random bytes from a skewed alphabet, with repeats
  const binary = (bytes: number) => {
    const b = Buffer.allocUnsafe(bytes)
    for (let i = 0; i < bytes; i++)
      b[i] = random() < 0.4 ? 0 : Math.floor(random() * random() * 256)
    return b
  }
  const noise = (bytes: number) => {
    const b = Buffer.allocUnsafe(bytes)
    for (let i = 0; i < bytes; i++) b[i] = Math.floor(random() * 256)
    return b
  }
  for (let p = 0; p < 24; p++) {
    const pkg = path.join(python, `pkg${p}`)
    for (let d = 0; d < 12; d++) {
      const dir = path.join(pkg, `sub${d}`)
      await fs.mkdir(dir, { recursive: true })
      for (let f = 0; f < 26; f++)
        await fs.writeFile(
          path.join(dir, `mod${f}.py`),
          source(Math.floor(random() * random() * 60000))
        )
    }
    for (let s = 0; s < 3; s++)
      await fs.writeFile(
        path.join(pkg, `_ext${s}.cpython-311-x86_64-linux-gnu.so`),
        binary(Math.floor(200_000 + random() * random() * 6_000_000))
      )
    await fs.writeFile(path.join(pkg, 'logo.png'), noise(Math.floor(random() * 400_000)))
    const info = path.join(python, `pkg${p}-1.0.dist-info`)
    await fs.mkdir(info, { recursive: true })
    await fs.writeFile(
      path.join(info, 'METADATA'),
      `Metadata-Version: 2.1\nName: pkg${p}\nVersion: 1.0\n`
    )
    await fs.writeFile(path.join(info, 'RECORD'), source(20000))
  }
}

/** This file as plain JavaScript, so the children's peak RSS is node's, not node's plus tsx's. */
let childScript = ''

function runChild(method: Method, tree: string, out: string, level: number): Sample {
  if (method === 'zip -r9' || method === 'zip -r6') {
    // python measures the zip process: wall time and its peak RSS (RUSAGE_CHILDREN)
    const script = [
      'import json, resource, subprocess, sys, time',
      't = time.perf_counter()',
      'subprocess.run(sys.argv[2:], cwd=sys.argv[1], check=True)',
      's = time.perf_counter() - t',
      'print(json.dumps({"seconds": s, "maxRssBytes": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024}))'
    ].join('\n')
    const flag = method === 'zip -r9' ? '-r9' : '-r6'
    const r = spawnSync('python3', ['-c', script, tree, 'zip', flag, '-X', '-q', out, 'python'], {
      encoding: 'utf8'
    })
    if (r.status !== 0) throw new Error(`${method} failed: ${r.stderr}`)
    return { ...(JSON.parse(r.stdout) as Sample), zipSize: statSync(out).size }
  }
  const args = [childScript, '--child', method, '--tree', tree, '--out', out]
  const r = spawnSync(process.execPath, [...args, '--level', String(level)], {
    encoding: 'utf8',
    cwd: ROOT
  })
  if (r.status !== 0) throw new Error(`${method} failed (exit ${r.status}): ${r.stderr}`)
  return JSON.parse(r.stdout.trim().split('\n').pop() as string) as Sample
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      child: { type: 'string' },
      tree: { type: 'string' },
      out: { type: 'string' },
      runs: { type: 'string', default: '5' },
      level: { type: 'string', default: '6' },
      generated: { type: 'boolean', default: false }
    }
  })
  const level = Number(values.level)
  if (values.child) {
    await child(values.child as Method, values.tree as string, values.out as string, level)
    return
  }
  const runs = Number(values.runs)
  const { plainJs } = await import('./plain')
  childScript = plainJs(ROOT, fileURLToPath(import.meta.url), path.join(CACHE, 'js'))
  const { dir: tree, kind } = values.tree
    ? { dir: values.tree, kind: 'given' }
    : await benchTree(values.generated)
  const size = await treeSize(path.join(tree, 'python'))
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'layer-bench-zip-'))
  console.log(`tree: ${tree} (${kind}): ${mb(size.bytes)} in ${size.files} files`)
  console.log(
    `node ${process.version}, ${os.availableParallelism()} cores, UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? '(default 4)'}, level ${level}, ${runs} runs each, alternating\n`
  )
  const samples = new Map<Method, Sample[]>(METHODS.map(m => [m, []]))
  const idle: Sample[] = []
  try {
    for (let run = 0; run < runs; run++) {
      idle.push(runChild('idle', tree, path.join(work, 'idle.zip'), level))
      // rotate the order so no method always runs first (cold caches) or last
      const order = METHODS.map((_, i) => METHODS[(i + run) % METHODS.length])
      for (const m of order) {
        const out = path.join(work, `${m.replace(/\W+/g, '-')}.zip`)
        await fs.rm(out, { force: true })
        const s = runChild(m, tree, out, level)
        ;(samples.get(m) as Sample[]).push(s)
        process.stdout.write(`run ${run + 1} ${m.padEnd(10)} ${s.seconds.toFixed(2)} s\n`)
      }
    }
  } finally {
    await fs.rm(work, { recursive: true, force: true })
  }
  const row = (m: Method) => {
    const s = samples.get(m) as Sample[]
    return {
      seconds: median(s.map(x => x.seconds)),
      min: Math.min(...s.map(x => x.seconds)),
      rss: median(s.map(x => x.maxRssBytes)),
      zip: s[0].zipSize
    }
  }
  console.log(
    `\n${'method'.padEnd(12)}${'median'.padStart(9)}${'min'.padStart(9)}${'zip size'.padStart(12)}${'peak RSS'.padStart(12)}`
  )
  for (const m of METHODS) {
    const r = row(m)
    const zip = m === 'threadpool' ? `(${mb(r.zip)})` : mb(r.zip)
    console.log(
      `${m.padEnd(12)}${`${r.seconds.toFixed(2)} s`.padStart(9)}${`${r.min.toFixed(2)} s`.padStart(9)}${zip.padStart(12)}${mb(r.rss).padStart(12)}`
    )
  }
  const idleRss = median(idle.map(x => x.maxRssBytes))
  console.log(
    `${'node idle'.padEnd(12)}${''.padStart(30)}${mb(idleRss).padStart(12)}  (the floor: a child that loads this bench and exits)`
  )
  const ours = row('ours')
  const hashes = new Set((samples.get('ours') as Sample[]).map(s => s.sha256))
  console.log(
    `\nours / threadpool baseline: ${(ours.seconds / row('threadpool').seconds).toFixed(2)}× (target ≤ 1.3)`
  )
  console.log(`ours / zip -r9:             ${(ours.seconds / row('zip -r9').seconds).toFixed(2)}×`)
  console.log(`ours / zip -r6:             ${(ours.seconds / row('zip -r6').seconds).toFixed(2)}×`)
  console.log(`ours / adm-zip:             ${(ours.seconds / row('adm-zip').seconds).toFixed(2)}×`)
  console.log(`ours zip size / zip -r9:    ${(ours.zip / row('zip -r9').zip).toFixed(3)}`)
  console.log(
    `ours peak / tree size:      ${(ours.rss / size.bytes).toFixed(2)} (${((ours.rss - idleRss) / size.bytes).toFixed(2)} above node's idle)`
  )
  console.log(
    `ours byte-identical across runs: ${hashes.size === 1 ? 'yes' : `NO (${hashes.size} different)`}`
  )
}

await main()
