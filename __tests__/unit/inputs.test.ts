import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { getInputs } from '../../src/inputs'
import { splitArgs } from '../../src/resolve/inputs'
import { redactUrl } from '../../src/credentials'
import { InputError } from '../../src/errors'
import { setInputs } from '../helpers/action'
import { captureLog } from '../helpers/log'

let workspace: string
const TODAY = new Date('2026-11-22T12:00:00Z')
const BASE = { 'layer-name': 'common', bucket: 'my-bucket', region: 'eu-west-1' }

before(async () => {
  workspace = await mkdtemp(path.join(os.tmpdir(), 'layer-inputs-'))
  await writeFile(path.join(workspace, 'requirements.txt'), 'requests\n')
})
after(() => rm(workspace, { recursive: true, force: true }))

function read(given: Record<string, string>, env: NodeJS.ProcessEnv = {}) {
  const undo = setInputs(given)
  try {
    return getInputs({ GITHUB_WORKSPACE: workspace, ...env }, TODAY)
  } finally {
    undo()
  }
}

function rejects(
  given: Record<string, string>,
  input: string,
  allowed: RegExp,
  env: NodeJS.ProcessEnv = {}
) {
  assert.throws(
    () => read(given, env),
    (e: unknown) => {
      assert.ok(e instanceof InputError, String(e))
      assert.equal(e.input, input)
      assert.match(e.message, new RegExp(`^Input '${input}'`))
      assert.match(e.message, allowed)
      return true
    }
  )
}

test('defaults from action.yml give the contract defaults', () => {
  const i = read(BASE)
  assert.equal(i.requirements, path.join(workspace, 'requirements.txt'))
  assert.equal(i.publishedName, 'common')
  assert.equal(i.runtime.identifier, 'python3.12')
  assert.deepEqual(i.compatibleRuntimes, ['python3.12'])
  assert.equal(i.architecture, 'x86_64')
  assert.equal(i.s3Prefix, 'layers')
  assert.deepEqual(i.regions, ['eu-west-1'])
  assert.equal(i.slim && i.cache && i.publish && i.skipUnchanged && i.tag && i.smokeTest, true)
  assert.equal(i.tagPrefix, 'v')
  assert.equal(i.initialVersion, '1.0.0')
  assert.equal(i.defaultBump, 'patch')
  assert.equal(i.keepVersions, 0)
  assert.ok(Object.isFrozen(i))
})

test('environment names the published layer; region falls back to AWS_REGION then AWS_DEFAULT_REGION', () => {
  const { region: _, ...noRegion } = BASE
  assert.equal(read({ ...BASE, environment: 'dev' }).publishedName, 'common-dev')
  assert.deepEqual(
    read(noRegion, { AWS_REGION: 'us-east-2', AWS_DEFAULT_REGION: 'us-west-1' }).regions,
    ['us-east-2']
  )
  assert.deepEqual(read(noRegion, { AWS_DEFAULT_REGION: 'us-west-1' }).regions, ['us-west-1'])
  assert.deepEqual(
    read({ ...BASE, regions: 'eu-west-1, us-east-1\nap-south-1', bucket: 'b-{region}' }).regions,
    ['eu-west-1', 'us-east-1', 'ap-south-1']
  )
})

test('lists accept commas and newlines; python-version accepts python3.x', () => {
  const i = read({
    ...BASE,
    'python-version': 'python3.13',
    'compatible-runtimes': 'python3.13,\npython3.13',
    'share-with': '123456789012, o-abcdefghij\n*',
    'update-functions': 'fn-a\narn:aws:lambda:eu-west-1:123456789012:function:fn-b',
    'pip-args': `--extra-index-url "https://x/simple" --pre`
  })
  assert.equal(i.runtime.version, '3.13')
  assert.deepEqual(i.compatibleRuntimes, ['python3.13'])
  assert.deepEqual(i.shareWith, ['123456789012', 'o-abcdefghij', '*'])
  assert.equal(i.updateFunctions.length, 2)
  assert.deepEqual(i.pipArgs, ['--extra-index-url', 'https://x/simple', '--pre'])
})

test('publish: false needs neither bucket nor region', () => {
  const i = read({ 'layer-name': 'common', publish: 'false' })
  assert.equal(i.publish, false)
  assert.deepEqual(i.regions, [])
})

