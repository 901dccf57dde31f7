/**
 * A real AWS emulator for integration tests: moto's standalone server on 127.0.0.1. Found as
 * `moto_server`, else `python3 -m moto.server`, else installed into a project-local virtualenv
 * `.venv-moto/` (needs PyPI, once). Each server runs in its own process group, killed as a group.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const VENV = path.join(ROOT, '.venv-moto')

/** moto's default account: every ARN it makes carries it. */
export const MOTO_ACCOUNT = '123456789012'

export interface Moto {
  endpoint: string
  port: number
  /** What a process needs to talk to this server with the SDK's own resolution. */
  env: Record<string, string>
  /** Forgets every resource (POST /moto-api/reset). */
  reset(): Promise<void>
  stop(): Promise<void>
  /** Turns moto's IAM enforcement on (requests must carry an IAM user's key) or off. */
  enforceIam(on: boolean): Promise<void>
  /** One call of IAM's query API (moto does not check the signature); returns the XML body. */
  iam(action: string, params: Record<string, string>): Promise<string>
}

let command: string[] | undefined

function succeeds(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore', timeout: 60_000 })
  return r.status === 0
}

/** The command that starts moto_server here, installing it into .venv-moto/ when none exists. */
export function motoCommand(): string[] {
  if (command) return command
  const venvServer = path.join(VENV, 'bin', 'moto_server')
  if (succeeds('moto_server', ['--help'])) command = ['moto_server']
  else if (succeeds('python3', ['-c', 'import moto.server']))
    command = ['python3', '-m', 'moto.server']
  else if (existsSync(venvServer)) command = [venvServer]
  else {
    // a fresh machine: one-time install, so the suite needs nothing but python3 and PyPI
    if (!existsSync(VENV) && !succeeds('python3', ['-m', 'venv', VENV])) {
      throw new Error(`could not create a virtualenv at ${VENV} (python3 -m venv failed)`)
    }
    const pip = spawnSync(path.join(VENV, 'bin', 'pip'), ['install', '--quiet', 'moto[server]'], {
      stdio: 'inherit',
      timeout: 600_000
    })
    if (pip.status !== 0 || !existsSync(venvServer)) {
      throw new Error(
        `pip install 'moto[server]' into ${VENV} failed; install moto[server] yourself`
      )
    }
    command = [venvServer]
  }
  return command
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

const running = new Set<ChildProcess>()
// a crashed test file must not leave servers behind
process.once('exit', () => {
  for (const child of running) killGroup(child, 'SIGKILL')
})

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
  try {
    process.kill(-child.pid, signal)
  } catch {
    // already gone
  }
}

async function post(url: string, body = ''): Promise<Response> {
  return fetch(url, { method: 'POST', body })
}

/** `env`: moto's own settings for this server (e.g. S3_IGNORE_SUBDOMAIN_BUCKETNAME). */
export async function startMoto(o: { env?: Record<string, string> } = {}): Promise<Moto> {
  const [cmd, ...args] = motoCommand()
  const port = await freePort()
  const endpoint = `http://127.0.0.1:${port}`
  const child = spawn(cmd, [...args, '-H', '127.0.0.1', '-p', String(port)], {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...o.env, MOTO_ACCOUNT_ID: MOTO_ACCOUNT }
  })
  running.add(child)
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000)
  })
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()))

  const deadline = Date.now() + 60_000
  for (;;) {
    if (child.exitCode !== null) {
      running.delete(child)
      throw new Error(`moto_server exited with ${child.exitCode}:\n${stderr}`)
    }
    try {
      if ((await post(`${endpoint}/moto-api/reset`)).ok) break
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      killGroup(child, 'SIGKILL')
      throw new Error(`moto_server did not answer on ${endpoint} within 60 s:\n${stderr}`)
    }
    await new Promise(r => setTimeout(r, 100))
  }

  const stop = async (): Promise<void> => {
    killGroup(child, 'SIGTERM')
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
    running.delete(child)
  }

  return {
    endpoint,
    port,
    env: {
      AWS_ENDPOINT_URL: endpoint,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_REGION: 'us-east-1',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_EC2_METADATA_DISABLED: 'true',
      // the developer's own ~/.aws must not leak into tests
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null'
    },
    async reset() {
      const r = await post(`${endpoint}/moto-api/reset`)
      if (!r.ok) throw new Error(`moto reset failed: ${r.status}`)
    },
    stop,
    async enforceIam(on: boolean) {
      const r = await post(`${endpoint}/moto-api/reset-auth`, on ? '0' : 'inf')
      if (!r.ok) throw new Error(`moto reset-auth failed: ${r.status}`)
    },
    async iam(action: string, params: Record<string, string>) {
      const body = new URLSearchParams({ Action: action, Version: '2010-05-08', ...params })
      const r = await fetch(endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          // moto routes by the credential scope; it does not verify the signature
          authorization:
            'AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/iam/aws4_request, ' +
            'SignedHeaders=host, Signature=0'
        },
        body
      })
      const text = await r.text()
      if (!r.ok) throw new Error(`IAM ${action} failed: ${r.status} ${text}`)
      return text
    }
  }
}

/** Sets environment variables in this process; returns a function that restores the old values. */
export function setEnv(vars: Record<string, string | undefined>): () => void {
  const saved = Object.keys(vars).map(k => [k, process.env[k]] as const)
  for (const [k, v] of Object.entries(vars)) {
    if (v === undefined) delete process.env[k]
    else process.env[k] = v
  }
  return () => {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  }
}
