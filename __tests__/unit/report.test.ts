import { test } from 'node:test'
import assert from 'node:assert/strict'
import { healthFailureSummary, outputsOf, summaryOf, type RunResult } from '../../src/report'
import { HealthCheckError } from '../../src/deliver/outcome'
import { Outputs } from '../../src/constants'
import { findRuntime } from '../../src/runtimes'
import type { ActionInputs } from '../../src/inputs'
import type { DeliveryResult } from '../../src/deliver/deliver'
import { actionYml } from '../helpers/action'
import { ACTION_VERSION } from '../../src/constants'
import { readFileSync } from 'node:fs'

const runtime = findRuntime('3.12')!
const arn = (region: string, v: number) =>
  `arn:aws:lambda:${region}:123456789012:layer:common-dev:${v}`

const inputs = {
  publishedName: 'common-dev',
  environment: 'dev',
  runtime,
  architecture: 'x86_64',
  compatibleRuntimes: ['python3.12'],
  publish: true
} as unknown as ActionInputs

function delivery(
  region: string,
  version: number,
  published: boolean,
  more: Partial<DeliveryResult> = {}
): DeliveryResult {
  return {
    region,
    published,
    rerun: false,
    commit: '',
    layerArn: arn(region, version).replace(/:\d+$/, ''),
    layerVersionArn: arn(region, version),
    version,
    codeSha256: 'abc=',
    s3: published
      ? { bucket: `bucket-${region}`, key: 'layers/common-dev/20261122-104512/common-dev.zip' }
      : undefined,
    deleted: [],
    shared: [],
    functions: [],
    changes: [],
    ...more
  }
}

function result(deliveries: DeliveryResult[]): RunResult {
  const packages = [
    'numpy',
    'pandas',
    'pydantic_core',
    'boto3',
    'botocore',
    'lxml',
    'six',
    'idna'
  ].map((name, i) => ({
    name,
    bytes: (10 - i) * 1_000_000,
    files: 10,
    paths: [`${name}/`]
  }))
  return {
    inputs,
    plan: {
      runtimeLabel: 'python3.12 x86_64 (Amazon Linux 2023, glibc 2.34)',
      release: {
        version: '1.4.0',
        previousVersion: '1.3.2',
        bump: 'minor',
        tag: 'v1.4.0',
        newTag: true,
        changes: {
          breaking: [],
          features: [{ sha: 'a'.repeat(40), type: 'feat', subject: 'add pandas' }],
          fixes: [],
          other: []
        }
      }
    },
    layer: {
      wheels: ['a.whl', 'b.whl'],
      cache: 'exact',
      slim: {
        removedFiles: 120,
        removedBytes: 4_000_000,
        byRule: [
          { rule: 'test suites', reason: 'only pytest runs them', files: 120, bytes: 4_000_000 }
        ]
      },
      size: { totalBytes: packages.reduce((n, p) => n + p.bytes, 0), files: 80, packages }
    },
    zip: {
      path: '/tmp/common-dev.zip',
      zipSize: 12_000_000,
      unzippedSize: 52_000_000,
      sha256: 'c2hh',
      sha256Hex: '',
      entries: 90,
      stored: 3
    },
    deliveries,
    tag: { tag: 'v1.4.0', status: 'created' }
  } as unknown as RunResult
}

test('every output of action.yml is set, from the primary region', () => {
  const o = outputsOf(result([delivery('eu-west-1', 7, true), delivery('us-east-1', 3, true)]))
  assert.deepEqual(Object.keys(o).sort(), Object.keys(actionYml.outputs).sort())
  assert.equal(o[Outputs.LayerVersionArn], arn('eu-west-1', 7))
  assert.equal(o[Outputs.LayerArn], arn('eu-west-1', 7).replace(/:7$/, ''))
  assert.equal(o[Outputs.LayerVersion], '7')
  assert.deepEqual(JSON.parse(o[Outputs.LayerVersionArns]), {
    'eu-west-1': arn('eu-west-1', 7),
    'us-east-1': arn('us-east-1', 3)
  })
  assert.equal(o[Outputs.Published], 'true')
  assert.equal(o[Outputs.S3Bucket], 'bucket-eu-west-1')
  assert.equal(o[Outputs.Version], '1.4.0')
  assert.equal(o[Outputs.PreviousVersion], '1.3.2')
  assert.equal(o[Outputs.Bump], 'minor')
  assert.equal(o[Outputs.CompatibleRuntimes], 'python3.12')
  assert.equal(o[Outputs.ZipSize], '12000000')
})