const BAD: [string, Record<string, string>, string, RegExp][] = [
  ['missing layer-name', { ...BASE, 'layer-name': '' }, 'layer-name', /required/],
  [
    'layer-name with a space',
    { ...BASE, 'layer-name': 'my layer' },
    'layer-name',
    /letters, digits/
  ],
  ['environment with a dot', { ...BASE, environment: 'dev.1' }, 'environment', /common-dev\.1/],
  [
    'python 3.7',
    { ...BASE, 'python-version': '3.7' },
    'python-version',
    /one of '3\.8', '3\.9', '3\.10', '3\.11', '3\.12', '3\.13', '3\.14' \(the Lambda Python runtimes\)/
  ],
  [
    'python 3.15',
    { ...BASE, 'python-version': '3.15' },
    'python-version',
    /Lambda Python runtimes/
  ],
  ['architecture aarch64', { ...BASE, architecture: 'aarch64' }, 'architecture', /x86_64, arm64/],
  ['slim yes', { ...BASE, slim: 'yes' }, 'slim', /true or false/],
  ['publish 1', { ...BASE, publish: '1' }, 'publish', /true or false/],
  ['missing bucket', { ...BASE, bucket: '' }, 'bucket', /required unless publish is false/],
  ['bucket with capitals', { ...BASE, bucket: 'My_Bucket' }, 'bucket', /3 to 63 lowercase/],
  ['missing region', { 'layer-name': 'x', bucket: 'my-bucket' }, 'region', /AWS_REGION/],
  ['region typo', { ...BASE, region: 'eu-west' }, 'region', /eu-west-1/],
  [
    'missing requirements file',
    { ...BASE, requirements: 'nope.txt' },
    'requirements',
    /no file at/
  ],
  [
    'compatible runtime nodejs',
    { ...BASE, 'compatible-runtimes': 'nodejs20.x' },
    'compatible-runtimes',
    /python3\.12/
  ],
  [
    'index-url without scheme',
    { ...BASE, 'index-url': 'pypi.example.com/simple' },
    'index-url',
    /http\(s\)/
  ],
  [
    'pip-args --target',
    { ...BASE, 'pip-args': '--target /tmp/x' },
    'pip-args',
    /python-version and architecture/
  ],
  [
    'pip-args --platform=x',
    { ...BASE, 'pip-args': '--platform=linux_x86_64' },
    'pip-args',
    /--platform/
  ],
  ['pip-args unbalanced quote', { ...BASE, 'pip-args': '--pre "x' }, 'pip-args', /balanced quotes/],
  ['description too long', { ...BASE, description: 'x'.repeat(257) }, 'description', /256/],
  ['tag-prefix with space', { ...BASE, 'tag-prefix': 'v ' }, 'tag-prefix', /git tag/],
  [
    'initial-version with v',
    { ...BASE, 'initial-version': 'v1.0.0' },
    'initial-version',
    /major\.minor\.patch/
  ],
  [
    'default-bump huge',
    { ...BASE, 'default-bump': 'huge' },
    'default-bump',
    /patch, none|major, minor, patch, none/
  ],
  ['keep-versions -1', { ...BASE, 'keep-versions': '-1' }, 'keep-versions', /whole number/],
  ['share-with short account', { ...BASE, 'share-with': '12345' }, 'share-with', /12-digit/],
  [
    'ssm-parameter without a leading slash',
    { ...BASE, 'ssm-parameter': 'layers/x' },
    'ssm-parameter',
    /leading "\/"/
  ],
  [
    'ssm-parameter with //',
    { ...BASE, 'ssm-parameter': '/layers//x' },
    'ssm-parameter',
    /single "\/"/
  ],
  [
    'ssm-parameter under /aws',
    { ...BASE, 'ssm-parameter': '/aws/layers' },
    'ssm-parameter',
    /not under \/aws or \/ssm/
  ],
  [
    'ssm-parameter under /SSM, any case',
    { ...BASE, 'ssm-parameter': '/SSM-x/layers' },
    'ssm-parameter',
    /reserves/
  ],
  [
    'ssm-parameter with a space',
    { ...BASE, 'ssm-parameter': '/layers/my layer' },
    'ssm-parameter',
    /letters, digits/
  ],
  [
    'ssm-parameter with a placeholder other than {layer}',
    { ...BASE, 'ssm-parameter': '/layers/{env}' },
    'ssm-parameter',
    /\{layer\}/
  ],
  [
    'ssm-parameter of 15 levels (16 with /latest)',
    { ...BASE, 'ssm-parameter': '/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o' },
    'ssm-parameter',
    /at most 15 levels/
  ],
  [
    'compare-with a function ARN',
    { ...BASE, 'compare-with': 'arn:aws:lambda:eu-west-1:123456789012:function:f' },
    'compare-with',
    /layer version ARN/
  ],
  [
    'compare-with a layer ARN without version',
    { ...BASE, 'compare-with': 'arn:aws:lambda:eu-west-1:123456789012:layer:common' },
    'compare-with',
    /auto, latest, none/
  ],
  ['sbom yes', { ...BASE, sbom: 'yes' }, 'sbom', /true or false/],
  ['pr-comment 1', { ...BASE, 'pr-comment': '1' }, 'pr-comment', /true or false/],
  [
    'update-functions with a space',
    { ...BASE, 'update-functions': 'my fn' },
    'update-functions',
    /function names/
  ]
]
for (const [name, given, input, allowed] of BAD) {
  test(`bad input: ${name}`, () => rejects(given, input, allowed))
}

test('pip-args: --proxy, --cert, --client-cert and their abbreviations pass to pip (the action follows them too), as do look-alikes (--progress-bar, --pre)', () => {
  const args =
    '--progress-bar off --proxy http://user:s3cret@proxy.corp:3128 --prox=http://p:1 --cert /etc/ssl/corp.pem --ce=/c.pem --client-cert /k.pem --pre --cache-dir /c'
  assert.deepEqual(read({ ...BASE, 'pip-args': args }).pipArgs, args.split(' '))
})

