// The smoke test alone, on the 18-package set's layer (or any folder of wheels): where the extraction's
// time goes, the imports one after another in one interpreter (as before) against one interpreter per
// core, what 4 cores would give, and a rebuild whose verdict is cached (a loopback Actions cache).
//
//   node --import tsx bench/smoke.ts [--wheels <dir of .whl>] [--runs 3] [--workers 1,2,4]
//
// Without --wheels, the wheels are fetched once from the machine's mirror (/opt/pypi/simple) into
// .tmp/bench/wheels-smoke with pip download (CPython 3.11, x86_64, the target's platform tags).
import fs, { existsSync, promises as fsp } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import zlib from 'node:zlib'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import type { LayerEntry } from '../src/assemble/entries'
import { extractLayer } from '../src/assemble/extract'
import { mergeWheels } from '../src/assemble/layer'
import { slimEntries } from '../src/assemble/slim'
import { wheelContent } from '../src/assemble/wheel'
import { findRuntime, type Runtime } from '../src/runtimes'
import { importModules, workerCount, type ImportTiming } from '../src/smoke/imports'
import { findInterpreter } from '../src/smoke/interpreter'
import { entriesForImport, moduleWeights, topLevelModules } from '../src/smoke/modules'
import { smokeTestLayer } from '../src/smoke/smoke'
import { startCacheServer } from '../__tests__/helpers/cache-server'
import { captureLog } from '../__tests__/helpers/log'
import { mb, median } from './stats'
import { downloadWheels } from './wheels'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const REQUIREMENTS =
  'boto3 pandas numpy requests beautifulsoup4 lxml sqlalchemy psycopg2-binary pydantic jsonschema ' +
  'structlog python-dateutil pytz bcrypt Jinja2 PyYAML python-dotenv Pillow'
const runtime = findRuntime('3.11') as Runtime
const seconds = (since: number) => (performance.now() - since) / 1000

/** The action's own log lines (info, debug, the cache library's) are swallowed; the bench's are printed. */
let quiet = captureLog()
function say(line = ''): void {
  quiet.restore()
  console.log(line)
  quiet = captureLog()
}

function fetchWheels(dir: string): void {
  if (existsSync(dir) && fs.readdirSync(dir).some(f => f.endsWith('.whl'))) return
  downloadWheels(dir, REQUIREMENTS.split(' '), runtime)
}

async function layerEntries(wheels: string): Promise<LayerEntry[]> {
  const files = (await fsp.readdir(wheels)).filter(f => f.endsWith('.whl')).sort()
  const contents = await Promise.all(files.map(f => wheelContent(path.join(wheels, f))))
  return slimEntries(mergeWheels(contents), { slim: true, exclude: [] }).kept
}

/** The extraction's parts, one after another on one thread: directories, reading, inflating, writing. */
function extractionParts(entries: readonly LayerEntry[], dir: string) {
  fs.rmSync(dir, { recursive: true, force: true })
  let t = performance.now()
  for (const d of new Set(entries.map(e => path.posix.dirname(e.path))))
    fs.mkdirSync(path.join(dir, 'python', d), { recursive: true })
  const mkdir = seconds(t)
  t = performance.now()
  const fds = new Map<string, number>()
  const raws: { e: LayerEntry; raw: Buffer; deflated: boolean }[] = []
  for (const e of entries) {
    const s = e.source
    if (s.kind !== 'wheel') continue
    let fd = fds.get(s.wheel)
    if (fd === undefined) fds.set(s.wheel, (fd = fs.openSync(s.wheel, 'r')))
    const header = Buffer.alloc(30)
    fs.readSync(fd, header, 0, 30, s.entry.localHeaderOffset)
    const raw = Buffer.allocUnsafe(s.entry.compressedSize)
    const at = s.entry.localHeaderOffset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28)
    fs.readSync(fd, raw, 0, raw.length, at)
    raws.push({ e, raw, deflated: s.entry.method === 8 })
  }
  for (const fd of fds.values()) fs.closeSync(fd)
  const read = seconds(t)
  t = performance.now()
  const files = raws.map(r => ({ e: r.e, data: r.deflated ? zlib.inflateRawSync(r.raw) : r.raw }))
  const inflate = seconds(t)
  t = performance.now()
  for (const f of files) zlib.crc32(f.data)
  const crc = seconds(t)
  t = performance.now()
  for (const f of files)
    fs.writeFileSync(path.join(dir, 'python', f.e.path), f.data, {
      mode: f.e.executable ? 0o755 : 0o644
    })
  const write = seconds(t)
  t = performance.now()
  fs.rmSync(dir, { recursive: true, force: true })
  const remove = seconds(t)
  return { mkdir, read, inflate, crc, write, remove }
}

