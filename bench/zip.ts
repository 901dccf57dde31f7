// The zip step alone, in its own process on bare node (no tsx), for its time and peak memory:
// the wheels of a directory → entries (central directories, merge, slim) → the layer zip.
//
//   node --import tsx bench/zip.ts --wheels <dir of .whl> [--out <zip>] [--runs 5]
//
// bench/build.ts runs it on the wheelhouse of the 18-package set. The figure includes Node's own
// baseline (an idle `node -e 0` is printed beside it). `--runs N` alone prints what verifying every
// wheel entry (CRC-32 and real size, src/zip/verify.ts) costs: N runs with it and N without,
// alternating, in one go.
import { spawnSync } from 'node:child_process'
import { promises as fs, readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { mergeWheels } from '../src/assemble/layer'
import { slimEntries } from '../src/assemble/slim'
import { wheelContent } from '../src/assemble/wheel'
import { zipLayer } from '../src/assemble/zip'
import { mb, median } from './stats'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

export interface ZipStep {
  seconds: number
  /** user + system CPU of the whole process, worker threads included */
  cpuSeconds: number
  maxRssBytes: number
  idleRssBytes: number
  zipSize: number
  unzippedSize: number
  sha256: string
}

/**
 * This process's peak RSS (VmHWM). Not resourceUsage().maxRSS: Linux carries ru_maxrss across
 * exec, so a child would report its parent's peak when the parent was bigger.
 */
function peakRss(): number {
  const status = readFileSync('/proc/self/status', 'utf8')
  return Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN) * 1024
}

async function child(wheels: string, out: string, verify: boolean): Promise<void> {
  const start = performance.now()
  const files = (await fs.readdir(wheels)).filter(f => f.endsWith('.whl')).sort()
  const contents = await Promise.all(files.map(f => wheelContent(path.join(wheels, f))))
  const { kept } = slimEntries(mergeWheels(contents), { slim: true, exclude: [] })
  const zip = await zipLayer(kept, out, { verify })
  console.log(
    JSON.stringify({
      seconds: (performance.now() - start) / 1000,
      cpuSeconds: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
      maxRssBytes: peakRss(),
      zipSize: zip.zipSize,
      unzippedSize: zip.unzippedSize,
      sha256: zip.sha256
    })
  )
}

/** Without tsx's loader (NODE_OPTIONS), which would count in the peak; without debug lines. */
function bareEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, RUNNER_DEBUG: '' }
  delete env.NODE_OPTIONS
  return env
}

/** Runs the zip step on bare node in a child process; returns its figures. */
export async function measureZipStep(
  wheels: string,
  o: { verify?: boolean } = {}
): Promise<ZipStep> {
  const { plainJs } = await import('./plain')
  const script = plainJs(
    ROOT,
    fileURLToPath(import.meta.url),
    path.join(ROOT, '.tmp', 'bench', 'js')
  )
  const out = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'layer-zipstep-')), 'layer.zip')
  // @actions/core writes ::debug:: lines only when asked; keep the child quiet
  const args = [script, '--child', '--wheels', wheels, '--out', out]
  if (o.verify === false) args.push('--no-verify')
  const r = spawnSync(process.execPath, args, {
    encoding: 'utf8',
    env: bareEnv()
  })
  await fs.rm(path.dirname(out), { recursive: true, force: true })
  if (r.status !== 0) throw new Error(`the zip step failed:\n${r.stderr}`)
  const idle = spawnSync(
    process.execPath,
    [
      '-e',
      "console.log(Number(/^VmHWM:\\s+(\\d+) kB/m.exec(require('fs').readFileSync('/proc/self/status', 'utf8'))[1]) * 1024)"
    ],
    { env: bareEnv() }
  )
  const line = r.stdout
    .trim()
    .split('\n')
    .filter(l => l.startsWith('{'))
    .pop() as string
  return { ...(JSON.parse(line) as ZipStep), idleRssBytes: Number(String(idle.stdout).trim()) }
}

export interface VerificationCost {
  /** each run's figures, in the order they ran */
  verified: ZipStep[]
  unverified: ZipStep[]
}

/** The zip step `runs` times with verification and `runs` times without, alternating. */
export async function measureVerification(wheels: string, runs: number): Promise<VerificationCost> {
  const cost: VerificationCost = { verified: [], unverified: [] }
  for (let i = 0; i < runs; i++) {
    // alternate who goes first, so neither always meets a cold page cache
    for (const verify of i % 2 ? [false, true] : [true, false]) {
      const step = await measureZipStep(wheels, { verify })
      ;(verify ? cost.verified : cost.unverified).push(step)
    }
  }
  return cost
}

export function verificationCost(c: VerificationCost): string {
  const line = (what: string, pick: (s: ZipStep) => number) => {
    const a = c.verified.map(pick)
    const b = c.unverified.map(pick)
    const spread = (xs: number[]) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`
    return (
      `  ${what}: verified median ${median(a).toFixed(2)} s (${spread(a)}), unchecked ${median(b).toFixed(2)} s (${spread(b)}): ` +
      `+${(median(a) - median(b)).toFixed(2)} s`
    )
  }
  return [
    `zip step, every wheel entry verified (CRC-32, real size) vs copied unchecked, ${c.verified.length} runs each, alternating:`,
    line('wall', s => s.seconds),
    line('CPU (all threads)', s => s.cpuSeconds),
    `  peak RSS: verified ${mb(median(c.verified.map(s => s.maxRssBytes)))}, unchecked ${mb(median(c.unverified.map(s => s.maxRssBytes)))}`
  ].join('\n')
}

const invokedAs = process.argv[1] ? path.resolve(process.argv[1]) : ''
if (
  invokedAs.replace(/\.[jt]s$/, '') === fileURLToPath(import.meta.url).replace(/\.[jt]s$/, '') ||
  process.argv.includes('--child')
) {
  const { values } = parseArgs({
    options: {
      wheels: { type: 'string' },
      out: { type: 'string' },
      child: { type: 'boolean', default: false },
      'no-verify': { type: 'boolean', default: false },
      runs: { type: 'string' }
    }
  })
  if (!values.wheels) throw new Error('--wheels <dir> is required')
  if (values.child)
    await child(
      values.wheels,
      values.out ?? path.join(os.tmpdir(), 'layer.zip'),
      !values['no-verify']
    )
  else if (values.runs)
    console.log(verificationCost(await measureVerification(values.wheels, Number(values.runs))))
  else console.log(await measureZipStep(values.wheels))
}
