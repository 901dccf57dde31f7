/**
 * The one PEP 440 module against the reference: every (version, operator, specifier) below is asked
 * of pip's own vendored packaging (python3 -c, Specifier.contains with pre-releases allowed, as
 * markers and requires-python are evaluated) and of src/python/pep440.ts; they must agree on each.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { compareVersions, versionMatches } from '../../src/python/pep440'

const VERSIONS = [
  '1.0',
  '1.0.0',
  '1.0rc1',
  '1.0a1',
  '1.0b2',
  '1.0.dev1',
  '1.0a1.dev1',
  '1.0.post1',
  '1.0.post1.dev2',
  '1.0+local',
  '1.0+abc.1',
  '1.0+1',
  '1!1.0',
  '2.0',
  '0.9',
  '1.1',
  '1.1.dev0',
  '1.0.1',
  '3.12.12',
  '3.12.0rc1',
  '3.11.7',
  '3.12',
  '3.13.0',
  '1.0-1',
  '1.0c1',
  '1.0.0.post0'
]
const OPERATORS = ['<', '<=', '==', '!=', '>=', '>', '~=']
const SPECS = [
  '1.0',
  '1.0a1',
  '1.0.dev1',
  '1.0.post1',
  '1.0+local',
  '1.0.*',
  '1.*',
  '1!1.0',
  '1.1',
  '2',
  '3.12',
  '3.12.*',
  '3.12.5',
  '0.9',
  '1.0rc1',
  '1.0.0',
  '1!1.*'
]

const PACKAGING = `
import json, sys
from pip._vendor.packaging.specifiers import Specifier, InvalidSpecifier
from pip._vendor.packaging.version import Version
cases = json.load(sys.stdin)
out = []
for v, op, s in cases["match"]:
    try:
        out.append(Specifier(op + s).contains(v, prereleases=True))
    except InvalidSpecifier:
        out.append(None)
order = [(Version(a) > Version(b)) - (Version(a) < Version(b)) for a, b in cases["order"]]
print(json.dumps({"match": out, "order": order}))
`

test('every specifier case agrees with pip’s vendored packaging', () => {
  const match = VERSIONS.flatMap(v => OPERATORS.flatMap(op => SPECS.map(s => [v, op, s])))
  const order = VERSIONS.flatMap(a => VERSIONS.map(b => [a, b]))
  const r = spawnSync('python3', ['-c', PACKAGING], {
    input: JSON.stringify({ match, order }),
    encoding: 'utf8'
  })
  assert.equal(r.status, 0, r.stderr)
  const expected = JSON.parse(r.stdout) as { match: (boolean | null)[]; order: number[] }
  const wrong: string[] = []
  match.forEach(([v, op, s], i) => {
    const want = expected.match[i]
    if (want === null) return // packaging refuses the specifier itself
    if (versionMatches(v, op, s) !== want) wrong.push(`${v} ${op}${s}: packaging says ${want}`)
  })
  order.forEach(([a, b], i) => {
    if (Math.sign(compareVersions(a, b)) !== expected.order[i])
      wrong.push(`${a} vs ${b}: packaging orders ${expected.order[i]}`)
  })
  assert.ok(match.length > 2000, `${match.length} cases`)
  assert.deepEqual(wrong, [])
})
