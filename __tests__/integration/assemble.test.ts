/**
 * The layer assembled from the wheels against what real `pip install --target` makes of the same
 * wheels (pip 23.2 here, hermetic: --no-index, a find-links directory of wheels this test builds).
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import AdmZip from 'adm-zip'
import { spawnSync } from 'node:child_process'
import { promises as fs } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { mergeWheels } from '../../src/assemble/layer'
import { extractLayer } from '../../src/assemble/extract'
import { wheelContent, WheelError, INSTALLER } from '../../src/assemble/wheel'
import { zipLayer } from '../../src/assemble/zip'
import type { LayerEntry } from '../../src/assemble/entries'
import { hermeticPipEnv } from '../helpers/pip-env'
import { captureLog } from '../helpers/log'
import { makeWheel, type BuiltWheel } from '../helpers/wheels'

let tmp: string
let wheels: BuiltWheel[]
let pipTarget: string

const ENTRY_POINTS = [
  '[console_scripts]',
  'purepkg-cli = purepkg:main',
  '',
  '[layer_action.plugins]',
  'hello = purepkg:hello',
  ''
].join('\n')

before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'layer-assemble-'))
  const dir = path.join(tmp, 'wheels')
  wheels = [
    await makeWheel(dir, {
      name: 'purepkg',
      version: '1.0',
      tags: 'py3-none-any',
      modules: {
        'purepkg/__init__.py': 'def main():\n    return 0\n\ndef hello():\n    return "hi"\n',
        'purepkg/core.py': 'X = 1\n'.repeat(500),
        'purepkg/table.bin': 'stored as it is\n'.repeat(100),
        'purepkg-1.0.dist-info/licenses/LICENSE': 'MIT\n'
      },
      stored: ['purepkg/table.bin'],
      entryPoints: ENTRY_POINTS
    }),
    await makeWheel(dir, {
      name: 'datapkg',
      version: '2.0',
      tags: 'cp311-cp311-manylinux_2_17_x86_64',
      modules: { 'datapkg/__init__.py': 'WHERE = "root"\n' },
      data: {
        'purelib/datapkg_pure/__init__.py': 'WHERE = "purelib"\n',
        'platlib/datapkg_plat/__init__.py': 'WHERE = "platlib"\n',
        'scripts/datapkg-run': '#!python\nprint("run")\n'
      }
    }),
    // one namespace package (PEP 420: no nsroot/__init__.py) split over two wheels
    await makeWheel(dir, {
      name: 'ns-one',
      version: '1.0',
      tags: 'py3-none-any',
      modules: { 'nsroot/one/__init__.py': 'ONE = 1\n' }
    }),
    await makeWheel(dir, {
      name: 'ns-two',
      version: '1.0',
      tags: 'py3-none-any',
      modules: { 'nsroot/two/__init__.py': 'TWO = 2\n' }
    })
  ]
  pipTarget = path.join(tmp, 'pip-target')
  const pins = ['purepkg==1.0', 'datapkg==2.0', 'ns-one==1.0', 'ns-two==1.0']
  const r = spawnSync(
    'python3.11',
    [
      '-m',
      'pip',
      'install',
      '--no-index',
      '--find-links',
      dir,
      '--no-deps',
      '--no-compile',
      '--target',
      pipTarget,
      '--platform',
      'manylinux_2_17_x86_64',
      '--only-binary=:all:',
      ...pins
    ],
    { env: hermeticPipEnv(), encoding: 'utf8' }
  )
  assert.equal(r.status, 0, r.stderr)
})

after(() => fs.rm(tmp, { recursive: true, force: true }))

async function assembled(): Promise<LayerEntry[]> {
  return mergeWheels(await Promise.all(wheels.map(w => wheelContent(w.path))))
}

/** path → bytes of every file under `dir`. */
async function tree(dir: string, prefix = ''): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>()
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name)
    if (e.isDirectory()) for (const [k, v] of await tree(full, `${prefix}${e.name}/`)) out.set(k, v)
    else out.set(`${prefix}${e.name}`, await fs.readFile(full))
  }
  return out
}

