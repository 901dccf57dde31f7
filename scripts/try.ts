/**
 * Try the action end to end without an AWS account: `npm run try` (after `npm ci`).
 *
 * Starts moto_server on 127.0.0.1 (installed into .venv-moto/ when missing), creates a bucket, makes
 * a throw-away git repository with the example requirements and a bare origin, then runs the bundled
 * dist/index.js exactly as the runner does — twice, to show skip-unchanged — and prints the outputs,
 * the tag it pushed and the job summary. pip uses your own configuration to reach an index.
 *
 * Options: --requirements FILE (requirements.txt, pyproject.toml, uv.lock, poetry.lock, Pipfile.lock
 * or pylock.toml: the action tells them apart by name, so the file keeps its name, and a
 * pyproject.toml beside it comes along)  --python-version 3.12  --architecture x86_64|arm64  --keep
 */
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3'
import { execFileSync } from 'node:child_process'
import { lookup } from 'node:dns/promises'
import { existsSync } from 'node:fs'
import { copyFile, mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { ROOT, runAction, type ActionRun } from '../__tests__/helpers/action'
import { startMoto } from '../__tests__/helpers/moto'

const { values: opts } = parseArgs({
  options: {
    requirements: { type: 'string', default: path.join(ROOT, 'example/requirements.txt') },
    'python-version': { type: 'string', default: '3.11' },
    architecture: { type: 'string', default: 'x86_64' },
    keep: { type: 'boolean', default: false }
  }
})

const say = (line = '') => process.stdout.write(`${line}\n`)

async function main(): Promise<number> {
  const entry = path.join(ROOT, 'dist/index.js')
  if (!existsSync(entry)) throw new Error('dist/index.js is missing: run `npm run build` first')

  const dir = await mkdtemp(path.join(os.tmpdir(), 'layer-try-'))
  const workspace = path.join(dir, 'workspace')
  const origin = path.join(dir, 'origin.git')
  const git = (cwd: string, ...args: string[]) =>
    execFileSync('git', args, { cwd, stdio: 'pipe', encoding: 'utf8' }).trim()
  git(dir, 'init', '--quiet', '--bare', '--initial-branch=main', origin)
  git(dir, 'clone', '--quiet', `file://${origin}`, workspace)
  const requirements = await copyInputFile(path.resolve(opts.requirements), workspace)
  const identity = ['-c', 'user.name=You', '-c', 'user.email=you@example.com']
  git(workspace, 'add', '.')
  git(workspace, ...identity, 'commit', '--quiet', '-m', 'feat: a shared layer for our functions')
  git(workspace, 'push', '--quiet', 'origin', 'HEAD:main')

  say('Starting the AWS emulator (moto_server) on 127.0.0.1 …')
  const moto = await startMoto()
  try {
    const s3 = new S3Client({
      region: 'us-east-1',
      endpoint: moto.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }
    })
    await s3.send(new CreateBucketCommand({ Bucket: 'try-layer-artifacts' }))
    say(`Emulator at ${moto.endpoint}; bucket try-layer-artifacts created.`)

    const inputs: Record<string, string> = {
      requirements,
      'layer-name': 'example',
      environment: 'dev',
      bucket: 'try-layer-artifacts',
      region: 'us-east-1',
      'python-version': opts['python-version'],
      architecture: opts.architecture,
      ...(await indexFallback())
    }
    const env = { ...process.env, ...moto.env, ...identityEnv() }

    say(
      `\n── Run 1: build and publish ${Object.entries(inputs)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}`
    )
    const first = await runAction({ inputs, workspace, env, tmp: dir })
    show(first)
    if (first.exitCode !== 0) return first.exitCode
    say(`\nTags on origin: ${git(workspace, 'ls-remote', '--tags', 'origin') || '(none)'}`)

    say('\n── Run 2: same commit, same requirements → byte-identical zip, nothing published')
    const second = await runAction({ inputs, workspace, env, tmp: dir })
    show(second, false)
    return second.exitCode
  } finally {
    await moto.stop()
    if (opts.keep) say(`\nKept ${dir}`)
    else await rm(dir, { recursive: true, force: true })
  }
}

/**
 * The input file into the workspace under its own name (the action reads the format from it), with
 * the pyproject.toml beside it: a pyproject input may name it, and a lock's project is described there.
 */
async function copyInputFile(file: string, workspace: string): Promise<string> {
  const name = path.basename(file)
  await copyFile(file, path.join(workspace, name))
  const pyproject = path.join(path.dirname(file), 'pyproject.toml')
  if (name !== 'pyproject.toml' && existsSync(pyproject))
    await copyFile(pyproject, path.join(workspace, 'pyproject.toml'))
  return name
}

function show(run: ActionRun, summary = true): void {
  const interesting = run.stdout
    .split('\n')
    .filter(l => !l.startsWith('::debug::') && !l.startsWith('::group::') && l !== '::endgroup::')
  say(interesting.join('\n').trim())
  if (run.exitCode !== 0) {
    say(`\nThe action failed (exit ${run.exitCode}):`)
    for (const e of run.errors) say(`  ${e}`)
    say(`\nJob summary (markdown):\n${run.summary}`)
    return
  }
  say('\nOutputs:')
  for (const [k, v] of Object.entries(run.outputs)) say(`  ${k.padEnd(20)} ${v}`)
  if (summary) say(`\nJob summary (markdown):\n${run.summary}`)
}

function identityEnv(): Record<string, string> {
  return {
    GIT_AUTHOR_NAME: 'You',
    GIT_AUTHOR_EMAIL: 'you@example.com',
    GIT_COMMITTER_NAME: 'You',
    GIT_COMMITTER_EMAIL: 'you@example.com'
  }
}

/**
 * With no route to PyPI (an offline machine with a local mirror in pip's configuration), pip would
 * spend minutes retrying pypi.org: point index-url at the configured extra index instead, and say so.
 */
async function indexFallback(): Promise<Record<string, string>> {
  try {
    await lookup('pypi.org')
    return {}
  } catch {
    const extra = execFileSync(
      'python3',
      ['-m', 'pip', 'config', 'get', 'global.extra-index-url'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }
    )
      .split(/\s+/)
      .filter(Boolean)
    if (extra.length === 0) {
      say(
        'pypi.org does not resolve and pip has no extra index configured: pip will fail to find packages.'
      )
      return {}
    }
    say(`pypi.org does not resolve here: using pip's configured index ${extra[0]} as index-url.`)
    return {
      'index-url': extra[0],
      'pip-args': extra
        .slice(1)
        .map(u => `--extra-index-url ${u}`)
        .join(' ')
    }
  }
}

main().then(
  code => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`)
    process.exit(1)
  }
)
