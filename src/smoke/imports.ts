/**
 * Imports top-level modules in clean interpreters (./worker.ts), one per core up to a cap, each
 * taking the next module from a shared queue, heaviest first. Every module gets its own verdict: an
 * import that raises, exits, crashes the interpreter or hangs is recorded against that module, and
 * a fresh interpreter goes on with the rest. Each verdict comes with the layer's files its
 * interpreter had touched by then (what per-module verdicts depend on).
 */
import * as core from '@actions/core'
import { promises as fs } from 'node:fs'
import os from 'node:os'
import * as path from 'node:path'
import { LayerActionError } from '../errors'
import { isDeath, Worker } from './worker'
import { workerCommand, type Interpreter } from './interpreter'

export interface SmokeFailure {
  module: string
  error: string
}

export interface ImportTiming {
  module: string
  seconds: number
  /** CPU seconds of the import (user + system, the modules it imported included) */
  cpu: number
}

export interface ImportResult {
  failures: SmokeFailure[]
  /** each module's import time, in the interpreter that imported it, slowest first */
  timings: ImportTiming[]
  /** interpreters run side by side */
  workers: number
  /** CPU seconds of all interpreters together (user + system), as they report at their end */
  cpuSeconds: number
  /**
   * module → every file of the layer (relative to python/) its interpreter had read, listed or
   * mapped by the end of its import, its own and those of the imports before it there: all the
   * layer's code that ran in that interpreter, so all that could have changed its verdict
   */
  observed: Map<string, Set<string>>
  /** modules whose interpreter asked, by then, for a top-level name left out of the extraction (`absent`) */
  incomplete: Set<string>
}

/** Interpreters side by side at most: imports are CPU-bound, and each holds what it imported in memory. */
export const MAX_WORKERS = 8
export const DEFAULT_IMPORT_TIMEOUT_MS = 300000

/** Interpreters for `modules` here: one per core, up to MAX_WORKERS, never more than modules. */
export function workerCount(modules: number, cap = MAX_WORKERS): number {
  return Math.max(1, Math.min(cap, os.availableParallelism(), modules))
}

/**
 * Imports each of `modules` (in this order, spread over the interpreters as they free up) with only
 * `pythonDir` and the standard library on sys.path. Import failures come back in `failures`, one per
 * module; an interpreter that cannot start at all is a LayerActionError.
 */
export async function importModules(o: {
  interpreter: string
  pythonDir: string
  modules: readonly string[]
  env: NodeJS.ProcessEnv
  /** the interpreters' working directory (nothing is written there: -B) */
  cwd: string
  /** per import: one still running then counts as failed */
  timeoutMs?: number
  workers?: number
  /** top-level names of the layer not extracted: a module whose interpreter asks for one is incomplete */
  absent?: readonly string[]
  /** each module in an interpreter of its own: what it touched is all its own (`observed`) */
  isolated?: boolean
}): Promise<ImportResult> {
  const timeoutMs = o.timeoutMs ?? DEFAULT_IMPORT_TIMEOUT_MS
  const queue = [...o.modules]
  const failures: SmokeFailure[] = []
  const timings: ImportTiming[] = []
  let cpuSeconds = 0
  const observed = new Map<string, Set<string>>()
  const incomplete = new Set<string>()
  const workers = Math.min(o.workers ?? workerCount(queue.length), Math.max(1, queue.length))

  const start = async (): Promise<Worker> => {
    const worker = new Worker(o.interpreter, o.pythonDir, o.env, o.cwd, o.absent)
    const up = await worker.started(timeoutMs)
    if (isDeath(up))
      throw new LayerActionError(
        `The smoke test interpreter ${o.interpreter} failed before importing anything ` +
          `(${up.timedOut ? 'it did not start in time' : up.signal ? `signal ${up.signal}` : `exit code ${up.code}`}): ${worker.lastErrors()}`
      )
    return worker
  }
  const how = (d: { signal: NodeJS.Signals | null; code: number | null }) =>
    d.signal ? `signal ${d.signal}` : `exit code ${d.code}`

  const lane = async (): Promise<void> => {
    let worker: Worker | undefined
    let last: string | undefined
    // what this lane's interpreter has touched so far: a new interpreter starts with nothing
    let touched = new Set<string>()
    try {
      for (let module = queue.shift(); module !== undefined; module = queue.shift()) {
        if (!worker) {
          worker = await start()
          touched = new Set()
        }
        const v = await worker.import(module, timeoutMs)
        if (!isDeath(v)) {
          for (const f of v.files ?? []) touched.add(f)
          observed.set(module, new Set(touched))
          if ((v.missing ?? []).length > 0) incomplete.add(module)
          timings.push({ module, seconds: v.seconds ?? 0, cpu: v.cpu ?? 0 })
          if (v.fail) failures.push({ module, error: v.error ?? 'import failed' })
          last = module
          if (o.isolated) {
            // its interpreter ends here: a crash on the way out is this module's too
            const end = await worker.close()
            cpuSeconds += worker.cpu
            worker = undefined
            if (end && (end.signal || end.code !== 0) && !v.fail)
              failures.push({
                module,
                error: `the import returned, then its interpreter crashed (${how(end)})`
              })
          }
          continue
        }
        core.debug(`smoke test: an interpreter ended: ${worker.lastErrors()}`)
        worker = undefined
        if (v.before && last !== undefined) {
          // gone before this module was sent: what the previous import left running killed it
          const previous = last
          if (!failures.some(f => f.module === previous))
            failures.push({
              module: previous,
              error: `the import returned, then its interpreter crashed (${how(v)})`
            })
          queue.unshift(module)
          last = undefined
          continue
        }
        // the interpreter died inside this import: record it, go on with the rest in a new one
        failures.push({
          module,
          error: v.timedOut
            ? `the import did not finish within ${Math.round(timeoutMs / 1000)} s`
            : `the interpreter crashed while importing it (${how(v)})`
        })
      }
    } finally {
      if (worker) {
        await worker.close()
        cpuSeconds += worker.cpu
      }
    }
  }

  await Promise.all(Array.from({ length: workers }, lane))
  failures.sort((a, b) => (a.module < b.module ? -1 : a.module > b.module ? 1 : 0))
  timings.sort((a, b) => b.seconds - a.seconds)
  return { failures, timings, workers, cpuSeconds, observed, incomplete }
}

