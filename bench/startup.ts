// Start-up: where the time before the resolve step goes, for dist/index.js as the runner starts it:
// Node itself (`node -e 0`), loading the bundle (up to run()'s first debug line), reading the inputs
// (up to the Plan group), and the plan with its git processes (up to the Resolve group, when the run
// is stopped). The workspace is a git repository with 300 commits and 30 annotated release tags.
//
//   node --import tsx bench/startup.ts [--runs 10] [--dist dist] [--compare <another dist dir>]
//
// --compare (repeatable) runs other builds of the action (a branch's dist/, say) alternately with it;
// a build without run()'s start line (older ones) shows only the total and the plan.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, promises as fs, readdirSync, readFileSync, statSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { inputEnv } from '../__tests__/helpers/action'
import { median } from './stats'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

interface Startup {
  /** from spawn to run()'s first line, as the child's own clock says */
  load: number
  /** run() started → the Plan group: getInputs() */
  inputs: number
  /** the Plan group → the Resolve group: names, version from git history, S3 key */
  plan: number
  /** spawn → the Resolve group, as this process saw it */
  total: number
  /** git processes the plan ran */
  gitCalls: number
  /** CPU seconds of Node itself up to the resolve step (user + system): what load on the machine inflates least */
  cpu: number
  /** CPU seconds of the child processes it waited for (git) */
  childCpu: number
}

/** utime + stime and cutime + cstime of a live process, in seconds (Linux /proc; NaN elsewhere). */
function cpuOf(pid: number | undefined): { self: number; children: number } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // the fields after the command name, which may hold spaces: state is field 3, utime field 14
    const f = stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number)
    const tick = 100
    return { self: (f[11] + f[12]) / tick, children: (f[13] + f[14]) / tick }
  } catch {
    return { self: NaN, children: NaN }
  }
}

