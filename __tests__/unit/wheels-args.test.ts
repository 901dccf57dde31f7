import { test } from 'node:test'
import assert from 'node:assert/strict'
import { findRuntime, platformTags, type Runtime } from '../../src/runtimes'
import { pipTargetArgs } from '../../src/resolve/pip'
import {
  INDEX_OPTIONS,
  INDEX_SHORTEST,
  pipOptionValues,
  withoutPipOptions
} from '../../src/python/pip'

const rt = (v: string): Runtime => {
  const r = findRuntime(v)
  assert.ok(r, v)
  return r
}

/** The values given to each occurrence of a flag. */
function values(args: string[], flag: string): string[] {
  return args.flatMap((a, i) => (a === flag ? [args[i + 1]] : []))
}

test('pipTargetArgs: binary only, CPython, the runtime full version (for Requires-Python) and its ABIs', () => {
  const args = pipTargetArgs(rt('3.12'), 'x86_64')
  assert.ok(args.includes('--only-binary=:all:'))
  assert.deepEqual(values(args, '--implementation'), ['cp'])
  assert.deepEqual(values(args, '--python-version'), [rt('3.12').fullVersion])
  assert.deepEqual(values(args, '--abi'), ['cp312', 'abi3', 'none'])
  assert.deepEqual(values(pipTargetArgs(rt('3.10'), 'arm64'), '--abi'), ['cp310', 'abi3', 'none'])
})

test('pipTargetArgs: one --platform per tag of platformTags, in its order (best first)', () => {
  for (const v of ['3.10', '3.11', '3.12', '3.13', '3.14']) {
    for (const arch of ['x86_64', 'arm64'] as const) {
      assert.deepEqual(
        values(pipTargetArgs(rt(v), arch), '--platform'),
        platformTags(rt(v), arch),
        `${v} ${arch}`
      )
    }
  }
})

test('python3.11 x86_64: every manylinux level 2_26 … 2_5 and the three legacy aliases, nothing newer', () => {
  const platforms = values(pipTargetArgs(rt('3.11'), 'x86_64'), '--platform')
  for (let minor = 5; minor <= 26; minor++)
    assert.ok(platforms.includes(`manylinux_2_${minor}_x86_64`), `2_${minor}`)
  for (const legacy of ['manylinux2014_x86_64', 'manylinux2010_x86_64', 'manylinux1_x86_64']) {
    assert.ok(platforms.includes(legacy), legacy)
  }
  assert.equal(platforms.length, 22 + 3)
  assert.ok(!platforms.some(p => /manylinux_2_(2[7-9]|3\d)_/.test(p)))
  assert.ok(
    !platforms.some(p => p.includes('musllinux') || p.includes('aarch64') || p.startsWith('linux_'))
  )
})

test('python3.12+ x86_64 goes up to manylinux_2_34, never 2_35', () => {
  for (const v of ['3.12', '3.13', '3.14']) {
    const platforms = values(pipTargetArgs(rt(v), 'x86_64'), '--platform')
    assert.equal(platforms[0], 'manylinux_2_34_x86_64')
    assert.ok(!platforms.includes('manylinux_2_35_x86_64'))
    for (let minor = 5; minor <= 34; minor++)
      assert.ok(platforms.includes(`manylinux_2_${minor}_x86_64`))
  }
})

test('arm64: aarch64 tags from the runtime glibc down to the 2_17 floor, manylinux2014 the only alias', () => {
  const al2 = values(pipTargetArgs(rt('3.11'), 'arm64'), '--platform')
  assert.equal(al2[0], 'manylinux_2_26_aarch64')
  assert.deepEqual(al2.slice(-2), ['manylinux_2_17_aarch64', 'manylinux2014_aarch64'])
  assert.ok(!al2.includes('manylinux_2_16_aarch64'))
  assert.ok(al2.every(p => p.endsWith('_aarch64')))
  assert.ok(!al2.some(p => p.startsWith('manylinux1') || p.startsWith('manylinux2010')))
  const al2023 = values(pipTargetArgs(rt('3.13'), 'arm64'), '--platform')
  assert.equal(al2023.length, 34 - 17 + 1 + 1)
})

test('the index options of pip-args, in every spelling pip takes: read by pipOptionValues and taken out by withoutPipOptions alike', () => {
  const args = [
    '--index-url',
    'https://a/simple/',
    '--ind=https://b/simple/',
    '-ihttps://c/simple/',
    '-i',
    'https://d/simple/',
    '--extra-index-url=https://e/simple/',
    '--ext',
    'https://f/simple/',
    '--exists-action',
    'w',
    '--pre',
    '--index-url-typo-no'
  ]
  assert.deepEqual(pipOptionValues(args, ['--index-url', '-i'], INDEX_SHORTEST), [
    'https://a/simple/',
    'https://b/simple/',
    'https://c/simple/',
    'https://d/simple/'
  ])
  assert.deepEqual(pipOptionValues(args, ['--extra-index-url'], INDEX_SHORTEST), [
    'https://e/simple/',
    'https://f/simple/'
  ])
  assert.deepEqual(withoutPipOptions(args, INDEX_OPTIONS, INDEX_SHORTEST), [
    '--exists-action',
    'w',
    '--pre',
    '--index-url-typo-no'
  ])
})
