// The cold first build, as on a fresh runner: no wheelhouse, no Actions cache, no pip cache, and an
// index shaped like PyPI on loopback (20 ms before each answer, 50 MB/s per connection, PEP 658
// metadata files and PEP 691 JSON pages; __tests__/helpers/index-servers.ts) serving the machine's
// wheel mirror (/opt/pypi, /opt/pypi-more). This action (dist/index.js, publish: false, cache off,
// smoke test on) against the seeds' shell pipeline (pip install -t with the platform flags, find
// -delete, zip -r9) over the same index, alternating runs, in one process: the ratio is the figure.
// This action also runs with LAYER_ACTION_LOOKAHEAD=false (pip reading the index itself), so the
// look-ahead's share is measured in the same run.
//
//   node --import tsx bench/cold.ts [--runs 3] [--latency 20] [--mbps 50] [--pip 26.2.1] [--no-pep658]
//
// --no-pep658 serves no PEP 658 metadata files and plain PEP 503 pages, as older Artifactory, Nexus
// and devpi do: pip can read a project's dependencies only from its wheel.
//
// --pip puts a virtualenv with that pip (installed offline from /opt/pypi) first on PATH for both
// sides, as a runner after actions/setup-python has it: pip before 25.3 downloads every wheel in
// `install --dry-run` (pypa/pip#12603), newer ones read the PEP 658 metadata only.
import { spawnSync } from 'node:child_process'
import { existsSync, promises as fs } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { runAction } from '../__tests__/helpers/action'
import { servePypiShapedIndex, type ShapedIndex } from '../__tests__/helpers/index-servers'
import { findRuntime, type Runtime } from '../src/runtimes'
import { REQUIREMENTS } from './requirements'
import { runSeeds, seedsScript } from './seeds'
import { mb, median } from './stats'

const PYTHON_VERSION = '3.11'

/** Log lines that start a phase, as run() prints them. */
const MARKS: [string, RegExp][] = [
  ['resolve', /^::group::Resolve for/],
  ['fetch', /^::group::Fetch /],
  ['assemble', /^::group::Assemble/],
  ['zip', /^::group::Zip and smoke test/],
  ['smoke done', /^Smoke test with/],
  ['tag', /^::group::Tag/]
]

/** The runner's environment minus pip configuration and pip's cache: both sides start cold. */
function coldEnv(bin?: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('PIP_') && !k.startsWith('INPUT_') && !k.startsWith('GITHUB_')) env[k] = v
  if (bin) env.PATH = `${bin}${path.delimiter}${env.PATH ?? ''}`
  return {
    ...env,
    PIP_CONFIG_FILE: '/dev/null',
    PIP_DISABLE_PIP_VERSION_CHECK: '1',
    PIP_NO_CACHE_DIR: '1'
  }
}

