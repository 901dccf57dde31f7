// The units per-module smoke test verdicts depend on (src/smoke/units.ts): distributions, their
// identities, what they declare for the target, and what a partial extraction leaves out.
import { wellFormed } from '../../src/smoke/module-verdicts'
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Distribution, LayerEntry } from '../../src/assemble/entries'
import { findRuntime, type Runtime } from '../../src/runtimes'
import {
  declaredUnits,
  layerUnits,
  observedUnits,
  partialExtraction,
  unitOf
} from '../../src/smoke/units'

const runtime = findRuntime('3.12') as Runtime
const dist = (name: string): Distribution => ({
  name,
  version: '1.0',
  wheel: `${name}-1.0-py3-none-any.whl`
})
const file = (path: string, text: string, owner?: Distribution): LayerEntry => ({
  path,
  size: text.length,
  executable: false,
  source: { kind: 'bytes', data: Buffer.from(text) },
  owner
})
/** A distribution's files: its modules and a METADATA with these Requires-Dist lines. */
const wheel = (name: string, files: Record<string, string>, requires: string[] = []) => {
  const d = dist(name)
  return [
    ...Object.entries(files).map(([p, t]) => file(p, t, d)),
    file(
      `${name}-1.0.dist-info/METADATA`,
      `Metadata-Version: 2.1\nName: ${name}\nVersion: 1.0\n${requires.map(r => `Requires-Dist: ${r}\n`).join('')}\nDescription body\nRequires-Dist: not-a-header\n`,
      d
    )
  ]
}

const entries = [
  ...wheel('ga', { 'google/a/__init__.py': 'A = 1\n' }, [
    'gb',
    'cc; python_version < "3"',
    'dd[x]; extra == "all"'
  ]),
  ...wheel('gb', { 'google/b/__init__.py': 'B = 1\n', 'gb.libs/libb.so': 'ELF' }, ['ee']),
  ...wheel('cc', { 'cc/__init__.py': 'C = 1\n', 'cc/core.h': 'header' }),
  ...wheel('dd', { 'dd.py': 'D = 1\n' }),
  ...wheel('ee', { 'ee/__init__.py': 'E = 1\n' }),
  file('mine/__init__.py', 'M = 1\n')
]

test('units: a distribution by its wheel, a tree no wheel owns by its name; Requires-Dist for the target, transitively, no extra', async () => {
  const units = await layerUnits(entries, runtime, 'x86_64')
  assert.equal(unitOf(entries[0]), 'ga-1.0-py3-none-any.whl')
  assert.equal(unitOf(entries[entries.length - 1]), 'include:mine')
  assert.deepEqual([...units.digests.keys()].sort(), [
    'cc-1.0-py3-none-any.whl',
    'dd-1.0-py3-none-any.whl',
    'ee-1.0-py3-none-any.whl',
    'ga-1.0-py3-none-any.whl',
    'gb-1.0-py3-none-any.whl',
    'include:mine'
  ])
  // google is a namespace both ga and gb put files in: its verdict depends on both
  assert.deepEqual([...declaredUnits(units, 'google')].sort(), [
    'ee-1.0-py3-none-any.whl',
    'ga-1.0-py3-none-any.whl',
    'gb-1.0-py3-none-any.whl'
  ])
  assert.deepEqual([...declaredUnits(units, 'cc')], ['cc-1.0-py3-none-any.whl'])
  assert.deepEqual([...declaredUnits(units, 'mine')], ['include:mine'])
})

test("a unit's identity changes with one byte of its own files and nothing else's", async () => {
  const before = await layerUnits(entries, runtime, 'x86_64')
  const changed = entries.map(e =>
    e.path === 'ee/__init__.py' ? file(e.path, 'E = 2\n', e.owner) : e
  )
  const after = await layerUnits(changed, runtime, 'x86_64')
  for (const [unit, digest] of before.digests)
    if (unit === 'ee-1.0-py3-none-any.whl') assert.notEqual(after.digests.get(unit), digest)
    else assert.equal(after.digests.get(unit), digest, unit)
})

test('what an interpreter touched names units: a file its owner, a folder every unit under it, python/ itself none', async () => {
  const units = await layerUnits(entries, runtime, 'x86_64')
  assert.deepEqual([...observedUnits(units, ['google'])].sort(), [
    'ga-1.0-py3-none-any.whl',
    'gb-1.0-py3-none-any.whl'
  ])
  assert.deepEqual(
    [...observedUnits(units, ['gb.libs/libb.so', 'cc-1.0.dist-info/METADATA'])].sort(),
    ['cc-1.0-py3-none-any.whl', 'gb-1.0-py3-none-any.whl']
  )
  assert.deepEqual([...observedUnits(units, ['', 'nothing/here.py'])], [])
})

test('a partial extraction: the trees of the units needed (a namespace whole), every dist-info and top-level file; the other names listed as absent', () => {
  const { entries: chosen, absent } = partialExtraction(
    entries,
    new Set(['ga-1.0-py3-none-any.whl'])
  )
  assert.deepEqual(
    chosen.map(e => e.path).sort(),
    [
      'cc-1.0.dist-info/METADATA',
      'dd.py',
      'dd-1.0.dist-info/METADATA',
      'ee-1.0.dist-info/METADATA',
      'ga-1.0.dist-info/METADATA',
      'gb-1.0.dist-info/METADATA',
      'google/a/__init__.py',
      'google/b/__init__.py'
    ].sort()
  )
  assert.deepEqual(absent, ['cc', 'ee', 'gb.libs', 'mine'])
  // a header is never extracted, even of a unit needed
  const cc = partialExtraction(entries, new Set(['cc-1.0-py3-none-any.whl']))
  assert.ok(cc.entries.some(e => e.path === 'cc/__init__.py'))
  assert.ok(!cc.entries.some(e => e.path === 'cc/core.h'))
})

test('a restored entry of per-module verdicts: only well-formed verdicts are taken, the rest tested again; a corrupt file is none', () => {
  const good = {
    module: 'tabulate',
    units: ['tabulate-0.10.0-py3-none-any.whl'],
    digest: 'ab'.repeat(32),
    run: '123',
    pass: 'layer-action-smoke-python3.11-x86_64-abc-3.11.7-run123',
    python: '3.11.7',
    isolated: true
  }
  assert.deepEqual(
    wellFormed({
      verdicts: [
        good,
        { ...good, units: 'tabulate' },
        { ...good, units: [1] },
        { ...good, digest: undefined },
        { ...good, isolated: 'yes' },
        { ...good, url: 42 },
        null,
        'tabulate'
      ]
    }),
    [good]
  )
  for (const corrupt of [null, 'x', 1, [], { verdicts: 'all' }, { verdicts: null }])
    assert.deepEqual(wellFormed(corrupt), [])
})
