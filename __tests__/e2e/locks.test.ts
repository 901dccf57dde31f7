/**
 * End to end with a lock: the bundled dist/index.js, run as the runner runs it, reads a uv.lock and
 * a Pipfile.lock (fixtures in __tests__/fixtures/locks/, each in its tool's real format: see their
 * headers and README) and builds the layer from a real local index — or fails with one ::error::
 * naming the input, the file and line.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import AdmZip from 'adm-zip'
import { runAction } from '../helpers/action'
import { makeIndex, makeWheel, serveIndex, type ServedIndex } from '../helpers/wheels'
import { hermeticPipEnv } from '../helpers/pip-env'
import { localPython } from '../helpers/python'
import {
  LOCK_FILES,
  PROJECT_WHEELS,
  factsOf,
  renderLock,
  type FileFacts,
  type LockKind
} from '../helpers/lock-fixtures'

const PY = localPython()
let dir: string
let index: ServedIndex
let facts: Map<string, FileFacts>

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'layer-e2e-locks-'))
  const built = await Promise.all(PROJECT_WHEELS.map(w => makeWheel(path.join(dir, 'built'), w)))
  facts = await factsOf(built.map(b => b.path))
  await makeIndex(path.join(dir, 'index'), built)
  index = await serveIndex(path.join(dir, 'index'))
})

after(async () => {
  await index?.close()
  await rm(dir, { recursive: true, force: true })
})

async function workspace(kind: LockKind, edit: (text: string) => string = t => t): Promise<string> {
  const ws = path.join(dir, `ws-${kind}-${Math.random().toString(36).slice(2)}`)
  await mkdir(path.join(ws, 'layer'), { recursive: true })
  const text = renderLock(kind, {
    index: index.plainUrl,
    filesUrl: index.plainUrl.replace(/simple\/$/, 'files/'),
    facts
  })
  await writeFile(path.join(ws, 'layer', LOCK_FILES[kind]), edit(text))
  return ws
}

const run = (ws: string, kind: LockKind, more: Record<string, string> = {}) =>
  runAction({
    inputs: {
      requirements: `layer/${LOCK_FILES[kind]}`,
      'layer-name': 'locked',
      'python-version': PY,
      'index-url': index.url,
      publish: 'false',
      ...more
    },
    workspace: ws,
    env: hermeticPipEnv(),
    tmp: dir
  })

function distributions(zipPath: string): string[] {
  return [
    ...new Set(
      new AdmZip(zipPath)
        .getEntries()
        .map(e => /^python\/([^/]+)-([^/-]+)\.dist-info\//.exec(e.entryName))
        .filter((m): m is RegExpExecArray => m !== null)
        .map(m => `${m[1]} ${m[2]}`)
    )
  ].sort()
}

test('a uv.lock and a Pipfile.lock build the same layer through dist/index.js: the locked versions, smoke-tested', async () => {
  const layers: string[][] = []
  for (const [kind, more] of [
    ['uv', { extras: 'speedups' }],
    ['pipfile', { groups: 'speedups' }]
  ] as const) {
    const r = await run(await workspace(kind), kind, more)
    assert.equal(r.exitCode, 0, `${kind}: ${r.errors.join('\n')}\n${r.stdout.slice(-3000)}`)
    assert.match(r.stdout, /Installing exactly as locked: layer\//)
    assert.match(r.stdout, /left out winonly 1\.0/)
    layers.push(distributions(r.outputs['zip-path']))
  }
  assert.deepEqual(layers[0], ['depdep 1.0', 'extrapkg 1.0', 'fastpkg 2.0', 'plainpkg 1.0'])
  assert.deepEqual(layers[1], layers[0])
})

test('a lock that does not parse, or a group it does not define, fails with one ::error:: naming the input and file', async () => {
  const broken = await run(
    await workspace('uv', t => t.replace('name = "fastpkg"', 'name = "fastpkg')),
    'uv'
  )
  assert.equal(broken.exitCode, 1)
  assert.equal(broken.errors.length, 1)
  assert.match(
    broken.errors[0],
    /Input 'requirements' has an invalid value "layer\/uv\.lock:\d+": a uv\.lock that parses as TOML/
  )

  const group = await run(await workspace('poetry'), 'poetry', { groups: 'docs' })
  assert.equal(group.exitCode, 1)
  assert.equal(group.errors.length, 1)
  assert.match(
    group.errors[0],
    /Input 'groups' has an invalid value "docs": groups that layer\/poetry\.lock defines: dev/
  )
})