test('without publishing, the layer outputs are empty and published is false', () => {
  const o = outputsOf(result([]))
  assert.equal(o[Outputs.Published], 'false')
  assert.equal(o[Outputs.LayerVersionArn], '')
  assert.equal(o[Outputs.LayerVersionArns], '')
  assert.equal(o[Outputs.ZipPath], '/tmp/common-dev.zip')
})

test('the summary: outcome, release, regions, changelog, ten largest packages, a pie chart, what slim removed', () => {
  const s = summaryOf(
    result([
      delivery('eu-west-1', 7, true),
      delivery('us-east-1', 3, false, { skippedReason: 'unchanged' })
    ])
  )
  assert.match(s, /## Lambda layer <code>common-dev<\/code>: published version 7/)
  assert.match(s, /Release \*\*v1\.4\.0\*\* \(minor bump from 1\.3\.2\) · tag pushed/)
  assert.match(s, /\| eu-west-1 \| .*:7<\/code> \| yes \|/)
  assert.match(s, /\| us-east-1 \| .*:3<\/code> \| no \(unchanged\) \|/)
  assert.match(s, /### Features\n- add pandas \(aaaaaaa\)/)
  assert.match(s, /\| numpy \| 9\.5 MB \| 10 \|/)
  assert.match(s, /```mermaid\npie showData/)
  assert.match(s, /"everything else"/)
  assert.match(s, /### Left out: 3\.8 MB in 120 files/)
  assert.match(s, /only pytest runs them/)
})

test('an unchanged layer says so', () => {
  assert.match(
    summaryOf(result([delivery('eu-west-1', 7, false)])),
    /unchanged — stays at version 7/
  )
})

test('a rerun of the same commit: published is true as after a clean run, and the summary lists what it completed, or says nothing was left', () => {
  const rerun = delivery('eu-west-1', 2, false, {
    rerun: true,
    commit: 'c'.repeat(40),
    skippedReason: 'published from this commit by an earlier run (version 2)'
  })
  const r = { ...result([rerun]), changes: ['wrote /layers/common-dev/1.4.0', 'pushed tag v1.4.0'] }
  const s = summaryOf(r)
  assert.match(
    s,
    /## Lambda layer <code>common-dev<\/code>: version 2, published from this commit by an earlier run/
  )
  assert.match(
    s,
    /This rerun completed what an earlier run of this commit left undone:\n\n- wrote \/layers\/common-dev\/1\.4\.0\n- pushed tag v1\.4\.0\n/
  )
  assert.equal(outputsOf(r)[Outputs.Published], 'true')
  const third = summaryOf({ ...r, changes: [] })
  assert.match(third, /Nothing left to do: an earlier run of this commit had finished every step\./)
  assert.doesNotMatch(summaryOf(result([delivery('eu-west-1', 2, true)])), /Nothing left|rerun/)
})

test('ACTION_VERSION (the AWS user agent) matches package.json', () => {
  assert.equal(ACTION_VERSION, JSON.parse(readFileSync('package.json', 'utf8')).version)
})

test('a reuse says "reused version N", not unchanged; SSM parameters and the GitHub Release are listed', () => {
  const reused = delivery('eu-west-1', 1, false, {
    reusedVersion: 1,
    skippedReason: 'reused version 1 (same CodeSha256, runtimes and architecture)',
    parameters: ['/layers/common-dev/latest']
  })
  const r = {
    ...result([reused]),
    release: {
      tag: 'v1.4.0',
      outcome: {
        url: 'https://github.com/acme/layers/releases/tag/v1.4.0',
        id: 1,
        uploadUrl: 'https://uploads.github.com/repos/acme/layers/releases/1/assets{?name,label}',
        status: 'updated',
        writes: 1
      }
    }
  } as RunResult
  const s = summaryOf(r)
  assert.match(s, /## Lambda layer <code>common-dev<\/code>: reused version 1 /)
  assert.doesNotMatch(s, /unchanged/)
  assert.match(s, /\| SSM parameters \| <code>\/layers\/common-dev\/latest<\/code> in eu-west-1 \|/)
  assert.match(
    s,
    /\| GitHub Release \| \[v1\.4\.0\]\(<https:\/\/github\.com\/acme\/layers\/releases\/tag\/v1\.4\.0>\) \(updated\) \|/
  )
  const o = outputsOf(r)
  assert.equal(o[Outputs.ReleaseUrl], 'https://github.com/acme/layers/releases/tag/v1.4.0')
  assert.equal(o[Outputs.RolledBack], 'false')
  assert.equal(o[Outputs.Published], 'false')
})

test('a failed health check: the summary names the function, its error, what was put back and what stays', () => {
  const e = new HealthCheckError(
    'Health check failed',
    [delivery('eu-west-1', 8, true)],
    { name: 'api', region: 'eu-west-1', error: "ImportModuleError: No module named 'x'" },
    [
      { name: 'api (eu-west-1)', layers: [arn('eu-west-1', 7)] },
      { name: 'worker (eu-west-1)', layers: [] }
    ],
    []
  )
  assert.equal(e.rolledBack, true)
  const s = healthFailureSummary(e)
  assert.match(s, /## Health check failed: rolled back/)
  assert.match(s, /Function <code>api<\/code> in eu-west-1 returned: <code>ImportModuleError/)
  assert.match(
    s,
    /Put back on their previous layers:\n\n- <code>api \(eu-west-1\)<\/code>: <code>arn:aws:lambda:eu-west-1:123456789012:layer:common-dev:7<\/code>\n- <code>worker \(eu-west-1\)<\/code>: no layers\n/
  )
  assert.match(
    s,
    /Still published: <code>[^<]*common-dev:8<\/code>\. The next run with the same zip reuses it, and keep-versions prunes it/
  )
  assert.match(
    s,
    /This run deleted no old version and wrote no SSM parameter, tag or GitHub Release/
  )
})

test('the smoke test row names the modules this run imported, and those that passed before with the run and cache key that vouch for them', () => {
  const s = summaryOf({
    ...result([delivery('eu-west-1', 7, true)]),
    smoke: {
      interpreter: '/usr/bin/python3.12',
      python: '3.12.7',
      modules: ['numpy', 'pandas', 'tabulate', 'yaml'],
      failures: [],
      key: 'layer-action-smoke-python3.12-x86_64-abc-3.12.7-run9',
      tested: ['tabulate'],
      fromCache: [
        { module: 'numpy', run: '7', url: 'https://github.example/o/r/actions/runs/7', key: 'k7' },
        { module: 'pandas', run: '7', url: 'https://github.example/o/r/actions/runs/7', key: 'k7' },
        { module: 'yaml', run: '8', key: 'k8-partial' }
      ],
      modulesKey: 'layer-action-imports-python3.12-x86_64-def-run9-0123456789ab'
    }
  })
  const row = /\| Smoke test \| (.*) \|/.exec(s)?.[1] ?? ''
  assert.match(
    row,
    /^4 modules import on \/usr\/bin\/python3\.12 \(3\.12\.7\): <code>tabulate<\/code> imported by this run; 3 passed before/
  )
  assert.match(
    row,
    /run \[7\]\(<https:\/\/github\.example\/o\/r\/actions\/runs\/7>\), cache key <code>k7<\/code>: <code>numpy<\/code>, <code>pandas<\/code>; run 8, cache key <code>k8-partial<\/code>: <code>yaml<\/code>/
  )
  assert.match(
    row,
    /per-module verdicts <code>layer-action-imports-python3\.12-x86_64-def-run9-0123456789ab<\/code>/
  )
})