test('ssm-parameter: {layer} is the published name, 14 levels fit, a trailing slash is dropped; compare-with takes a layer version ARN', () => {
  const i = read({
    ...BASE,
    environment: 'dev',
    'ssm-parameter': '/a/b/c/d/e/f/g/h/i/j/k/l/m/{layer}/',
    'compare-with': 'arn:aws:lambda:eu-west-1:123456789012:layer:common-dev:7'
  })
  assert.equal(i.ssmParameter, '/a/b/c/d/e/f/g/h/i/j/k/l/m/{layer}')
  assert.equal(i.compareWith, 'arn:aws:lambda:eu-west-1:123456789012:layer:common-dev:7')
  assert.equal(read({ ...BASE, 'ssm-parameter': '' }).ssmParameter, '')
  assert.equal(read(BASE).compareWith, 'auto')
  assert.equal(read(BASE).sbom, true)
  assert.equal(read(BASE).prComment, false)
})

for (const [version, dates] of [
  ['3.8', /deprecated from 2024-10-14, .*created from 2027-02-01 .*updated from 2027-03-03/],
  ['3.9', /deprecated from 2025-12-15, .*created from 2027-02-01 .*updated from 2027-03-03/]
] as const) {
  test(`a deprecated runtime builds with one warning naming AWS's dates: python ${version}`, () => {
    const log = captureLog()
    let runtime: string
    try {
      runtime = read({ ...BASE, 'python-version': version }).runtime.identifier
    } finally {
      log.restore()
    }
    assert.equal(runtime, `python${version}`)
    const warnings = log.lines.filter(l => l.startsWith('::warning::'))
    assert.equal(warnings.length, 1, log.text())
    assert.match(warnings[0], new RegExp(`python${version.replace('.', '\\.')} is ${dates.source}`))
    // the day decides which: no more patches, or the blocks have passed too
    assert.match(
      warnings[0],
      /(no more security patches|those dates have passed).*built and published all the same/
    )
    assert.match(warnings[0], /docs\.aws\.amazon\.com\/lambda\/latest\/dg\/lambda-runtimes\.html/)
  })
}

test('a supported runtime gets no deprecation warning', () => {
  const log = captureLog()
  try {
    read({ ...BASE, 'python-version': '3.13' })
  } finally {
    log.restore()
  }
  assert.ok(!log.lines.some(l => l.startsWith('::warning::')), log.text())
})

test('python 3.11 is accepted with a deprecation warning once AWS deprecates it', () => {
  const undo = setInputs({ ...BASE, 'python-version': '3.11' })
  const log = captureLog()
  try {
    assert.equal(
      getInputs({ GITHUB_WORKSPACE: workspace }, new Date('2027-07-01T00:00:00Z')).runtime
        .identifier,
      'python3.11'
    )
  } finally {
    log.restore()
    undo()
  }
  assert.match(
    log.text(),
    /::warning::.*python3\.11 is deprecated from 2027-06-30.*it gets no more security patches/
  )
})

test('credentials in index-url are redacted from messages', () => {
  assert.equal(
    redactUrl('https://user:s3cret@pkgs.example.com/simple/'),
    'https://user:***@pkgs.example.com/simple/'
  )
  assert.equal(redactUrl('https://pkgs.example.com/simple/'), 'https://pkgs.example.com/simple/')
  assert.throws(
    () => read({ ...BASE, 'index-url': 'ftp://user:s3cret@host/simple' }),
    (e: unknown) => e instanceof InputError && !e.message.includes('s3cret')
  )
})

test('splitArgs splits like a shell', () => {
  assert.deepEqual(splitArgs(''), [])
  assert.deepEqual(splitArgs(`  --a  'b c' "d \\"e\\"" f\\ g `), ['--a', 'b c', 'd "e"', 'f g'])
})

test('the debug line of the inputs carries no credentials, from index-url or pip-args', () => {
  const lines: string[] = []
  const write = process.stdout.write.bind(process.stdout)
  process.stdout.write = ((chunk: string) => {
    lines.push(String(chunk))
    return true
  }) as typeof process.stdout.write
  try {
    read({
      ...BASE,
      'index-url': 'https://ci:t0ken-a@pkgs.example.com/simple/',
      'pip-args': '--extra-index-url https://ci:t0ken-b@other.example.com/simple/'
    })
  } finally {
    process.stdout.write = write
  }
  const debug = lines.filter(l => l.startsWith('::debug::inputs:'))
  assert.equal(debug.length, 1)
  assert.ok(!/t0ken-[ab]/.test(debug[0]), debug[0])
  assert.match(debug[0], /ci:\*\*\*@other\.example\.com/)
  assert.ok(
    lines.some(l => l.startsWith('::add-mask::t0ken-b')),
    'pip-args credentials are masked too'
  )
})
