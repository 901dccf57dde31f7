// The same real-size layer built two ways through dist/index.js (publish: false, cache off): from a
// requirements.txt (pip resolves and downloads) and from a pylock.toml of the very files pip chose
// (fetched and hash-checked, no resolver). Alternating runs; medians.
//
//   node --import tsx bench/lock.ts [--runs 3]
//
// Needs dist/index.js (npm run build) and the machine's wheel mirror (/opt/pypi/simple). The lock is
// written here from pip's download (file: URLs, sha256): a benchmark input, not a format fixture.
import { createHash } from 'node:crypto'
import { existsSync, promises as fs } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { runAction } from '../__tests__/helpers/action'
import { hermeticPipEnv } from '../__tests__/helpers/pip-env'
import { findRuntime, type Runtime } from '../src/runtimes'
import { parseDistributionFile } from '../src/python/wheel-tags'
import { median } from './stats'
import { downloadWheels, MIRROR, MIRROR_MORE } from './wheels'

const PYTHON_VERSION = '3.11'
const REQUIREMENTS = ['boto3', 'pandas', 'numpy', 'lxml', 'sqlalchemy', 'pydantic', 'pillow']

async function writeLock(workspace: string, runtime: Runtime): Promise<number> {
  const dl = path.join(workspace, 'dl')
  downloadWheels(dl, REQUIREMENTS, runtime)
  const lines = [
    "lock-version = '1.0'",
    `requires-python = '>= ${PYTHON_VERSION}'`,
    "created-by = 'bench'"
  ]
  const files = (await fs.readdir(dl)).sort()
  for (const file of files) {
    const d = parseDistributionFile(file)
    if (!d) continue
    const sha = createHash('sha256')
      .update(await fs.readFile(path.join(dl, file)))
      .digest('hex')
    lines.push(
      '',
      '[[packages]]',
      `name = '${d.project}'`,
      `version = '${d.version}'`,
      'wheels = [',
      `  {name = '${file}', url = '${pathToFileURL(path.join(dl, file)).href}', hashes = {sha256 = '${sha}'}},`,
      ']'
    )
  }
  await fs.writeFile(path.join(workspace, 'pylock.toml'), lines.join('\n') + '\n')
  await fs.writeFile(path.join(workspace, 'requirements.txt'), REQUIREMENTS.join('\n') + '\n')
  return files.length
}

async function runOnce(workspace: string, requirements: string): Promise<number> {
  const start = performance.now()
  const r = await runAction({
    inputs: {
      requirements,
      'layer-name': 'bench',
      publish: 'false',
      'python-version': PYTHON_VERSION,
      cache: 'false',
      'index-url': MIRROR,
      'pip-args': `--extra-index-url ${MIRROR_MORE}`,
      'smoke-test': 'false'
    },
    workspace,
    env: hermeticPipEnv()
  })
  if (r.exitCode !== 0)
    throw new Error(`${requirements}: ${r.errors.join('; ')}\n${r.stdout.slice(-2000)}`)
  return (performance.now() - start) / 1000
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' } } })
  if (!existsSync('dist/index.js')) throw new Error('dist/index.js is missing: npm run build')
  const runtime = findRuntime(PYTHON_VERSION) as Runtime
  const workspace = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-lock-'))
  try {
    const count = await writeLock(workspace, runtime)
    const times: Record<string, number[]> = { 'requirements.txt': [], 'pylock.toml': [] }
    for (let i = 0; i < Number(values.runs); i++) {
      for (const file of Object.keys(times)) times[file].push(await runOnce(workspace, file))
    }
    console.log(
      `${REQUIREMENTS.join(', ')}: ${count} wheels, python${PYTHON_VERSION} x86_64, ${values.runs} runs each`
    )
    for (const [file, t] of Object.entries(times))
      console.log(
        `  ${file.padEnd(17)} median ${median(t).toFixed(1)} s  (${t.map(x => x.toFixed(1)).join(', ')})`
      )
  } finally {
    await fs.rm(workspace, { recursive: true, force: true })
  }
}

await main()
