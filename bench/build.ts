// Build only, end to end: this action as users run it (dist/index.js, publish: false, smoke test
// on as by default) against the seeds' shell pipeline (pip install -t with the same platform flags,
// find deleting __pycache__, *.pyc and tests, zip -r9), same requirements, same local index,
// alternating runs. Then: the phase breakdown of one run, the rebuild on an exact cache hit (a
// loopback Actions cache service, the wheelhouse removed between runs as on a fresh runner: smoke test
// off; on, testing once and keeping its verdict; on, with the verdict cached), and the zip step's
// peak memory in a process of its own. The whole builds run with cache: false: their smoke test is
// the cold one (bench/smoke.ts has it alone, and against one interpreter as before). The warm build:
// the cache restored from the build before (run with the same smoke-test setting, so with the smoke
// test on its per-module verdicts are in the cache too), one requirement changed (tabulate 0.8.10 →
// 0.10.0), against the seeds' pipeline on the same requirements in the same run.
//
//   node --import tsx bench/build.ts [--runs 3] [--requirements <file>] [--smoke-test false]
//                                    [--baseline-dist <dir holding another build's index.js>]
//                                    [--only whole,exact,warm,zip,cold]
//
// With --baseline-dist, that bundle (e.g. main's dist/, from `git worktree add`) builds the same
// requirements too, alternating with this one: the difference of the medians is what a change costs.
//
// Needs dist/index.js (npm run build) and the machine's wheel mirror (/opt/pypi/simple, CPython 3.11
// wheels). pip runs hermetically in both: PIP_CONFIG_FILE=/dev/null and no other PIP_* variable.
import { spawnSync } from 'node:child_process'
import { existsSync, promises as fs, readdirSync, statSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { runAction } from '../__tests__/helpers/action'
import { startCacheServer } from '../__tests__/helpers/cache-server'
import { measureVerification, measureZipStep, verificationCost } from './zip'
import { findRuntime, type Runtime } from '../src/runtimes'
import { mb, median } from './stats'
import { REQUIREMENTS } from './requirements'
import { coldComparison } from './cold'
import { runSeeds, seedsScript } from './seeds'
import { MIRROR, MIRROR_MORE } from './wheels'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const DIST = path.join(ROOT, 'dist', 'index.js')
const PYTHON_VERSION = '3.11'

/**
 * The inputs this bench gives the action; every other input gets action.yml's default, as on the
 * runner (runAction sets INPUT_<NAME> for each, dashes kept). The smoke test is on, as by default
 * (the seeds' pipeline does no such check: the comparison gives the action that extra work).
 */
function actionInputs(smokeTest: boolean, cache = false): Record<string, string> {
  return {
    requirements: 'requirements.txt',
    'layer-name': 'bench',
    publish: 'false',
    'python-version': PYTHON_VERSION,
    cache: String(cache),
    'index-url': MIRROR,
    'pip-args': `--extra-index-url ${MIRROR_MORE}`,
    'smoke-test': String(smokeTest)
  }
}

/** The runner's environment minus pip configuration, so both sides see only the mirror. */
function hermeticEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('PIP_') && !k.startsWith('INPUT_') && !k.startsWith('GITHUB_')) env[k] = v
  }
  env.PIP_CONFIG_FILE = '/dev/null'
  env.PIP_DISABLE_PIP_VERSION_CHECK = '1'
  return env
}

interface Result {
  seconds: number
  zipSize: number
  unzippedSize: number
  /** phase → seconds, from the times the action's log lines arrived */
  phases?: Record<string, number>
  stdout?: string
}

/** Log lines that end (or start) a phase, in the order they appear. */
const MARKS: [string, RegExp][] = [
  ['plan', /^::group::Plan/],
  ['resolve', /^::group::Resolve for/],
  ['fetch', /^::group::Fetch /],
  ['assemble', /^::group::Assemble/],
  ['zip', /^::group::Zip and smoke test/],
  ['zip done', /zipped, .* CodeSha256/],
  ['extract done', /^Extracted \d+ files for the smoke test/],
  ['smoke done', /^Smoke test with|^Smoke test: passed for these bytes/],
  ['contents', /^::group::Contents/],
  ['tag', /^::group::Tag/]
]

