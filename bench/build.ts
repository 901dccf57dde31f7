// Build only, end to end: this action as users run it (dist/index.js, publish: false) against the
// seeds' shell pipeline (pip install -t with the same platform flags, find deleting __pycache__,
// *.pyc and tests, zip -r9), same requirements, same local index, alternating runs.
//
//   node --import tsx bench/build.ts [--runs 3] [--requirements <file>] [--smoke-test]
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
import { findRuntime, platformTags, type Runtime } from '../src/runtimes'
import { mb, median } from './stats'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const DIST = path.join(ROOT, 'dist', 'index.js')
const MIRROR = 'file:///opt/pypi/simple'
const MIRROR_MORE = 'file:///opt/pypi-more/simple'
const PYTHON_VERSION = '3.11'
const REQUIREMENTS = ['boto3', 'pandas', 'numpy', 'lxml', 'sqlalchemy', 'pydantic', 'pillow']

/**
 * The inputs this bench gives the action; every other input gets action.yml's default, as on the
 * runner (runAction sets INPUT_<NAME> for each, dashes kept). smoke-test is off unless asked for:
 * the seeds' pipeline does no such check, so it would not be the same work.
 */
export function actionInputs(smokeTest: boolean): Record<string, string> {
  return {
    requirements: 'requirements.txt',
    'layer-name': 'bench',
    publish: 'false',
    'python-version': PYTHON_VERSION,
    cache: 'false',
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
}

async function runOurs(workspace: string, smokeTest: boolean): Promise<Result> {
  const start = performance.now()
  const r = await runAction({ inputs: actionInputs(smokeTest), workspace, env: hermeticEnv() })
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
    unzippedSize: Number(r.outputs['unzipped-size'])
  }
}

/** The seeds' pipeline, as a shell script, so its cost is exactly what they run. */
function seedsScript(runtime: Runtime, python: string): string {
  const platforms = platformTags(runtime, 'x86_64').map(t => `--platform ${t}`)
  return [
    'set -euo pipefail',
    'rm -rf build layer.zip',
    [
      `${python} -m pip install -q -t build/python -r requirements.txt`,
      '--only-binary=:all: --implementation cp',
      `--python-version ${runtime.version}`,
      ...platforms,
      `--index-url ${MIRROR} --extra-index-url ${MIRROR_MORE}`
    ].join(' '),
    'find build -name __pycache__ -prune -exec rm -rf {} +',
    "find build -name '*.pyc' -delete",
    'find build -type d -name tests -prune -exec rm -rf {} +',
    'cd build && zip -r9 -q ../layer.zip python'
  ].join('\n')
}

function runSeeds(workspace: string, script: string): Result {
  const start = performance.now()
  const r = spawnSync('bash', ['-c', script], {
    cwd: workspace,
    env: hermeticEnv(),
    encoding: 'utf8'
  })
  const seconds = (performance.now() - start) / 1000
  if (r.status !== 0) throw new Error(`The seeds' pipeline failed (exit ${r.status}):\n${r.stderr}`)
  return {
    seconds,
    zipSize: statSync(path.join(workspace, 'layer.zip')).size,
    unzippedSize: fileBytes(path.join(workspace, 'build', 'python'))
  }
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
      'smoke-test': { type: 'boolean', default: false }
    }
  })
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
  const smokeTest = values['smoke-test']

  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'layer-bench-build-'))
  // runAction makes its runner directories (RUNNER_TEMP, output files) in os.tmpdir(): keep them in here
  process.env.TMPDIR = work
  const ours = path.join(work, 'ours')
  const seeds = path.join(work, 'seeds')
  for (const dir of [ours, seeds]) {
    await fs.mkdir(dir)
    await fs.writeFile(path.join(dir, 'requirements.txt'), requirements)
  }
  const script = seedsScript(runtime, python)
  console.log(`requirements: ${requirements.trim().split('\n').join(', ')}`)
  console.log(
    `python ${runtime.version} (x86_64), index ${MIRROR} + ${MIRROR_MORE}, ${runs} runs each, alternating`
  )
  console.log(
    `action inputs: ${JSON.stringify(actionInputs(smokeTest))} (the rest: action.yml defaults)`
  )
  const shown = script.replace(/( --platform [^ ]+)+/, ' --platform <each tag of the runtime>')
  console.log(`seeds' pipeline (pip on ${python}):\n${shown}\n`)

  const results = { ours: [] as Result[], seeds: [] as Result[] }
  try {
    for (let run = 0; run < runs; run++) {
      // alternate who goes first, so neither always meets a cold page cache
      const order = run % 2 ? (['seeds', 'ours'] as const) : (['ours', 'seeds'] as const)
      for (const who of order) {
        const r = who === 'ours' ? await runOurs(ours, smokeTest) : runSeeds(seeds, script)
        results[who].push(r)
        console.log(
          `run ${run + 1} ${who.padEnd(5)} ${r.seconds.toFixed(2)} s  zip ${mb(r.zipSize)}, unzipped ${mb(r.unzippedSize)}`
        )
      }
    }
  } finally {
    await fs.rm(work, { recursive: true, force: true })
  }
  const a = median(results.ours.map(r => r.seconds))
  const b = median(results.seeds.map(r => r.seconds))
  console.log(`\nthis action (build only): median ${a.toFixed(2)} s`)
  console.log(`seeds' pipeline:          median ${b.toFixed(2)} s`)
  console.log(`ratio: ${(a / b).toFixed(2)} (target ≤ 0.5, aim 0.25)`)
}

await main()