/** A virtualenv of this machine's python3 with `pip==version` from the local mirror; its bin folder. */
function venvWithPip(dir: string, version: string): string {
  const ok = (cmd: string, args: string[]) => {
    const r = spawnSync(cmd, args, { env: coldEnv(), encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stderr}`)
  }
  ok('python3', ['-m', 'venv', dir])
  const pip = ['-m', 'pip', 'install', '-q', '--no-index', '--find-links', '/opt/pypi/files']
  ok(path.join(dir, 'bin', 'python'), [...pip, `pip==${version}`])
  return path.join(dir, 'bin')
}

interface Run {
  seconds: number
  zipSize: number
  phases?: Record<string, number>
}

async function runOurs(
  workspace: string,
  index: ShapedIndex,
  more: ShapedIndex,
  bin?: string,
  lookahead = true
): Promise<Run> {
  const marks = new Map<string, number>()
  const runnerTemp = await fs.mkdtemp(path.join(os.tmpdir(), 'runner-temp-'))
  const start = performance.now()
  const r = await runAction({
    inputs: {
      requirements: 'requirements.txt',
      'layer-name': 'bench',
      publish: 'false',
      'python-version': PYTHON_VERSION,
      cache: 'false',
      'index-url': index.plainUrl,
      'pip-args': `--extra-index-url ${more.plainUrl}`
    },
    workspace,
    env: { ...coldEnv(bin), ...(lookahead ? {} : { LAYER_ACTION_LOOKAHEAD: 'false' }) },
    runnerTemp,
    onLine: (line, ms) => {
      for (const [name, re] of MARKS) if (!marks.has(name) && re.test(line)) marks.set(name, ms)
    }
  })
  const seconds = (performance.now() - start) / 1000
  await fs.rm(runnerTemp, { recursive: true, force: true })
  if (r.exitCode !== 0 || !r.outputs['zip-path'])
    throw new Error(
      `The action failed (exit ${r.exitCode}): ${r.errors.join('; ')}\n${r.stdout.slice(-3000)}`
    )
  const at = (name: string) => (marks.get(name) ?? NaN) / 1000
  const phases: Record<string, number> = {
    'node start, inputs, plan': at('resolve'),
    [lookahead
      ? "resolve (pip --dry-run --report, through the look-ahead's loopback index)"
      : 'resolve (pip --dry-run --report, reading the index itself)']: at('fetch') - at('resolve'),
    'download (parallel, hashes checked)': at('assemble') - at('fetch'),
    'assemble (central directories, merge, slim, sizes)': at('zip') - at('assemble'),
    'zip, and the smoke test beside it': at('smoke done') - at('zip'),
    'outputs, summary, exit': seconds - at('tag')
  }
  for (const [k, v] of Object.entries(phases)) if (Number.isNaN(v)) delete phases[k]
  return { seconds, zipSize: Number(r.outputs['zip-size']), phases }
}

export async function coldComparison(o: {
  runs: number
  latencyMs: number
  bytesPerSecond: number
  pip?: string
  /** false: no PEP 658 metadata, no PEP 691 JSON */
  pep658?: boolean
}): Promise<number> {
  if (!existsSync('/opt/pypi/simple'))
    throw new Error('This bench serves the machine wheel mirror /opt/pypi: it is not here')
  const runtime = findRuntime(PYTHON_VERSION) as Runtime
  const index = await servePypiShapedIndex('/opt/pypi', o)
  const more = await servePypiShapedIndex('/opt/pypi-more', o)
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'layer-bench-cold-'))
  const requirements = `${REQUIREMENTS.join('\n')}\n`
  const results = { ours: [] as Run[], plain: [] as Run[], seeds: [] as Run[] }
  try {
    for (const who of ['ours', 'plain', 'seeds']) {
      await fs.mkdir(path.join(work, who))
      await fs.writeFile(path.join(work, who, 'requirements.txt'), requirements)
    }
    const bin = o.pip ? venvWithPip(path.join(work, 'venv'), o.pip) : undefined
    const pipVersion = spawnSync('python3', ['-m', 'pip', '--version'], {
      env: coldEnv(bin),
      encoding: 'utf8'
    }).stdout.trim()
    console.log(`both sides run ${pipVersion}`)
    const script = seedsScript({
      runtime,
      python: 'python3',
      index: index.plainUrl,
      extraIndex: more.plainUrl
    })
    console.log(
      `\ncold first build over a PyPI-shaped loopback index (${o.latencyMs} ms before each answer, ${mb(o.bytesPerSecond)}/s per connection, ${o.pep658 === false ? 'no PEP 658 metadata, PEP 503 pages only' : 'PEP 658 metadata, PEP 691 JSON'}), no cache of any kind, ${o.runs} alternating runs`
    )
    for (let run = 0; run < o.runs; run++) {
      const order =
        run % 2 ? (['seeds', 'plain', 'ours'] as const) : (['ours', 'plain', 'seeds'] as const)
      for (const who of order) {
        const dir = path.join(work, who)
        const r =
          who === 'seeds'
            ? await runSeeds(dir, script, coldEnv(bin))
            : await runOurs(dir, index, more, bin, who === 'ours')
        results[who].push(r)
        const label = { ours: 'ours', plain: 'ours, no look-ahead', seeds: 'seeds' }[who]
        console.log(
          `run ${run + 1} ${label.padEnd(19)} ${r.seconds.toFixed(2)} s  zip ${mb(r.zipSize)}`
        )
      }
    }
    const a = median(results.ours.map(r => r.seconds))
    const p = median(results.plain.map(r => r.seconds))
    const b = median(results.seeds.map(r => r.seconds))
    console.log(`this action, cold: median ${a.toFixed(2)} s`)
    console.log(
      `this action without the look-ahead (LAYER_ACTION_LOOKAHEAD=false): median ${p.toFixed(2)} s, ratio ${(p / b).toFixed(2)}`
    )
    console.log(`seeds' pipeline, cold: median ${b.toFixed(2)} s`)
    console.log(`cold ratio: ${(a / b).toFixed(2)} (target ≤ 0.2)`)
    for (const who of ['ours', 'plain'] as const) {
      const typical = [...results[who]].sort((x, y) => x.seconds - y.seconds)[
        Math.floor(o.runs / 2)
      ]
      console.log(
        `phases of the median cold run${who === 'plain' ? ' without the look-ahead' : ''} (${typical.seconds.toFixed(2)} s):`
      )
      for (const [phase, secs] of Object.entries(typical.phases ?? {}))
        console.log(`  ${phase.padEnd(72)} ${secs.toFixed(2)} s`)
    }
    return a / b
  } finally {
    await Promise.all([index.close(), more.close()])
    await fs.rm(work, { recursive: true, force: true })
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '3' },
      latency: { type: 'string', default: '20' },
      mbps: { type: 'string', default: '50' },
      pip: { type: 'string' },
      'no-pep658': { type: 'boolean', default: false }
    }
  })
  await coldComparison({
    runs: Number(values.runs),
    latencyMs: Number(values.latency),
    bytesPerSecond: Number(values.mbps) * 1e6,
    pip: values.pip,
    pep658: !values['no-pep658']
  })
}
