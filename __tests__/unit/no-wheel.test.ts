import { test } from 'node:test'
import assert from 'node:assert/strict'
import { findRuntime, type Architecture, type Runtime } from '../../src/runtimes'
import { explainNoWheel } from '../../src/resolve/no-wheel'
import { parseSimplePage } from '../../src/python/index-page'
import {
  describeTargets,
  parseDistributionFile,
  targetsAccepting
} from '../../src/python/wheel-tags'
import { compareVersions } from '../../src/python/pep440'
import { Redactor, redactUrl, urlSecrets } from '../../src/credentials'

const rt = (v: string): Runtime => {
  const r = findRuntime(v)
  assert.ok(r, v)
  return r
}

const accepting = (filename: string): string => {
  const file = parseDistributionFile(filename)
  assert.ok(file, filename)
  return describeTargets(targetsAccepting(file))
}

test('which runtimes load a wheel: glibc level, machine, python tag and ABI all count', () => {
  assert.equal(accepting('a-1.0-py3-none-any.whl'), 'python3.8+ (x86_64, arm64)')
  assert.equal(accepting('a-1.0-py3-none-manylinux_2_28_x86_64.whl'), 'python3.12+ (x86_64)')
  assert.equal(accepting('a-1.0-py3-none-manylinux_2_26_x86_64.whl'), 'python3.8+ (x86_64)')
  assert.equal(accepting('a-1.0-cp312-cp312-manylinux_2_17_aarch64.whl'), 'python3.12 (arm64)')
  assert.equal(
    accepting('a-1.0-cp310-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl'),
    'python3.10+ (x86_64)'
  )
  assert.equal(accepting('a-1.0-cp311-cp311-manylinux_2_28_x86_64.whl'), 'no Lambda runtime')
  assert.equal(accepting('a-1.0-cp311-cp311-musllinux_1_2_x86_64.whl'), 'no Lambda runtime')
  assert.equal(accepting('a-1.0-cp311-cp311-macosx_11_0_arm64.whl'), 'no Lambda runtime')
  assert.equal(accepting('a-1.0-cp311-cp311-linux_x86_64.whl'), 'no Lambda runtime')
  assert.equal(
    accepting('a-1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux_2_17_aarch64.whl'),
    'python3.11 (x86_64, arm64)'
  )
  assert.equal(accepting('a-1.0-py2.py3-none-manylinux1_x86_64.whl'), 'python3.8+ (x86_64)')
  // a cp313 abi3 wheel needs at least 3.13
  assert.equal(accepting('a-1.0-cp313-abi3-manylinux_2_34_aarch64.whl'), 'python3.13+ (arm64)')
})

test('distribution file names parse, with build tags and sdists', () => {
  assert.deepEqual(parseDistributionFile('My_Pkg-2.0-1-py3-none-any.whl')?.project, 'my-pkg')
  assert.equal(parseDistributionFile('My_Pkg-2.0-1-py3-none-any.whl')?.version, '2.0')
  assert.deepEqual(parseDistributionFile('my.pkg-1.0rc1.tar.gz'), {
    filename: 'my.pkg-1.0rc1.tar.gz',
    project: 'my-pkg',
    version: '1.0rc1',
    kind: 'sdist',
    tags: []
  })
  assert.equal(parseDistributionFile('README.txt'), undefined)
})

test('versions sort as PEP 440 orders them', () => {
  const sorted = [
    '1.0',
    '1.10',
    '1.2',
    '1.0rc1',
    '1.0.post1',
    '1.0a2',
    '1.0.dev1',
    '2!0.1',
    '1.0b1'
  ].sort(compareVersions)
  assert.deepEqual(sorted, [
    '1.0.dev1',
    '1.0a2',
    '1.0b1',
    '1.0rc1',
    '1.0',
    '1.0.post1',
    '1.2',
    '1.10',
    '2!0.1'
  ])
})

test('a simple page yields its file names (anchor text, else the href), entities decoded', () => {
  const html = `<html><body>
    <a href="../../files/a-1.0-py3-none-any.whl#sha256=00">a-1.0-py3-none-any.whl</a><br/>
    <a data-requires-python="&gt;=3.8" href="https://files.example/x/a-2.0.tar.gz?x=1#sha256=11">a-2.0.tar.gz</a>
    <a href="/files/a_b-3.0-py3-none-any.whl">link</a>
  </body></html>`
  assert.deepEqual(parseSimplePage(html), [
    'a-1.0-py3-none-any.whl',
    'a-2.0.tar.gz',
    'a_b-3.0-py3-none-any.whl'
  ])
})

function explain(
  files: string[],
  version = '3.11',
  architecture: Architecture = 'x86_64',
  requirement = 'pkg'
) {
  return explainNoWheel({
    requirement,
    project: 'pkg',
    target: { runtime: rt(version), architecture },
    listings: [{ url: 'https://idx.example/simple/pkg/', files }]
  })
}

