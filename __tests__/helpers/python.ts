/** The Lambda Python version this machine can run, so tests can smoke-test what they build. */
import { spawnSync } from 'node:child_process'
import { RUNTIMES, runtimeStatus } from '../../src/runtimes'

function versionOf(command: string): string | undefined {
  const r = spawnSync(command, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], {
    encoding: 'utf8'
  })
  return r.status === 0 ? r.stdout.trim() : undefined
}

let cached: string | undefined

/** The newest non-blocked Lambda runtime whose `python3.X` (or `python3`) runs here; else 3.12. */
export function localPython(): string {
  if (cached) return cached
  const python3 = versionOf('python3')
  const usable = RUNTIMES.filter(r => runtimeStatus(r) !== 'blocked')
    .map(r => r.version)
    .reverse()
  cached = usable.find(v => python3 === v || versionOf(`python${v}`) === v) ?? '3.12'
  return cached
}
