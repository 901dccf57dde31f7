// The seeds' shell pipeline, the baseline of every bench: pip install -t with the target's platform
// flags, find deleting __pycache__, *.pyc and tests, zip -r9. Run as a shell script, so its cost is
// exactly what they run; asynchronously, since a bench may serve the index from its own process.
import { spawn } from 'node:child_process'
import { statSync } from 'node:fs'
import path from 'node:path'
import { platformTags, type Runtime } from '../src/runtimes'

export function seedsScript(o: {
  runtime: Runtime
  python: string
  index: string
  extraIndex: string
}): string {
  return [
    'set -euo pipefail',
    'rm -rf build layer.zip',
    [
      `${o.python} -m pip install -q -t build/python -r requirements.txt`,
      '--only-binary=:all: --implementation cp',
      `--python-version ${o.runtime.version}`,
      ...platformTags(o.runtime, 'x86_64').map(t => `--platform ${t}`),
      `--index-url ${o.index} --extra-index-url ${o.extraIndex}`
    ].join(' '),
    'find build -name __pycache__ -prune -exec rm -rf {} +',
    "find build -name '*.pyc' -delete",
    'find build -type d -name tests -prune -exec rm -rf {} +',
    'cd build && zip -r9 -q ../layer.zip python'
  ].join('\n')
}

/** Runs the script in `workspace` (which holds requirements.txt); seconds and the zip's size. */
export async function runSeeds(
  workspace: string,
  script: string,
  env: NodeJS.ProcessEnv
): Promise<{ seconds: number; zipSize: number }> {
  const start = performance.now()
  const child = spawn('bash', ['-c', script], { cwd: workspace, env })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const code = await new Promise<number | null>(resolve => child.on('close', resolve))
  if (code !== 0) throw new Error(`The seeds' pipeline failed (exit ${code}):\n${stderr}`)
  return {
    seconds: (performance.now() - start) / 1000,
    zipSize: statSync(path.join(workspace, 'layer.zip')).size
  }
}
