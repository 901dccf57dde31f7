/**
 * The lock fixtures of __tests__/fixtures/locks/ (one project locked by uv, Poetry 2, Pipenv and
 * PEP 751, each in its tool's real format: see the header of each file and the README there) are
 * templates: `{{index}}`, `{{url:<file>}}`, `{{sha256:<file>}}`, `{{size:<file>}}` are filled from
 * the wheels a test generates and the index it serves.
 */
import { createHash } from 'node:crypto'
import { promises as fs, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { WheelSpec } from './wheels'

export const LOCK_FIXTURES = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'fixtures',
  'locks'
)

export const LOCK_FILES = {
  uv: 'uv.lock',
  poetry: 'poetry.lock',
  pipfile: 'Pipfile.lock',
  pylock: 'pylock.toml'
} as const

export type LockKind = keyof typeof LOCK_FILES

export const LOCK_KINDS: LockKind[] = ['uv', 'poetry', 'pipfile', 'pylock']

/** What every fixture locks for python3.12 x86_64 with the `speedups` extra (group, for Pipfile.lock). */
export const LOCKED_WHEELS = [
  'depdep-1.0-py3-none-any.whl',
  'extrapkg-1.0-py3-none-any.whl',
  // the best of six wheels for python3.12 x86_64, as pip would pick
  'fastpkg-2.0-cp312-cp312-manylinux_2_28_x86_64.whl',
  'plainpkg-1.0-py3-none-any.whl'
]

const FAST_TAGS = [
  'cp312-cp312-manylinux_2_17_aarch64.manylinux2014_aarch64',
  'cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64',
  'cp312-cp312-manylinux_2_28_x86_64',
  'cp312-cp312-musllinux_1_2_x86_64',
  'cp312-cp312-win_amd64',
  'cp39-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64'
]

/**
 * The project: lambda-app depends on plainpkg (→ depdep), fastpkg (compiled, six wheels), winonly
 * (`sys_platform == 'win32'`) and backport (`python_version < '3.11'`); extra `speedups` adds
 * extrapkg; group `dev` adds devtool. Newer versions of plainpkg, depdep, fastpkg and devtool are on
 * the index too: a lock must never pick them.
 */
export const PROJECT_WHEELS: WheelSpec[] = [
  { name: 'plainpkg', version: '1.0', tags: 'py3-none-any', requires: ['depdep>=1.0'] },
  { name: 'plainpkg', version: '1.1', tags: 'py3-none-any', requires: ['depdep>=1.0'] },
  { name: 'depdep', version: '1.0', tags: 'py3-none-any' },
  { name: 'depdep', version: '1.1', tags: 'py3-none-any' },
  ...FAST_TAGS.map(tags => ({
    name: 'fastpkg',
    version: '2.0',
    tags,
    modules: { 'fastpkg/__init__.py': `TAG = '${tags}'\n` }
  })),
  {
    name: 'fastpkg',
    version: '2.1',
    tags: 'cp312-cp312-manylinux_2_28_x86_64',
    modules: { 'fastpkg/__init__.py': "TAG = 'newer'\n" }
  },
  { name: 'winonly', version: '1.0', tags: 'py3-none-any' },
  { name: 'backport', version: '1.0', tags: 'py3-none-any' },
  { name: 'devtool', version: '1.0', tags: 'py3-none-any' },
  { name: 'devtool', version: '1.1', tags: 'py3-none-any' },
  { name: 'extrapkg', version: '1.0', tags: 'py3-none-any' }
]

export interface FileFacts {
  sha256: string
  size: number
}

export async function factsOf(files: readonly string[]): Promise<Map<string, FileFacts>> {
  const facts = new Map<string, FileFacts>()
  for (const file of files) {
    const data = await fs.readFile(file)
    facts.set(path.basename(file), {
      sha256: createHash('sha256').update(data).digest('hex'),
      size: data.length
    })
  }
  return facts
}

/** Fills a fixture: `index` is the simple index URL, files live at `filesUrl + <name>`. */
export function renderLock(
  kind: LockKind,
  o: { index: string; filesUrl: string; facts: ReadonlyMap<string, FileFacts> }
): string {
  const template = readFileSync(path.join(LOCK_FIXTURES, LOCK_FILES[kind]), 'utf8')
  return template.replace(
    /\{\{(index|url|sha256|size)(?::([^}]+))?\}\}/g,
    (_m, what: string, file?: string) => {
      if (what === 'index') return o.index
      const f = o.facts.get(file ?? '')
      if (!f) throw new Error(`fixture ${kind} names ${file}, which the test did not generate`)
      if (what === 'url') return `${o.filesUrl}${encodeURIComponent(file ?? '')}`
      return what === 'sha256' ? f.sha256 : String(f.size)
    }
  )
}

/** Placeholder facts, for tests that only read a lock (no file is fetched). */
export function dummyFacts(): Map<string, FileFacts> {
  const facts = new Map<string, FileFacts>()
  for (const w of PROJECT_WHEELS) {
    const file = `${w.name}-${w.version}-${w.tags}.whl`
    facts.set(file, { sha256: createHash('sha256').update(file).digest('hex'), size: 1000 })
  }
  return facts
}
