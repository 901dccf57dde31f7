import assert from 'node:assert/strict'
import { test } from 'node:test'
import { UnsafeFileNameError, baseNameOf } from '../../src/python/filenames'

test('a distribution file name is taken as it is, percent-decoded', () => {
  assert.equal(
    baseNameOf('numpy-2.1.3-cp312-cp312-manylinux_2_17_x86_64.whl'),
    'numpy-2.1.3-cp312-cp312-manylinux_2_17_x86_64.whl'
  )
  assert.equal(baseNameOf('pkg-1.0%2Blocal-py3-none-any.whl'), 'pkg-1.0+local-py3-none-any.whl')
})

test('a name that could leave the folder is refused, encoded or not', () => {
  for (const raw of [
    '../evil-1.0-py3-none-any.whl',
    '..%2Fevil-1.0-py3-none-any.whl',
    '..%252Fevil-1.0-py3-none-any.whl',
    '%2e%2e%2fevil.whl',
    'dir/evil.whl',
    'dir\\evil.whl',
    '/etc/passwd',
    'C:evil.whl',
    'evil%00.whl',
    '..',
    '',
    '%2F'
  ])
    assert.throws(() => baseNameOf(raw), UnsafeFileNameError, raw)
})
