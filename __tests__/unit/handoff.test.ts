import { test } from 'node:test'
import assert from 'node:assert/strict'
import { commitOf, commitRecord, describeVersion } from '../../src/deliver/provenance'
import { parameterBase } from '../../src/deliver/parameters'

const SHA1 = '0123456789abcdef0123456789abcdef01234567'
const SHA256 = 'ab'.repeat(32)

test('every version records its commit at the end of its description, within 256 characters, whatever the description', () => {
  assert.equal(describeVersion('v1.4.0 0123456 prod', SHA1), `v1.4.0 0123456 prod [commit ${SHA1}]`)
  assert.equal(commitOf(describeVersion('v1.4.0 0123456 prod', SHA1)), SHA1)
  assert.equal(commitOf(describeVersion('', SHA256)), SHA256, 'SHA-256 repositories too')
  assert.equal(describeVersion('', SHA1), `[commit ${SHA1}]`)

  // a description of the full 256 characters is cut (with an ellipsis) to leave room for the record
  const long = 'é'.repeat(256)
  const described = describeVersion(long, SHA1)
  assert.equal([...described].length, 256)
  assert.match(described, /é… \[commit [0-9a-f]{40}\]$/)
  assert.equal(commitOf(described), SHA1)

  // a user's text cannot forge or hide the record: only the last one counts
  const forged = describeVersion(`copied [commit ${'f'.repeat(40)}]`, SHA1)
  assert.equal(commitOf(forged), SHA1)
  assert.equal(commitOf(`released by hand [commit ${'f'.repeat(40)}] later`), undefined)

  // no full sha (outside a git repository): nothing recorded, nothing read back
  assert.equal(commitRecord(''), '')
  assert.equal(commitRecord('0123456'), '')
  assert.equal(describeVersion('v1.0.0 dev', ''), 'v1.0.0 dev')
  assert.equal(commitOf('v1.0.0 0123456 dev'), undefined)
  assert.equal(commitOf(undefined), undefined)
})

test('ssm-parameter: {layer} is the published name, trailing slashes dropped', () => {
  assert.equal(parameterBase('/layers/{layer}/', 'common-prod'), '/layers/common-prod')
  assert.equal(parameterBase('/a/{layer}/b/{layer}', 'x'), '/a/x/b/x')
})
