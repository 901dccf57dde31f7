/**
 * One clean interpreter of the smoke test (`-I -S -B`, sys.path = the layer + the standard library)
 * that imports the modules it is sent, one at a time, and answers each with its verdict; or dies
 * trying (a crash, a hang killed after the timeout), which the caller learns as a Death.
 */
import * as core from '@actions/core'
import { spawn, type ChildProcess } from 'node:child_process'
import type { Readable, Writable } from 'node:stream'

/**
 * The worker, Python 3.8 syntax. Module names arrive on fd 3, one per line; one JSON line per
 * module goes back on fd 4, so what an import prints to stdout never mixes with the verdicts.
 */
export const IMPORTER = `
import json, os, sys, time, traceback
layer = sys.argv[1]
# top-level names of the layer that are not extracted: an import or a read of one makes the run incomplete
absent = set(json.loads(sys.argv[2])) if len(sys.argv) > 2 else set()
sys.path[:] = [layer] + [p for p in sys.path if p and os.path.isabs(p)]
roots = tuple(set([layer + os.sep, os.path.realpath(layer) + os.sep]))
commands = os.fdopen(3, 'r', encoding='utf-8')
results = os.fdopen(4, 'w', encoding='utf-8')
# every file of the layer this interpreter read, listed or mapped so far, relative to the layer
touched, reported, missing = set(), set(), set()
def note(p):
    try:
        p = os.fsdecode(os.fspath(p))
    except TypeError:
        return
    p = os.path.normpath(os.path.join(os.getcwd(), p))
    for root in roots:
        if p.startswith(root):
            rel = p[len(root):].replace(os.sep, '/')
            touched.add(rel)
            if rel.split('/')[0] in absent:
                missing.add(rel.split('/')[0])
def audit(event, args):
    if event in ('open', 'os.listdir', 'os.scandir', 'ctypes.dlopen') and args and args[0] is not None and not isinstance(args[0], int):
        note(args[0])
sys.addaudithook(audit)
class Absent(object):
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name.partition('.')[0] in absent:
            missing.add(name.partition('.')[0])
        return None
sys.meta_path.insert(0, Absent)
def seen():
    for m in list(sys.modules.values()):
        f = getattr(m, '__file__', None)
        if isinstance(f, str):
            note(f)
    try:
        with open('/proc/self/maps') as maps:
            for line in maps:
                parts = line.split(None, 5)
                if len(parts) == 6:
                    note(parts[5].strip())
    except OSError:
        pass
    new = sorted(touched - reported)
    reported.update(new)
    return {'files': new, 'missing': sorted(missing)}
def emit(record):
    results.write(json.dumps(record) + '\\n')
    results.flush()
emit({'ready': True})
for line in commands:
    name = line.strip()
    if not name:
        break
    started, cpu = time.perf_counter(), time.process_time()
    try:
        __import__(name)
        record = {'ok': name, 'seconds': time.perf_counter() - started, 'cpu': time.process_time() - cpu}
    except BaseException as e:
        frames = [f for f in traceback.extract_tb(e.__traceback__) if f.filename.startswith(layer + os.sep)]
        where = ''
        if frames:
            where = ' (%s, line %s)' % (os.path.relpath(frames[-1].filename, os.path.dirname(layer)), frames[-1].lineno)
        text = str(e).strip().splitlines()
        record = {'fail': name, 'error': '%s: %s%s' % (type(e).__name__, text[0] if text else '', where), 'seconds': time.perf_counter() - started, 'cpu': time.process_time() - cpu}
    record.update(seen())
    emit(record)
t = os.times()
emit({'end': True, 'cpu': t.user + t.system})
# threads or atexit hooks an import left behind must not keep the test waiting
os._exit(0)
`

export interface Verdict {
  ready?: boolean
  ok?: string
  fail?: string
  error?: string
  seconds?: number
  cpu?: number
  end?: boolean
  /** files of the layer (relative to python/) first read, listed or mapped by this interpreter during this import */
  files?: string[]
  /** top-level names left out of the extraction that this interpreter has asked for so far */
  missing?: string[]
}