/** A repository like a real one: history, annotated release tags, a requirements file. */
function makeRepository(dir: string): void {
  const git = (...args: string[]) => {
    const r = spawnSync('git', args, {
      cwd: dir,
      encoding: 'utf8',
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 'bench',
        GIT_AUTHOR_EMAIL: 'bench@example.com',
        GIT_COMMITTER_NAME: 'bench',
        GIT_COMMITTER_EMAIL: 'bench@example.com'
      }
    })
    if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`)
  }
  git('init', '-q', '-b', 'main')
  // fast-import: 300 commits in one process (each data block is followed by its optional LF)
  const lines: string[] = []
  for (let i = 1; i <= 300; i++) {
    const content = `change ${i}\n`
    const message = `${i % 7 === 0 ? 'feat' : 'fix'}: change ${i}\n`
    lines.push(
      'commit refs/heads/main',
      `mark :${i}`,
      `committer bench <bench@example.com> ${1700000000 + i * 60} +0000`,
      `data ${Buffer.byteLength(message)}`,
      message,
      ...(i > 1 ? [`from :${i - 1}`] : []),
      `M 644 inline file.txt`,
      `data ${Buffer.byteLength(content)}`,
      content
    )
    if (i % 10 === 0)
      lines.push(
        `tag v1.${i / 10}.0`,
        `from :${i}`,
        `tagger bench <bench@example.com> ${1700000000 + i * 60} +0000`,
        'data 7',
        'release'
      )
  }
  const r = spawnSync('git', ['fast-import', '--quiet'], {
    cwd: dir,
    input: `${lines.join('\n')}\n`
  })
  if (r.status !== 0) throw new Error(`git fast-import: ${r.stderr}`)
  git('checkout', '-q', 'main')
}

/** One start of the action, stopped when it reaches the resolve step. */
function startOnce(entry: string, workspace: string, runnerTemp: string): Promise<Startup> {
  const env: NodeJS.ProcessEnv = {
    ...Object.fromEntries(
      Object.entries(process.env).filter(
        ([k]) => !k.startsWith('INPUT_') && !k.startsWith('GITHUB_')
      )
    ),
    ...inputEnv({
      'layer-name': 'bench',
      publish: 'false',
      cache: 'false',
      'smoke-test': 'false',
      'python-version': '3.11'
    }),
    GITHUB_WORKSPACE: workspace,
    GITHUB_ACTIONS: 'true',
    RUNNER_TEMP: runnerTemp,
    RUNNER_DEBUG: '1'
  }
  delete env.NODE_OPTIONS
  return new Promise((resolve, reject) => {
    const start = performance.now()
    const child = spawn(process.execPath, [entry], {
      cwd: workspace,
      env,
      stdio: ['ignore', 'pipe', 'pipe']
    })
    const at: Record<string, number> = {}
    let load = NaN
    let gitCalls = 0
    let cpu = { self: NaN, children: NaN }
    let buffered = ''
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk
      const lines = buffered.split('\n')
      buffered = lines.pop() ?? ''
      for (const line of lines) {
        const now = performance.now() - start
        const started = /run\(\) started (\d+) ms after the process/.exec(line)
        if (started) {
          load = Number(started[1])
          at.run = now
        }
        if (line.startsWith('::group::Plan')) at.plan = now
        if (line.startsWith('::debug::git ')) gitCalls++
        if (line.startsWith('::group::Resolve')) {
          at.resolve = now
          cpu = cpuOf(child.pid)
          child.kill('SIGKILL')
        }
      }
    })
    child.on('error', reject)
    child.on('close', () => {
      if (at.resolve === undefined)
        return reject(new Error(`${entry} did not reach the resolve step`))
      resolve({
        load: load / 1000,
        inputs: (at.plan - at.run) / 1000,
        plan: (at.resolve - at.plan) / 1000,
        total: at.resolve / 1000,
        gitCalls,
        cpu: cpu.self,
        childCpu: cpu.children
      })
    })
  })
}

function nodeAlone(): number {
  const start = performance.now()
  spawnSync(process.execPath, ['-e', '0'])
  return (performance.now() - start) / 1000
}

/** The bundle's scripts: the one Node parses at start, and the chunks it loads only when needed. */
function bundleSizes(dist: string): string {
  const scripts = readdirSync(dist).filter(f => f.endsWith('.js'))
  const main = statSync(path.join(dist, 'index.js')).size
  const chunks = scripts.filter(f => f !== 'index.js').map(f => statSync(path.join(dist, f)).size)
  const mb = (n: number) => `${(n / 1e6).toFixed(2)} MB`
  return (
    `index.js ${mb(main)}` +
    (chunks.length
      ? ` + ${chunks.length} chunks loaded on use (${mb(chunks.reduce((a, b) => a + b, 0))})`
      : '')
  )
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '10' },
      dist: { type: 'string', default: path.join(ROOT, 'dist') },
      compare: { type: 'string', multiple: true }
    }
  })
  const runs = Number(values.runs)
  const builds = [values.dist, ...(values.compare ?? [])].map(d => path.resolve(d))
  for (const d of builds)
    if (!existsSync(path.join(d, 'index.js')))
      throw new Error(`${d}/index.js does not exist (npm run build)`)
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'layer-bench-startup-'))
  try {
    const workspace = path.join(work, 'repo')
    await fs.mkdir(workspace)
    makeRepository(workspace)
    await fs.writeFile(path.join(workspace, 'requirements.txt'), 'six\n')
    console.log(
      `${runs} starts of each, alternating; the workspace: 300 commits, 30 annotated tags; load average ${os.loadavg()[0].toFixed(1)} on ${os.availableParallelism()} cores`
    )
    const results = builds.map(() => [] as Startup[])
    const bare: number[] = []
    for (let run = 0; run < runs; run++) {
      bare.push(nodeAlone())
      for (const [i, d] of builds.entries())
        results[i].push(
          await startOnce(path.join(d, 'index.js'), workspace, path.join(work, 'temp'))
        )
    }
    console.log(`\nnode -e 0: median ${median(bare).toFixed(3)} s`)
    for (const [i, d] of builds.entries()) {
      const r = results[i]
      const m = (f: (s: Startup) => number) => median(r.map(f)).toFixed(3)
      console.log(`\n${path.relative(process.cwd(), d) || d}: ${bundleSizes(d)}`)
      console.log(`  start-up, spawn → resolve step   ${m(s => s.total)} s   (target ≤ 0.3 s)`)
      const load = Number.isNaN(r[0].load) ? '  —  ' : m(s => s.load)
      console.log(
        `    Node and the bundle (to run())  ${load} s   of which Node alone ~${median(bare).toFixed(3)} s`
      )
      console.log(`    inputs (getInputs)              ${m(s => s.inputs)} s`)
      console.log(`    plan (git: ${r[0].gitCalls} processes)      ${m(s => s.plan)} s`)
      console.log(
        `  CPU: Node ${m(s => s.cpu)} s, git ${m(s => s.childCpu)} s (clock ticks of 10 ms; less inflated by load than the times above)`
      )
    }
    const first = median(results[0].map(s => s.total))
    for (const [i, d] of builds.entries())
      if (i > 0)
        console.log(
          `ratio of ${d} against the first: ${(median(results[i].map(s => s.total)) / first).toFixed(2)}`
        )
  } finally {
    await fs.rm(work, { recursive: true, force: true })
  }
}

await main()