function phasesOf(marks: Map<string, number>, total: number): Record<string, number> {
  const at = (name: string) => (marks.get(name) ?? NaN) / 1000
  const out: Record<string, number> = {
    'node start, inputs, plan (git), cache restore': at('resolve') || at('fetch'),
    'resolve (pip install --dry-run --report)': at('fetch') - at('resolve'),
    'fetch (parallel downloads, hashes checked)': at('assemble') - at('fetch'),
    'assemble: central directories, merge, slim, sizes': at('zip') - at('assemble'),
    'zip (copy of the compressed streams)': at('zip done') - at('zip'),
    'extract for the smoke test (beside the zip)': at('extract done') - at('zip'),
    'smoke test (after the extraction)': at('smoke done') - at('extract done'),
    'smoke test verdict from the cache (beside the zip)': marks.has('extract done')
      ? NaN
      : at('smoke done') - at('zip'),
    "contents: the zip's packages read back, the SBOM": at('tag') - at('contents'),
    'tag, outputs, summary, exit': total - at('tag')
  }
  for (const [k, v] of Object.entries(out)) if (Number.isNaN(v)) delete out[k]
  return out
}

async function runOurs(
  workspace: string,
  smokeTest: boolean,
  o: { cache?: boolean; env?: NodeJS.ProcessEnv; runnerTemp?: string; entry?: string } = {}
): Promise<Result> {
  const marks = new Map<string, number>()
  const start = performance.now()
  const r = await runAction({
    inputs: actionInputs(smokeTest, o.cache),
    entry: o.entry,
    workspace,
    env: o.env ?? hermeticEnv(),
    runnerTemp: o.runnerTemp,
    // as users run it: in debug, @actions/cache also lists each archive it restores (tar -t)
    debug: false,
    onLine: (line, ms) => {
      for (const [name, re] of MARKS) if (!marks.has(name) && re.test(line)) marks.set(name, ms)
    }
  })
  const seconds = (performance.now() - start) / 1000
  if (r.exitCode !== 0 || !r.outputs['zip-path']) {
    const tail = `${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-30).join('\n')
    throw new Error(
      `The action failed (exit ${r.exitCode})${r.errors.length ? `: ${r.errors.join('; ')}` : ''}\n${tail}`
    )
  }
  return {
    seconds,
    zipSize: Number(r.outputs['zip-size']),
    unzippedSize: Number(r.outputs['unzipped-size']),
    phases: phasesOf(marks, seconds),
    stdout: r.stdout
  }
}

async function runSeedsHere(workspace: string, script: string): Promise<Result> {
  const r = await runSeeds(workspace, script, hermeticEnv())
  return { ...r, unzippedSize: fileBytes(path.join(workspace, 'build', 'python')) }
}

/** Bytes in the files under `dir`, as the action counts its unzipped size. */
function fileBytes(dir: string): number {
  let total = 0
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name)
    total += e.isDirectory() ? fileBytes(full) : statSync(full).size
  }
  return total
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '3' },
      requirements: { type: 'string' },
      'smoke-test': { type: 'string', default: 'true' },
      'baseline-dist': { type: 'string' },
      only: { type: 'string', default: 'whole,exact,warm,zip,cold' }
    }
  })
  const only = new Set(values.only.split(','))
  const baseline = values['baseline-dist']
    ? path.resolve(values['baseline-dist'], 'index.js')
    : undefined
  if (baseline && !existsSync(baseline)) throw new Error(`${baseline} does not exist`)
  if (!existsSync(DIST))
    throw new Error(`${DIST} does not exist: build the action first (npm run build)`)
  if (!existsSync(new URL(MIRROR).pathname))
    throw new Error(
      `This bench needs the local wheel mirror ${MIRROR} (CPython ${PYTHON_VERSION} wheels)`
    )
  const runtime = findRuntime(PYTHON_VERSION) as Runtime
  const python =
    spawnSync(`python${PYTHON_VERSION}`, ['--version']).status === 0
      ? `python${PYTHON_VERSION}`
      : 'python3'
  const requirements = values.requirements
    ? await fs.readFile(values.requirements, 'utf8')
    : `${REQUIREMENTS.join('\n')}\n`
  const runs = Number(values.runs)
  const smokeTest = values['smoke-test'] !== 'false'

  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'layer-bench-build-'))
  // runAction makes its runner directories (RUNNER_TEMP, output files) in os.tmpdir(): keep them in here
  process.env.TMPDIR = work
  const ours = path.join(work, 'ours')
  const seeds = path.join(work, 'seeds')
  const base = path.join(work, 'baseline')
  for (const dir of [ours, seeds, base]) {
    await fs.mkdir(dir)
    await fs.writeFile(path.join(dir, 'requirements.txt'), requirements)
  }
  const script = seedsScript({ runtime, python, index: MIRROR, extraIndex: MIRROR_MORE })
  console.log(`requirements: ${requirements.trim().split('\n').join(', ')}`)
  console.log(
    `python ${runtime.version} (x86_64), index ${MIRROR} + ${MIRROR_MORE}, ${runs} runs each, alternating`
  )
  console.log(
    `action inputs: ${JSON.stringify(actionInputs(smokeTest))} (the rest: action.yml defaults)`
  )
  const shown = script.replace(/( --platform [^ ]+)+/, ' --platform <each tag of the runtime>')
  console.log(`seeds' pipeline (pip on ${python}):\n${shown}\n`)

  const results = { ours: [] as Result[], seeds: [] as Result[], baseline: [] as Result[] }
  try {
    for (let run = 0; run < (only.has('whole') ? runs : 0); run++) {
      // alternate who goes first, so neither always meets a cold page cache
      const order: ('ours' | 'seeds' | 'baseline')[] =
        run % 2 ? ['seeds', 'ours'] : ['ours', 'seeds']
      if (baseline) order.splice(run % 2 ? 1 : 0, 0, 'baseline')
      for (const who of order) {
        const r =
          who === 'ours'
            ? await runOurs(ours, smokeTest)
            : who === 'baseline'
              ? await runOurs(base, smokeTest, { entry: baseline })
              : await runSeedsHere(seeds, script)
        results[who].push(r)
        console.log(
          `run ${run + 1} ${who.padEnd(5)} ${r.seconds.toFixed(2)} s  zip ${mb(r.zipSize)}, unzipped ${mb(r.unzippedSize)}`
        )
      }
    }
    if (only.has('whole')) report(results, runs)
    if (baseline && only.has('whole')) {
      const a = median(results.ours.map(r => r.seconds))
      const b = median(results.baseline.map(r => r.seconds))
      console.log(
        `baseline ${path.relative(ROOT, baseline)}: median ${b.toFixed(2)} s; this build ${a.toFixed(2)} s: ${a >= b ? '+' : ''}${(a - b).toFixed(2)} s ` +
          `(runs: ours ${results.ours.map(r => r.seconds.toFixed(2)).join(', ')}; baseline ${results.baseline.map(r => r.seconds.toFixed(2)).join(', ')})`
      )
    }
    if (only.has('exact') || only.has('zip')) {
      const wheelhouse = await exactHits(work, requirements, only.has('exact') ? runs : 0)
      if (only.has('zip')) {
        const step = await measureZipStep(wheelhouse)
        console.log(
          `\nzip step alone (bare node, its own process: central directories, merge, slim, zip): ${step.seconds.toFixed(2)} s, ` +
            `peak RSS ${mb(step.maxRssBytes)} (an idle node: ${mb(step.idleRssBytes)}), zip ${step.zipSize} bytes`
        )
        console.log(verificationCost(await measureVerification(wheelhouse, Math.max(runs, 3))))
      }
    }
    if (only.has('warm')) await warmBuilds(work, requirements, runs, script)
    if (!values.requirements && only.has('cold'))
      await coldComparison({ runs, latencyMs: 20, bytesPerSecond: 50e6 })
  } finally {
    await fs.rm(work, { recursive: true, force: true })
  }
}

function report(results: { ours: Result[]; seeds: Result[] }, runs: number): void {
  const a = median(results.ours.map(r => r.seconds))
  const b = median(results.seeds.map(r => r.seconds))
  console.log(`\nthis action (build only): median ${a.toFixed(2)} s`)
  console.log(`seeds' pipeline:          median ${b.toFixed(2)} s`)
  console.log(`ratio: ${(a / b).toFixed(2)} (target ≤ 0.2, aim 0.1)`)
  const sizes = results.ours.map(r => r.zipSize)
  console.log(
    `zip: ${sizes[0]} bytes (${mb(sizes[0])}), unzipped ${mb(results.ours[0].unzippedSize)}`
  )
  const typical = [...results.ours].sort((x, y) => x.seconds - y.seconds)[Math.floor(runs / 2)]
  console.log(`\nphases of the median run (${typical.seconds.toFixed(2)} s):`)
  for (const [phase, secs] of Object.entries(typical.phases ?? {}))
    console.log(`  ${phase.padEnd(52)} ${secs.toFixed(2)} s`)
}

/**
 * Rebuilds on an exact cache hit: one run fills a loopback Actions cache, then each rebuild starts
 * with no wheelhouse on disk (a fresh runner) and restores it. Returns the wheelhouse's path.
 */
async function exactHits(work: string, requirements: string, runs: number): Promise<string> {
  const server = await startCacheServer()
  const workspace = path.join(work, 'cached')
  const runnerTemp = path.join(work, 'runner-temp')
  await fs.mkdir(workspace, { recursive: true })
  await fs.writeFile(path.join(workspace, 'requirements.txt'), requirements)
  const env = { ...hermeticEnv(), ...server.env }
  const wheelhouse = path.join(
    runnerTemp,
    'layer-action',
    'wheels',
    `python${PYTHON_VERSION}-x86_64`
  )
  try {
    const first = await runOurs(workspace, false, { cache: true, env, runnerTemp })
    console.log(
      `\nexact cache hit: first run (miss, saves the cache) ${first.seconds.toFixed(2)} s`
    )
    const times: Record<'off' | 'on', number[]> = { off: [], on: [] }
    // the first rebuild with the smoke test on tests the layer and keeps its verdict; the others reuse it
    let tested: Result | undefined
    // runs 0: only the first run, for the wheelhouse the zip step is measured on
    for (let i = 0; i < (runs > 0 ? runs + 1 : 0); i++) {
      for (const smoke of [false, true]) {
        if (i === runs && !smoke) continue
        await fs.rm(path.join(runnerTemp, 'layer-action'), { recursive: true, force: true })
        const r = await runOurs(workspace, smoke, { cache: true, env, runnerTemp })
        if (!/Exact cache hit/.test(r.stdout ?? ''))
          throw new Error('the rebuild was no exact cache hit')
        if (/::group::Resolve for/.test(r.stdout ?? ''))
          throw new Error('the input was resolved (pip ran) on an exact cache hit')
        const reused = /^Smoke test: passed for these bytes/m.test(r.stdout ?? '')
        if (smoke && !tested) {
          if (reused) throw new Error('the first smoke-tested rebuild found a verdict already')
          tested = r
          continue
        }
        if (smoke && !reused) throw new Error('the smoke test verdict was not reused')
        times[smoke ? 'on' : 'off'].push(r.seconds)
        if (i === 0 && !smoke) {
          console.log('phases of one exact-hit rebuild (smoke test off):')
          for (const [phase, secs] of Object.entries(r.phases ?? {}))
            console.log(`  ${phase.padEnd(52)} ${secs.toFixed(2)} s`)
        }
        if (i === 1 && smoke) {
          console.log('phases of one exact-hit rebuild (smoke test on, its verdict cached):')
          for (const [phase, secs] of Object.entries(r.phases ?? {}))
            console.log(`  ${phase.padEnd(52)} ${secs.toFixed(2)} s`)
        }
      }
    }
    if (runs > 0)
      console.log(
        `exact-hit rebuild (no pip, cache restored from loopback): median ${median(times.off).toFixed(2)} s without the smoke test, ` +
          `${median(times.on).toFixed(2)} s with it and its verdict cached (target ≤ 1.5 s); ` +
          `${tested?.seconds.toFixed(2)} s for the one that tested the layer and kept the verdict`
      )
    // leave the wheelhouse for the zip step's measurement
    await fs.rm(path.join(runnerTemp, 'layer-action'), { recursive: true, force: true })
    await runOurs(workspace, false, { cache: true, env, runnerTemp })
  } finally {
    await server.close()
  }
  return wheelhouse
}

/** The requirement the warm build changes: two versions of it are on the mirror. */
const CHANGED = ['tabulate==0.8.10', 'tabulate==0.10.0']

/**
 * Warm builds: each starts on a fresh runner whose Actions cache holds the build of the same
 * requirements with one pin different (a new cache service, filled by a run of those), so the
 * restore is a partial hit, pip resolves again and one wheel is downloaded; the layer's bytes are
 * new, so the smoke test runs. The seeds' pipeline builds the same changed requirements.
 */
async function warmBuilds(
  work: string,
  requirements: string,
  runs: number,
  script: string
): Promise<void> {
  const workspace = path.join(work, 'warm')
  const seeds = path.join(work, 'warm-seeds')
  const runnerTemp = path.join(work, 'warm-runner-temp')
  const [before, after] = CHANGED.map(pin => `${requirements.trimEnd()}\n${pin}\n`)
  for (const dir of [workspace, seeds]) await fs.mkdir(dir, { recursive: true })
  await fs.writeFile(path.join(seeds, 'requirements.txt'), after)
  console.log(`\nwarm build: the cache of the build before restored, ${CHANGED.join(' → ')}`)
  const times: Record<'on' | 'off' | 'seeds', number[]> = { on: [], off: [], seeds: [] }
  const phases: Record<string, number>[] = []
  for (let run = 0; run < runs; run++) {
    for (const who of run % 2
      ? (['seeds', 'off', 'on'] as const)
      : (['on', 'off', 'seeds'] as const)) {
      if (who === 'seeds') {
        times.seeds.push((await runSeedsHere(seeds, script)).seconds)
        continue
      }
      const server = await startCacheServer()
      try {
        const env = { ...hermeticEnv(), ...server.env }
        const fresh = () =>
          fs.rm(path.join(runnerTemp, 'layer-action'), { recursive: true, force: true })
        await fresh()
        await fs.writeFile(path.join(workspace, 'requirements.txt'), before)
        // the build before ran as configured: with the smoke test, it kept its verdicts too
        await runOurs(workspace, who === 'on', { cache: true, env, runnerTemp })
        await fresh()
        await fs.writeFile(path.join(workspace, 'requirements.txt'), after)
        const r = await runOurs(workspace, who === 'on', { cache: true, env, runnerTemp })
        if (!/Restored cached wheels of an earlier build/.test(r.stdout ?? ''))
          throw new Error('the warm build restored no earlier build')
        times[who].push(r.seconds)
        if (who === 'on' && r.phases) phases.push({ total: r.seconds, ...r.phases })
      } finally {
        await server.close()
      }
    }
    console.log(
      `run ${run + 1}: smoke test on ${times.on[run].toFixed(2)} s, off ${times.off[run].toFixed(2)} s, seeds' pipeline ${times.seeds[run].toFixed(2)} s`
    )
  }
  const seedsMedian = median(times.seeds)
  const ratio = (xs: number[]) =>
    `median ${median(xs).toFixed(2)} s, ratio ${(median(xs) / seedsMedian).toFixed(2)}`
  console.log(`warm build, smoke test on (the default): ${ratio(times.on)} (target ≤ 0.15)`)
  console.log(`warm build, smoke test off:              ${ratio(times.off)}`)
  console.log(`seeds' pipeline, same requirements:      median ${seedsMedian.toFixed(2)} s`)
  const typical = phases.sort((x, y) => x.total - y.total)[Math.floor(phases.length / 2)]
  console.log(
    `phases of the median warm build with the smoke test (${typical.total.toFixed(2)} s):`
  )
  for (const [phase, secs] of Object.entries(typical))
    if (phase !== 'total') console.log(`  ${phase.padEnd(52)} ${secs.toFixed(2)} s`)
}

await main()