const unzip = async (zip: string, name: string): Promise<string> => {
  const out = path.join(tmp, name)
  const r = spawnSync('unzip', ['-q', zip, '-d', out], { encoding: 'utf8' })
  assert.equal(r.status, 0, r.stderr)
  return path.join(out, 'python')
}

test('the layer holds what pip install --target makes of the same wheels, byte for byte (RECORD and INSTALLER aside)', async () => {
  const zip = await zipLayer(await assembled(), path.join(tmp, 'layer.zip'))
  const ours = await tree(await unzip(zip.path, 'unzipped'))
  const pips = await tree(pipTarget)
  const skip = (p: string) => /\.dist-info\/(RECORD|INSTALLER)$/.test(p)
  // pip puts scripts (the wheel's and the entry points' wrappers) in bin/: left out of the layer
  const leftOut = [...pips.keys()].filter(p => p.startsWith('bin/')).sort()
  assert.deepEqual(leftOut, ['bin/datapkg-run', 'bin/purepkg-cli'])
  const comparable = (m: Map<string, Buffer>) =>
    [...m.keys()].filter(p => !skip(p) && !p.startsWith('bin/')).sort()
  assert.deepEqual(comparable(ours), comparable(pips))
  for (const p of comparable(ours)) assert.ok(ours.get(p)?.equals(pips.get(p) as Buffer), p)
  // the cases this test is about are really there
  for (const p of [
    'datapkg_pure/__init__.py',
    'datapkg_plat/__init__.py',
    'nsroot/one/__init__.py',
    'nsroot/two/__init__.py',
    'purepkg/table.bin',
    'purepkg-1.0.dist-info/licenses/LICENSE',
    'purepkg-1.0.dist-info/entry_points.txt',
    'purepkg-1.0.dist-info/REQUESTED'
  ])
    assert.ok(ours.has(p), p)
  assert.ok(![...ours.keys()].some(p => p.includes('.data/')))
  assert.equal(ours.get('purepkg-1.0.dist-info/INSTALLER')?.toString(), `${INSTALLER}\n`)
  // the RECORD of a wheel with .data names the files where they lie now, never what was left out
  const record = ours.get('datapkg-2.0.dist-info/RECORD')?.toString() ?? ''
  assert.match(record, /^datapkg_pure\/__init__\.py,sha256=/m)
  assert.match(record, /^datapkg_plat\/__init__\.py,sha256=/m)
  assert.doesNotMatch(record, /\.data\/|datapkg-run/)
})

test('compressed streams are copied as they are: a stored entry stays stored, a deflated one keeps its bytes', async () => {
  const zip = await zipLayer(await assembled(), path.join(tmp, 'raw.zip'))
  const ours = new AdmZip(zip.path)
  const wheel = new AdmZip(wheels[0].path)
  const table = ours.getEntry('python/purepkg/table.bin')
  assert.equal(table?.header.method, 0)
  const core = ours.getEntry('python/purepkg/core.py')
  assert.equal(core?.header.method, 8)
  assert.ok(
    core
      ?.getCompressedData()
      .equals(wheel.getEntry('purepkg/core.py')?.getCompressedData() as Buffer)
  )
})

test('the same wheels give the same bytes twice', async () => {
  const one = await zipLayer(await assembled(), path.join(tmp, 'one.zip'))
  const two = await zipLayer((await assembled()).reverse(), path.join(tmp, 'two.zip'))
  assert.equal(one.sha256, two.sha256)
  assert.ok((await fs.readFile(one.path)).equals(await fs.readFile(two.path)))
})