/** What the imports of one smoke test found. */
export interface Imported {
  interpreter: string
  python: string
  /** the modules imported (not those whose verdict was kept) */
  modules: string[]
  failures: SmokeFailure[]
  workers: number
  timings: ImportTiming[]
  /** module → the files of the layer its interpreter had touched by the end of its import */
  observed: Map<string, Set<string>>
  /** modules whose interpreter asked for a name not extracted */
  incomplete: Set<string>
  /** each module was imported in an interpreter of its own */
  isolated: boolean
}

/**
 * Imports `modules` from `<layerDir>/python` and says so in the log. Never throws for import
 * failures: they come back in `failures`, one per module.
 */
export async function importLayer(
  layerDir: string,
  interpreter: Interpreter,
  o: {
    modules: string[]
    env: NodeJS.ProcessEnv
    timeoutMs?: number
    workers?: number
    absent?: readonly string[]
    isolated?: boolean
  }
): Promise<Imported> {
  const started = performance.now()
  const cwd = await fs.mkdtemp(path.join(os.tmpdir(), 'layer-smoke-'))
  try {
    const r = await importModules({
      interpreter: await workerCommand(interpreter, o.env),
      pythonDir: path.resolve(layerDir, 'python'),
      modules: o.modules,
      env: o.env,
      cwd,
      timeoutMs: o.timeoutMs,
      workers: o.workers,
      absent: o.absent,
      isolated: o.isolated
    })
    const seconds = (performance.now() - started) / 1000
    core.info(
      `Smoke test with ${interpreter.path} (${interpreter.version}, ${r.workers} side by side): ` +
        `${o.modules.length - r.failures.length} of ${o.modules.length} top-level modules import ` +
        `(${seconds.toFixed(2)} s, ${r.cpuSeconds.toFixed(2)} s CPU)`
    )
    core.debug(
      `slowest imports: ${r.timings
        .slice(0, 10)
        .map(t => `${t.module} ${t.seconds.toFixed(2)} s`)
        .join(', ')}`
    )
    return {
      interpreter: interpreter.path,
      python: interpreter.version,
      modules: o.modules,
      failures: r.failures,
      workers: r.workers,
      timings: r.timings,
      observed: r.observed,
      incomplete: r.incomplete,
      isolated: !!o.isolated
    }
  } finally {
    await fs.rm(cwd, { recursive: true, force: true })
  }
}