test('the explanation lists at most ten files, newest version first', () => {
  const files = Array.from(
    { length: 14 },
    (_, i) => `pkg-1.${i}-py3-none-manylinux_2_28_x86_64.whl`
  )
  const message = explain(files)
  const listed = message.split('\n').filter(l => l.startsWith('  pkg-'))
  assert.equal(listed.length, 10)
  assert.match(listed[0], /pkg-1\.13-/)
  assert.match(listed[9], /pkg-1\.4-/)
  assert.match(message, /… and 4 older files/)
})

test('wheels only for another Python: says which ABI to look for and which runtime takes them', () => {
  const message = explain(['pkg-1.0-cp312-cp312-manylinux_2_17_x86_64.whl'], '3.11')
  assert.match(
    message,
    /built for other Pythons \(cp312-cp312; python3\.12 \(x86_64\) accept these\)/
  )
  assert.match(message, /set python-version: '3\.12'/)
  assert.match(message, /cp311 or abi3 wheels/)
})

test('wheels only for the other architecture: suggests it', () => {
  const message = explain(['pkg-1.0-py3-none-manylinux_2_17_x86_64.whl'], '3.12', 'arm64')
  assert.match(message, /set architecture: x86_64/)
  assert.match(
    message,
    /Linux wheels are for another machine than aarch64 \(manylinux_2_17_x86_64; python3\.8\+ \(x86_64\) accept these\)/
  )
})

test('only musllinux or macOS wheels: explains that Lambda runs glibc Linux', () => {
  const message = explain([
    'pkg-1.0-py3-none-musllinux_1_2_x86_64.whl',
    'pkg-1.0-py3-none-macosx_11_0_x86_64.whl'
  ])
  assert.match(message, /Lambda runs glibc Linux/)
  assert.match(message, /musllinux_1_2_x86_64/)
})

test('a fitting version excluded by a pin: says so instead of blaming the platform', () => {
  const message = explain(
    ['pkg-1.0-py3-none-any.whl', 'pkg-2.0-py3-none-manylinux_2_28_x86_64.whl'],
    '3.11',
    'x86_64',
    'pkg>=2'
  )
  assert.match(message, /matching 'pkg>=2'/)
  assert.match(message, /Version 1\.0 of pkg has wheels for python3\.11/)
  assert.match(message, /Requires-Python/)
})

test('an unreadable index is said to be unreadable, a missing project to be missing', () => {
  const target = { runtime: rt('3.12'), architecture: 'x86_64' as const }
  const unreadable = explainNoWheel({
    requirement: 'pkg',
    project: 'pkg',
    target,
    listings: [{ url: 'https://pypi.org/simple/pkg/', problem: 'fetch failed' }]
  })
  assert.match(
    unreadable,
    /Could not list the files that do exist for it \(https:\/\/pypi\.org\/simple\/pkg\/: fetch failed\)/
  )
  const missing = explainNoWheel({
    requirement: 'pkg',
    project: 'pkg',
    target,
    listings: [{ url: 'https://pypi.org/simple/pkg/', problem: 'HTTP 404', notFound: true }]
  })
  assert.match(missing, /'pkg' is not on https:\/\/pypi\.org\/simple\/pkg\//)
  const refused = explainNoWheel({
    requirement: 'pkg',
    project: 'pkg',
    target,
    listings: [{ url: 'https://aws:***@acme.d.codeartifact/simple/pkg/', problem: 'HTTP 401' }]
  })
  assert.match(refused, /answered HTTP 401: the index refused the credentials/)
  assert.match(refused, /codeartifact:ReadFromRepository/)
})

test('credentials: password or lone token is the secret, redacted wherever it appears', () => {
  assert.deepEqual(urlSecrets('https://aws:t%2Fok@host/simple/').slice(0, 1), ['t%2Fok'])
  assert.ok(urlSecrets('https://aws:t%2Fok@host/simple/').includes('t/ok'))
  assert.deepEqual(urlSecrets('https://tok3n@host/simple/').slice(0, 1), ['tok3n'])
  assert.deepEqual(urlSecrets('https://host/simple/'), [])
  assert.equal(redactUrl('https://aws:secret@host/simple/'), 'https://aws:***@host/simple/')
  assert.equal(redactUrl('https://tok3n@host/simple/'), 'https://***@host/simple/')
  const redactor = new Redactor([
    'https://aws:s3cret@host/simple/',
    '--extra-index-url=https://tk@other/simple'
  ])
  assert.equal(
    redactor.redact(
      'from https://aws:s3cret@host/simple/x and https://tk@other/simple, raw s3cret, tk'
    ),
    'from https://aws:***@host/simple/x and https://***@other/simple, raw ***, ***'
  )
})

test("pip's notes on Requires-Python and the requiring package are passed on", () => {
  const message = explainNoWheel({
    requirement: 'pkg',
    project: 'pkg',
    requiredBy: 'app',
    pipNotes: [
      'Ignored the following versions that require a different python version: 2.0 Requires-Python >=3.12'
    ],
    target: { runtime: rt('3.11'), architecture: 'x86_64' },
    listings: [{ url: 'https://idx.example/simple/pkg/', files: ['pkg-2.0-py3-none-any.whl'] }]
  })
  assert.match(message, /^No wheel of 'pkg' \(required by app\) fits python3\.11/)
  assert.match(
    message,
    /\npip: Ignored the following versions that require a different python version: 2\.0/
  )
})