test('importlib.metadata version() and entry_points() work from the unzipped layer', async () => {
  const zip = await zipLayer(await assembled(), path.join(tmp, 'meta.zip'))
  const python = await unzip(zip.path, 'meta')
  const script = [
    'import importlib.metadata as md, nsroot.one, nsroot.two, datapkg_pure, datapkg_plat',
    'eps = md.entry_points(group="layer_action.plugins")',
    'print(md.version("purepkg"), md.version("datapkg"), [e.load()() for e in eps],',
    '  [e.name for e in md.entry_points(group="console_scripts") if e.name == "purepkg-cli"],',
    '  nsroot.one.ONE + nsroot.two.TWO, datapkg_pure.WHERE, datapkg_plat.WHERE)'
  ].join('\n')
  // -S: nothing of this machine's site-packages, only the layer (PYTHONPATH) and the standard library
  const r = spawnSync('python3', ['-S', '-c', script], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, PYTHONPATH: python }
  })
  assert.equal(r.status, 0, r.stderr)
  assert.equal(r.stdout.trim(), "1.0 2.0 ['hi'] ['purepkg-cli'] 3 purelib platlib")
})

test('the extraction for the smoke test writes the same files as the zip holds', async () => {
  const entries = await assembled()
  const zip = await zipLayer(entries, path.join(tmp, 'ex.zip'))
  const fromZip = await tree(await unzip(zip.path, 'ex-unzipped'))
  const extracted = await tree(
    path.join(await extractLayer(entries, path.join(tmp, 'ex')), 'python')
  )
  assert.deepEqual([...extracted.keys()].sort(), [...fromZip.keys()].sort())
  for (const [p, b] of fromZip) assert.ok(extracted.get(p)?.equals(b), p)
})

test('a wheel with ../ in an entry name is refused, naming the wheel and the entry', async () => {
  const evil = await makeWheel(path.join(tmp, 'evil'), {
    name: 'evil',
    version: '1.0',
    tags: 'py3-none-any',
    modules: { 'evil/__init__.py': '', 'evil/XX/XX/escape.py': 'print("out")\n' }
  })
  // adm-zip cleans `..` out of names: put them in afterwards, in both headers (same length)
  let bytes = await fs.readFile(evil.path)
  const from = Buffer.from('evil/XX/XX/escape.py')
  for (let at = bytes.indexOf(from); at >= 0; at = bytes.indexOf(from, at + 1))
    bytes = Buffer.concat([
      bytes.subarray(0, at),
      Buffer.from('evil/../../escape.py'),
      bytes.subarray(at + from.length)
    ])
  await fs.writeFile(evil.path, bytes)
  assert.ok(new AdmZip(evil.path).getEntries().some(e => e.entryName.includes('../')))
  await assert.rejects(wheelContent(evil.path), (e: unknown) => {
    assert.ok(e instanceof WheelError)
    assert.match(
      e.message,
      /evil-1\.0-py3-none-any\.whl holds an entry 'evil\/\.\.\/\.\.\/escape\.py'.*outside python\//
    )
    return true
  })
})

test('two distributions writing one path: the same bytes merge silently, different bytes warn naming both', async () => {
  const dir = path.join(tmp, 'clash')
  const a = await makeWheel(dir, {
    name: 'cv-full',
    version: '1.0',
    tags: 'py3-none-any',
    modules: { 'cv/__init__.py': 'FULL = 1\n', 'shared/__init__.py': '# same\n' }
  })
  const b = await makeWheel(dir, {
    name: 'cv-headless',
    version: '1.0',
    tags: 'py3-none-any',
    modules: { 'cv/__init__.py': 'HEADLESS = 1\n', 'shared/__init__.py': '# same\n' }
  })
  const log = captureLog()
  let merged: LayerEntry[]
  try {
    merged = mergeWheels(await Promise.all([a, b].map(w => wheelContent(w.path))))
  } finally {
    log.restore()
  }
  const warnings = log
    .text()
    .split('\n')
    .filter(l => l.startsWith('::warning::'))
  assert.equal(warnings.length, 1, log.text())
  assert.match(
    warnings[0],
    /cv_full 1\.0 and cv_headless 1\.0 both write 1 file with different content.*cv\/__init__\.py/
  )
  assert.equal(merged.find(e => e.path === 'cv/__init__.py')?.owner?.name, 'cv_headless')
  assert.equal(merged.filter(e => e.path === 'shared/__init__.py').length, 1)
})
