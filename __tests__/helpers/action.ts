/**
 * Drives the action the way the runner does: every input of action.yml becomes an INPUT_<NAME>
 * variable, with action.yml's default where the workflow gives none; outputs and the job summary
 * are files the action appends to, read back here.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

interface ActionYml {
  inputs: Record<string, { default?: string; required?: boolean }>
  outputs: Record<string, { description: string }>
}

export const actionYml = parse(readFileSync(path.join(ROOT, 'action.yml'), 'utf8')) as ActionYml

/** INPUT_* variables for the given inputs, with action.yml's defaults filled in as the runner does. */
export function inputEnv(given: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [name, spec] of Object.entries(actionYml.inputs)) {
    let value = given[name] ?? spec.default ?? ''
    // the runner evaluates expressions in defaults; locally there is no github context
    if (value.includes('${{')) value = ''
    env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value
  }
  for (const name of Object.keys(given)) {
    if (!(name in actionYml.inputs)) throw new Error(`action.yml has no input '${name}'`)
  }
  return env
}

/** Sets INPUT_* in this process (for getInputs() in unit tests) and returns a function that undoes it. */
export function setInputs(given: Record<string, string>): () => void {
  const env = inputEnv(given)
  const saved = Object.keys(env).map(k => [k, process.env[k]] as const)
  Object.assign(process.env, env)
  return () => {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  }
}

/** Parses a GITHUB_OUTPUT file: `name=value` lines and `name<<DELIMITER` blocks. */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {}
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const heredoc = /^([^=<]+)<<(.+)$/.exec(lines[i])
    if (heredoc) {
      const body: string[] = []
      while (++i < lines.length && lines[i] !== heredoc[2]) body.push(lines[i])
      outputs[heredoc[1]] = body.join('\n')
    } else if (lines[i].includes('=')) {
      const at = lines[i].indexOf('=')
      outputs[lines[i].slice(0, at)] = lines[i].slice(at + 1)
    }
  }
  return outputs
}

export interface ActionRun {
  exitCode: number
  stdout: string
  stderr: string
  outputs: Record<string, string>
  summary: string
  /** the `::error::` lines, with their message decoded */
  errors: string[]
}

/**
 * Runs the bundled dist/index.js under `node` (the runner's way) in `workspace`.
 * `env` is the whole environment of the process apart from INPUT_* and GITHUB_* files.
 */
export async function runAction(o: {
  inputs: Record<string, string>
  workspace: string
  env: NodeJS.ProcessEnv
  entry?: string
  node?: string
  /** where the run's RUNNER_TEMP and files go (remove it yourself: the zip stays there); default os.tmpdir() */
  tmp?: string
  /** RUNNER_TEMP, when runs must share it as a runner's jobs do (the Actions cache keys paths); default a new one in `tmp` */
  runnerTemp?: string
  /** each line of stdout as it arrives, with milliseconds since the start (benches time phases by it) */
  onLine?: (line: string, ms: number) => void
  /** RUNNER_DEBUG=1 (the default here); benches turn it off to time the run as users have it */
  debug?: boolean
}): Promise<ActionRun> {
  const dir = await mkdtemp(path.join(o.tmp ?? os.tmpdir(), 'layer-runner-'))
  const outputFile = path.join(dir, 'output')
  const summaryFile = path.join(dir, 'summary')
  await writeFile(outputFile, '')
  await writeFile(summaryFile, '')
  const env: NodeJS.ProcessEnv = {
    ...Object.fromEntries(Object.entries(o.env).filter(([k]) => !k.startsWith('INPUT_'))),
    ...inputEnv(o.inputs),
    GITHUB_WORKSPACE: o.workspace,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_ACTIONS: 'true',
    RUNNER_TEMP: o.runnerTemp ?? path.join(dir, 'temp'),
    RUNNER_DEBUG: o.debug === false ? '' : '1'
  }
  // LAYER_ACTION_NODE runs the bundle under another Node, e.g. 24 as the runner does
  const child = spawn(
    o.node ?? process.env.LAYER_ACTION_NODE ?? process.execPath,
    [o.entry ?? path.join(ROOT, 'dist/index.js')],
    {
      cwd: o.workspace,
      env,
      stdio: ['ignore', 'pipe', 'pipe']
    }
  )
  let stdout = ''
  let stderr = ''
  const started = performance.now()
  let partial = ''
  child.stdout.on('data', d => {
    stdout += d
    if (!o.onLine) return
    const lines = (partial + String(d)).split('\n')
    partial = lines.pop() ?? ''
    for (const line of lines) o.onLine(line, performance.now() - started)
  })
  child.stderr.on('data', d => (stderr += d))
  const exitCode: number = await new Promise(resolve =>
    child.on('close', code => resolve(code ?? 1))
  )
  const errors = stdout
    .split('\n')
    .filter(l => l.startsWith('::error'))
    .map(l => decodeCommand(l.slice(l.indexOf('::', 2) + 2)))
  return {
    exitCode,
    stdout,
    stderr,
    outputs: parseOutputFile(await readFile(outputFile, 'utf8')),
    summary: await readFile(summaryFile, 'utf8'),
    errors
  }
}

function decodeCommand(s: string): string {
  return s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%')
}

/** The run itself, after asserting it succeeded (the errors and the log's tail say why not). */
export function ok(r: ActionRun): ActionRun {
  assert.equal(r.exitCode, 0, `the action failed: ${r.errors.join('\n')}\n${r.stdout.slice(-3000)}`)
  return r
}
