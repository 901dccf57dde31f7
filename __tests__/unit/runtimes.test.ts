import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  RUNTIMES,
  findRuntime,
  markerEnvironment,
  platformTags,
  runtimeStatus
} from '../../src/runtimes'

const rt = (v: string) => {
  const r = findRuntime(v)
  assert.ok(r, v)
  return r
}

test('3.8 to 3.11 run on Amazon Linux 2 (glibc 2.26), 3.12+ on Amazon Linux 2023 (glibc 2.34)', () => {
  assert.deepEqual(
    RUNTIMES.map(r => [r.identifier, r.os, r.glibc.join('.'), r.abi]),
    [
      ['python3.8', 'Amazon Linux 2', '2.26', 'cp38'],
      ['python3.9', 'Amazon Linux 2', '2.26', 'cp39'],
      ['python3.10', 'Amazon Linux 2', '2.26', 'cp310'],
      ['python3.11', 'Amazon Linux 2', '2.26', 'cp311'],
      ['python3.12', 'Amazon Linux 2023', '2.34', 'cp312'],
      ['python3.13', 'Amazon Linux 2023', '2.34', 'cp313'],
      ['python3.14', 'Amazon Linux 2023', '2.34', 'cp314']
    ]
  )
  assert.equal(findRuntime('3.7'), undefined)
  assert.equal(findRuntime('3.15'), undefined)
})

test('x86_64 tags: one per glibc level from the runtime down to 2.5, with legacy aliases', () => {
  const tags = platformTags(rt('3.11'), 'x86_64')
  assert.equal(tags[0], 'manylinux_2_26_x86_64')
  assert.ok(!tags.includes('manylinux_2_27_x86_64'))
  for (let minor = 26; minor >= 5; minor--)
    assert.ok(tags.includes(`manylinux_2_${minor}_x86_64`), `2_${minor}`)
  assert.ok(tags.indexOf('manylinux2014_x86_64') === tags.indexOf('manylinux_2_17_x86_64') + 1)
  assert.ok(tags.includes('manylinux2010_x86_64'))
  assert.equal(tags.at(-1), 'manylinux1_x86_64')
  assert.ok(tags.every(t => !t.includes('musllinux')))
})

test('aarch64 tags stop at 2.17 and only alias manylinux2014', () => {
  const tags = platformTags(rt('3.12'), 'arm64')
  assert.equal(tags[0], 'manylinux_2_34_aarch64')
  assert.equal(tags.at(-1), 'manylinux2014_aarch64')
  assert.equal(tags.length, 34 - 17 + 1 + 1)
  assert.ok(tags.every(t => t.endsWith('_aarch64')))
})

test('deprecation status follows the dates in the table', () => {
  const r = rt('3.11')
  assert.equal(runtimeStatus(r, new Date('2027-06-29T12:00:00Z')), 'supported')
  assert.equal(runtimeStatus(r, new Date('2027-06-30T00:00:00Z')), 'deprecated')
  assert.equal(runtimeStatus(r, new Date('2027-08-31T00:00:00Z')), 'blocked')
})

test('the marker environment is the runtime and architecture, never the machine running the tests', () => {
  for (const r of RUNTIMES) {
    assert.match(r.fullVersion, new RegExp(`^${r.version.replace('.', '\\.')}\\.\\d+$`), r.version)
    for (const arch of ['x86_64', 'arm64'] as const) {
      const env = markerEnvironment(r, arch)
      assert.deepEqual(
        { ...env },
        {
          implementation_name: 'cpython',
          implementation_version: r.fullVersion,
          os_name: 'posix',
          platform_machine: arch === 'arm64' ? 'aarch64' : 'x86_64',
          platform_python_implementation: 'CPython',
          platform_release: '',
          platform_system: 'Linux',
          platform_version: '',
          python_full_version: r.fullVersion,
          python_version: r.version,
          sys_platform: 'linux'
        }
      )
    }
  }
})

test('deprecation status is reported for every date, also after the last one', () => {
  const r = rt('3.10')
  assert.equal(runtimeStatus(r, new Date('2026-11-29T00:00:00Z')), 'deprecated')
  assert.equal(runtimeStatus(r, new Date('2027-03-03T00:00:00Z')), 'blocked')
  assert.equal(runtimeStatus(rt('3.14'), new Date('2026-11-29T00:00:00Z')), 'supported')
})

test("3.8 and 3.9: AWS's dates as data, deprecated but not blocked before 2027-03-03, built for glibc 2.26", () => {
  assert.deepEqual(
    ['3.8', '3.9'].map(v => {
      const r = rt(v)
      return [r.identifier, r.deprecation, r.blockFunctionCreate, r.blockFunctionUpdate]
    }),
    [
      ['python3.8', '2024-10-14', '2027-02-01', '2027-03-03'],
      ['python3.9', '2025-12-15', '2027-02-01', '2027-03-03']
    ]
  )
  assert.equal(runtimeStatus(rt('3.9'), new Date('2026-12-02T00:00:00Z')), 'deprecated')
  assert.equal(runtimeStatus(rt('3.8'), new Date('2027-03-03T00:00:00Z')), 'blocked')
  for (const v of ['3.8', '3.9']) {
    const tags = platformTags(rt(v), 'x86_64')
    assert.equal(tags[0], 'manylinux_2_26_x86_64', v)
    assert.equal(markerEnvironment(rt(v), 'x86_64').python_version, v)
  }
})

test('every date in the table is an ISO day, in order: deprecation, block create, block update', () => {
  for (const r of RUNTIMES) {
    for (const d of [r.deprecation, r.blockFunctionCreate, r.blockFunctionUpdate])
      assert.match(d, /^\d{4}-\d{2}-\d{2}$/, r.identifier)
    assert.ok(r.deprecation <= r.blockFunctionCreate, r.identifier)
    assert.ok(r.blockFunctionCreate <= r.blockFunctionUpdate, r.identifier)
  }
})
