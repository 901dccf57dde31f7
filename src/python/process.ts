/**
 * The one way this action runs a child process (pip, python, git): arguments as an array (no
 * shell), output collected and handed over line by line as it arrives, an optional deadline.
 */
import { spawn } from 'node:child_process'
import { LayerActionError, messageOf } from '../errors'

export interface ProcessResult {
  /** the exit code; 128 + n for a signal, as a shell reports it */
  readonly code: number
  readonly stdout: string
  readonly stderr: string
  /** killed because `timeoutMs` passed */
  readonly timedOut: boolean
}

export interface ProcessOptions {
  readonly env?: NodeJS.ProcessEnv
  readonly cwd?: string
  /** each output line (no trailing newline, `\r` removed) as it arrives */
  readonly onLine?: (line: string, stream: 'stdout' | 'stderr') => void
  /** the process is killed (SIGKILL) when it runs longer */
  readonly timeoutMs?: number
  /** written to its stdin, which is then closed (without it, stdin is closed at once) */
  readonly input?: string
}

/** The command could not be started at all (not installed, not executable). */
export class ProcessStartError extends LayerActionError {
  /** the system's reason: `ENOENT` when the command is not there */
  readonly errno?: string

  constructor(
    readonly command: string,
    cause: unknown
  ) {
    super(`Could not run ${command}: ${messageOf(cause)}`, { cause })
    this.errno = (cause as NodeJS.ErrnoException | undefined)?.code
  }
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 }

export function runProcess(
  command: string,
  args: readonly string[],
  o: ProcessOptions = {}
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], {
      env: o.env ?? process.env,
      cwd: o.cwd,
      stdio: 'pipe'
    })
    // a child may exit before reading its stdin (e.g. a bad argument): its exit code says so
    child.stdin.on('error', () => undefined)
    child.stdin.end(o.input)
    const output = { stdout: '', stderr: '' }
    let timedOut = false
    const timer =
      o.timeoutMs !== undefined
        ? setTimeout(() => {
            timedOut = true
            child.kill('SIGKILL')
          }, o.timeoutMs)
        : undefined
    for (const stream of ['stdout', 'stderr'] as const) {
      let pending = ''
      const emit = (line: string): void => o.onLine?.(line.replace(/\r/g, ''), stream)
      child[stream].setEncoding('utf8')
      child[stream].on('data', (chunk: string) => {
        output[stream] += chunk
        if (!o.onLine) return
        const lines = (pending + chunk).split('\n')
        pending = lines.pop() ?? ''
        lines.forEach(emit)
      })
      child[stream].on('end', () => {
        if (pending) emit(pending)
        pending = ''
      })
    }
    child.on('error', error => {
      clearTimeout(timer)
      reject(new ProcessStartError(command, error))
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({
        code: code ?? 128 + (SIGNALS[signal ?? ''] ?? 1),
        ...output,
        timedOut
      })
    })
  })
}
