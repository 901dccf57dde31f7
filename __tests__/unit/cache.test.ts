import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { promises as fs } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { findRuntime, type Runtime } from '../../src/runtimes'
import {
  readRequirementFiles,
  restoreWheelhouse,
  saveWheelhouse,
  wheelhouseCacheKey,
  wheelhouseRestoreKey,
  type WheelhouseKeyInput
} from '../../src/fetch/cache'
import { captureLog } from '../helpers/log'

const rt = (v: string): Runtime => {
  const r = findRuntime(v)
  assert.ok(r, v)
  return r
}

let tmp: string
before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'layer-cache-'))
})
after(async () => {
  await fs.rm(tmp, { recursive: true, force: true })
})

const base: WheelhouseKeyInput = {
  requirementFiles: [{ path: '/w/requirements.txt', content: 'requests==2.31.0\n' }],
  runtime: rt('3.12'),
  architecture: 'x86_64',
  pipArgs: [],
  indexUrl: 'https://ci:token-1@pkgs.example/simple/'
}

test('the key names the runtime and architecture and ends in a hash; the restore key is its prefix', () => {
  const key = wheelhouseCacheKey(base)
  assert.match(key, /^layer-action-wheels-python3\.12-x86_64-[0-9a-f]{24}$/)
  assert.equal(wheelhouseCacheKey(base), key, 'deterministic')
  assert.equal(wheelhouseRestoreKey(rt('3.12'), 'x86_64'), 'layer-action-wheels-python3.12-x86_64-')
  assert.ok(key.startsWith(wheelhouseRestoreKey(rt('3.12'), 'x86_64')))
  assert.ok(!key.includes('token-1'))
})

test('the key changes with everything that decides the downloads', () => {
  const key = wheelhouseCacheKey(base)
  const variants: Partial<WheelhouseKeyInput>[] = [
    { requirementFiles: [{ path: '/w/requirements.txt', content: 'requests==2.32.0\n' }] },
    {
      requirementFiles: [...base.requirementFiles, { path: '/w/base.txt', content: 'urllib3<2\n' }]
    },
    { runtime: rt('3.13') },
    { architecture: 'arm64' },
    { pipArgs: ['--pre'] },
    { indexUrl: 'https://ci:token-1@other.example/simple/' },
    { indexUrl: undefined }
  ]
  const keys = variants.map(v => wheelhouseCacheKey({ ...base, ...v }))
  for (const k of keys) assert.notEqual(k, key)
  assert.equal(new Set(keys).size, keys.length)
})

test('the key ignores credentials: a rotated token keeps the cache', () => {
  const key = wheelhouseCacheKey(base)
  assert.equal(
    wheelhouseCacheKey({ ...base, indexUrl: 'https://ci:token-2@pkgs.example/simple/' }),
    key
  )
  const withExtra = (token: string) =>
    wheelhouseCacheKey({
      ...base,
      pipArgs: [`--extra-index-url=https://${token}@more.example/simple/`]
    })
  assert.equal(withExtra('aaa'), withExtra('bbb'))
})

test('requirement files referenced with -r / -c are read too, relative to the file naming them', async () => {
  const dir = path.join(tmp, 'reqs')
  await fs.mkdir(path.join(dir, 'sub', 'deeper'), { recursive: true })
  await fs.writeFile(
    path.join(dir, 'requirements.txt'),
    '-r sub/base.txt\n--constraint=constraints.txt\nrequests\n-r https://example.com/remote.txt\n-r missing.txt\n'
  )
  await fs.writeFile(
    path.join(dir, 'sub', 'base.txt'),
    '-rdeeper/core.txt\nurllib3\n-r ../requirements.txt\n'
  )
  await fs.writeFile(path.join(dir, 'sub', 'deeper', 'core.txt'), 'six\n')
  await fs.writeFile(path.join(dir, 'constraints.txt'), 'six==1.16.0\n')
  const files = await readRequirementFiles(path.join(dir, 'requirements.txt'))
  assert.deepEqual(
    files.map(f => path.relative(dir, f.path)),
    ['requirements.txt', 'sub/base.txt', 'sub/deeper/core.txt', 'constraints.txt']
  )
  assert.equal(files[2].content, 'six\n')

  const key = wheelhouseCacheKey({ ...base, requirementFiles: files })
  await fs.writeFile(path.join(dir, 'sub', 'deeper', 'core.txt'), 'six==1.17.0\n')
  const changed = wheelhouseCacheKey({
    ...base,
    requirementFiles: await readRequirementFiles(path.join(dir, 'requirements.txt'))
  })
  assert.notEqual(changed, key, 'a nested file changing changes the key')
})

test('-r files named through ${VAR} or on a continued line count for the key, as pip reads them', async () => {
  const dir = path.join(tmp, 'reqs-env')
  await fs.mkdir(path.join(dir, 'shared'), { recursive: true })
  await fs.writeFile(
    path.join(dir, 'requirements.txt'),
    '-r ${SHARED_DIR}/extra.txt\n-c \\\n  shared/pins.txt\nrequests\n'
  )
  await fs.writeFile(path.join(dir, 'shared', 'extra.txt'), 'six\n')
  await fs.writeFile(path.join(dir, 'shared', 'pins.txt'), 'six==1.16.0\n')
  const env = { SHARED_DIR: path.join(dir, 'shared') }
  const read = () => readRequirementFiles(path.join(dir, 'requirements.txt'), env)
  assert.deepEqual(
    (await read()).map(f => path.relative(dir, f.path)),
    ['requirements.txt', 'shared/extra.txt', 'shared/pins.txt']
  )
  // an exact cache hit skips pip: a change in such a file must change the key
  const key = wheelhouseCacheKey({ ...base, requirementFiles: await read() })
  await fs.writeFile(path.join(dir, 'shared', 'extra.txt'), 'six==1.17.0\n')
  assert.notEqual(wheelhouseCacheKey({ ...base, requirementFiles: await read() }), key)
})

test('without a cache service: said once, restore and save go on without it', async () => {
  const saved = { url: process.env.ACTIONS_CACHE_URL, results: process.env.ACTIONS_RESULTS_URL }
  delete process.env.ACTIONS_CACHE_URL
  delete process.env.ACTIONS_RESULTS_URL
  const log = captureLog()
  try {
    const wheelhouse = path.join(tmp, 'wh')
    const key = wheelhouseCacheKey(base)
    const restored = await restoreWheelhouse({
      wheelhouse,
      key,
      restoreKeys: [wheelhouseRestoreKey(rt('3.12'), 'x86_64')]
    })
    assert.deepEqual(restored, { status: 'unavailable', key })
    assert.equal(await saveWheelhouse({ wheelhouse, restored }), false)
    await restoreWheelhouse({ wheelhouse, key, restoreKeys: [] })
  } finally {
    log.restore()
    if (saved.url !== undefined) process.env.ACTIONS_CACHE_URL = saved.url
    if (saved.results !== undefined) process.env.ACTIONS_RESULTS_URL = saved.results
  }
  assert.equal(
    log.lines.filter(l => l.includes('No Actions cache service here')).length,
    1,
    log.text()
  )
  assert.ok(!log.lines.some(l => l.startsWith('::warning::')), 'not a warning')
})