/** Longest-processing-time list scheduling of the measured imports in queue order: what `workers` cores would take. */
function scheduled(
  timings: readonly ImportTiming[],
  order: readonly string[],
  workers: number
): number {
  const cost = new Map(timings.map(t => [t.module, t.cpu]))
  const lanes = new Array<number>(workers).fill(0)
  for (const m of order) {
    const i = lanes.indexOf(Math.min(...lanes))
    lanes[i] += cost.get(m) ?? 0
  }
  return Math.max(...lanes)
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      wheels: { type: 'string' },
      runs: { type: 'string', default: '3' },
      workers: { type: 'string' }
    }
  })
  const runs = Number(values.runs)
  const wheels = values.wheels ?? path.join(ROOT, '.tmp', 'bench', 'wheels-smoke')
  if (!values.wheels) fetchWheels(wheels)
  const found = await findInterpreter(runtime, process.env)
  if ('problem' in found)
    throw new Error(`this bench needs a python${runtime.version}: ${found.problem}`)
  const entries = await layerEntries(wheels)
  const modules = topLevelModules(entries.map(e => e.path))
  const weights = moduleWeights(entries)
  const order = [...modules].sort((a, b) => (weights.get(b) ?? 0) - (weights.get(a) ?? 0))
  const needed = entriesForImport(entries, modules)
  const bytes = (es: readonly LayerEntry[]) => es.reduce((n, e) => n + e.size, 0)
  const cores = os.availableParallelism()
  const workerCounts = values.workers
    ? values.workers.split(',').map(Number)
    : [...new Set([1, workerCount(modules.length), 4])]
  say(
    `layer: ${entries.length} files, ${mb(bytes(entries))}, ${modules.length} top-level modules; ` +
      `what imports can need: ${needed.length} files, ${mb(bytes(needed))}`
  )
  say(
    `interpreter ${found.path} (${found.version}); ${cores} cores, load average ${os.loadavg()[0].toFixed(1)}; ${runs} runs each, medians\n`
  )

  const shm = existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir()
  const dir = path.join(shm, `layer-bench-smoke-${process.pid}`)
  const parts: ReturnType<typeof extractionParts>[] = []
  const full: number[] = []
  const subset: number[] = []
  for (let i = 0; i < runs; i++) {
    parts.push(extractionParts(entries, dir))
    for (const [list, es] of [
      [full, entries],
      [subset, needed]
    ] as const) {
      const t = performance.now()
      await extractLayer(es, dir)
      list.push(seconds(t))
      await fsp.rm(dir, { recursive: true, force: true })
    }
  }
  const part = (k: keyof (typeof parts)[0]) => median(parts.map(p => p[k])).toFixed(2)
  say(`extraction to ${shm}, one thread, by part:`)
  say(
    `  directories ${part('mkdir')} s, reading ${part('read')} s, inflating ${part('inflate')} s, writing ${part('write')} s`
  )
  say(
    `  (a CRC-32 of every inflated file: ${part('crc')} s; removing the tree after: ${part('remove')} s)`
  )
  say(
    `extraction as the smoke test runs it (worker threads): everything ${median(full).toFixed(2)} s, only what imports can need ${median(subset).toFixed(2)} s\n`
  )

  await extractLayer(needed, dir)
  try {
    const results = new Map<number, { wall: number[]; cpu: number[]; timings: ImportTiming[] }>()
    for (let i = 0; i < runs; i++)
      for (const workers of workerCounts) {
        const t = performance.now()
        const r = await importModules({
          interpreter: found.path,
          pythonDir: path.join(dir, 'python'),
          modules: workers === 1 ? modules : order,
          env: process.env,
          cwd: os.tmpdir(),
          workers
        })
        if (r.failures.length) throw new Error(`imports failed: ${JSON.stringify(r.failures)}`)
        const slot = results.get(workers) ?? { wall: [], cpu: [], timings: [] }
        slot.wall.push(seconds(t))
        slot.cpu.push(r.cpuSeconds)
        slot.timings = r.timings
        results.set(workers, slot)
      }
    const one = results.get(1)
    say('imports (extracted layer, page cache warm):')
    // a CPU-bound job on a busy shared machine gets a fixed share of it, however many processes it
    // starts: the wall times below show that share; the idle-machine figures are the CPU each import
    // took (measured inside its interpreter), laid out on the lanes as the queue hands them out
    const idle = (workers: number, r: { cpu: number[]; timings: ImportTiming[] }) =>
      workers === 1 ? median(r.cpu) : scheduled(r.timings, order, workers)
    for (const [workers, r] of results)
      say(
        `  ${workers} interpreter${workers > 1 ? 's side by side' : ', one module after another (as before)'}: ` +
          `here ${median(r.wall).toFixed(2)} s (CPU ${median(r.cpu).toFixed(2)} s); ` +
          `on ${workers} idle core${workers > 1 ? 's' : ''} ~${idle(workers, r).toFixed(2)} s` +
          (one && workers > 1
            ? `, ${(idle(workers, r) / idle(1, one)).toFixed(2)}× one interpreter`
            : '') +
          (workers > cores ? ` (estimate: more interpreters than the ${cores} cores here)` : '')
      )
    if (one)
      say(
        `  slowest imports (CPU, in one interpreter): ${one.timings
          .slice(0, 6)
          .map(t => `${t.module} ${t.cpu.toFixed(2)} s`)
          .join(', ')}`
      )
  } finally {
    await fsp.rm(dir, { recursive: true, force: true })
  }

  // the verdict: a rebuild of the same layer on the same interpreter, kept in a loopback Actions cache
  const server = await startCacheServer()
  const temp = await fsp.mkdtemp(path.join(os.tmpdir(), 'layer-bench-verdict-'))
  const saved = { ...process.env }
  Object.assign(process.env, {
    ...server.env,
    RUNNER_TEMP: temp,
    RUNNER_DEBUG: ''
  })
  try {
    const options = {
      runtime,
      architecture: 'x86_64' as const,
      layerDir: path.join(temp, 'layer'),
      verdictDir: path.join(temp, 'layer-action', 'smoke-verdict'),
      cache: true,
      action: 'bench'
    }
    let t = performance.now()
    await smokeTestLayer(entries, options)
    const cold = seconds(t)
    const hits: number[] = []
    for (let i = 0; i < runs; i++) {
      t = performance.now()
      const r = await smokeTestLayer(entries, options)
      if (!r.cached) throw new Error('the verdict was not reused')
      hits.push(seconds(t))
    }
    say(
      `\nsmokeTestLayer, in process: ${cold.toFixed(2)} s testing (extraction, parallel imports, verdict kept); ` +
        `${median(hits).toFixed(2)} s with the verdict cached (interpreter probe, layer digest, one cache lookup)`
    )
  } finally {
    process.env = saved
    await server.close()
    await fsp.rm(temp, { recursive: true, force: true })
  }
}

try {
  await main()
} finally {
  quiet.restore()
}