/** How an interpreter ended. */
export interface Death {
  code: number | null
  signal: NodeJS.Signals | null
  timedOut: boolean
  /** it was already gone when the module was sent: an earlier import left something that killed it */
  before?: boolean
}

export const isDeath = (v: Verdict | Death): v is Death => 'timedOut' in v

/** One interpreter: takes one module at a time, answers with its verdict or dies trying. */
export class Worker {
  private readonly child: ChildProcess
  private readonly commands: Writable
  private buffered = ''
  private stderr = ''
  private waiting?: (v: Verdict | Death) => void
  private death?: Death
  private timedOut = false
  /** resolves once the process has exited and its verdicts are read */
  private readonly ended: Promise<void>
  cpu = 0

  constructor(
    interpreter: string,
    pythonDir: string,
    env: NodeJS.ProcessEnv,
    cwd: string,
    absent: readonly string[] = []
  ) {
    this.child = spawn(
      interpreter,
      ['-I', '-S', '-B', '-c', IMPORTER, pythonDir, JSON.stringify(absent)],
      {
        env,
        cwd,
        stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe']
      }
    )
    this.commands = this.child.stdio[3] as Writable
    // a worker killed mid-write must not throw EPIPE at us: its death is reported by 'exit'
    this.commands.on('error', () => undefined)
    const results = this.child.stdio[4] as Readable
    results.setEncoding('utf8')
    results.on('data', (chunk: string) => this.read(chunk))
    this.child.stdout?.on('data', d => core.debug(`smoke test output: ${String(d).trimEnd()}`))
    this.child.stderr?.on('data', d => (this.stderr = (this.stderr + String(d)).slice(-4000)))
    this.ended = new Promise(resolve => {
      const end = (d: Death) => {
        this.die(d)
        resolve()
      }
      this.child.on('error', error => {
        this.stderr += error.message
        end({ code: 127, signal: null, timedOut: false })
      })
      this.child.on('exit', (code, signal) => {
        const d = { code, signal, timedOut: this.timedOut }
        // verdicts written just before the end may still be in the pipe: read them first, unless
        // a process the import started holds the pipe open
        if (results.readableEnded || results.destroyed) return end(d)
        results.once('close', () => end(d))
        setTimeout(() => results.destroy(), 1000).unref()
      })
    })
  }

  private read(chunk: string): void {
    this.buffered += chunk
    let newline: number
    while ((newline = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, newline)
      this.buffered = this.buffered.slice(newline + 1)
      const verdict = JSON.parse(line) as Verdict
      if (verdict.end) this.cpu = verdict.cpu ?? 0
      else this.answer(verdict)
    }
  }

  private answer(v: Verdict | Death): void {
    const waiting = this.waiting
    this.waiting = undefined
    waiting?.(v)
  }

  private die(d: Death): void {
    if (this.death) return
    this.death = d
    this.answer(d)
  }

  /** The next answer, killing the interpreter when none comes within `timeoutMs`. */
  private async next(timeoutMs: number): Promise<Verdict | Death> {
    if (this.death) return { ...this.death, before: true }
    const answer = new Promise<Verdict | Death>(resolve => (this.waiting = resolve))
    const timer = setTimeout(() => {
      this.timedOut = true
      this.child.kill('SIGKILL')
    }, timeoutMs)
    try {
      return await answer
    } finally {
      clearTimeout(timer)
    }
  }

  /** Resolves once the interpreter is up, or with how it died before. */
  started(timeoutMs: number): Promise<Verdict | Death> {
    return this.next(timeoutMs)
  }

  /** Imports `module`: its verdict, or how the interpreter died. */
  import(module: string, timeoutMs: number): Promise<Verdict | Death> {
    if (!this.death) this.commands.write(`${module}\n`)
    return this.next(timeoutMs)
  }

  lastErrors(): string {
    return this.stderr.trim().split('\n').slice(-3).join(' ')
  }

  /** No more modules: the interpreter reports its CPU time and exits. Resolves with how it ended. */
  async close(): Promise<Death | undefined> {
    this.commands.end()
    const killer = setTimeout(() => this.child.kill('SIGKILL'), 10000)
    await this.ended
    clearTimeout(killer)
    return this.death
  }
}
