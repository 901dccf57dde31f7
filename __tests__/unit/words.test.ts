import { test } from 'node:test'
import assert from 'node:assert/strict'
import { count, plural } from '../../src/words'

test("count writes what toLocaleString('en-US') writes, without ICU", () => {
  const values = [0, 7, 999, 1000, 4655, 65_535, 999_999, 1_000_000, 169_234_567, 2 ** 53 - 1]
  for (const n of [
    ...values,
    ...values.filter(v => v > 0).map(v => -v),
    1.5,
    1234.5678,
    Number.NaN,
    Infinity
  ])
    assert.equal(count(n), n.toLocaleString('en-US'), String(n))
  assert.equal(plural(1, 'file'), '1 file')
  assert.equal(plural(4655, 'file'), '4,655 files')
  assert.equal(plural(2, 'entry', 'entries'), '2 entries')
})
