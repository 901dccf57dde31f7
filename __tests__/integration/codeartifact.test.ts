/**
 * CodeArtifact as the index, against a loopback stand-in for CodeArtifact (moto has none; see
 * helpers/codeartifact-standin.ts for the API it answers): the index URL is built from the
 * stand-in's answers with the real SDK client, pip resolves against it, and the token reaches no
 * log line (only the runner's own ::add-mask:: command carries it).
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { promises as fs } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { findRuntime } from '../../src/runtimes'
import {
  CodeArtifactError,
  codeArtifactIndexUrl,
  createCodeArtifactClient,
  indexUrlOf
} from '../../src/resolve/codeartifact'
import { downloadWheels } from '../../src/resolve/pip'
import { hermeticPipEnv } from '../helpers/pip-env'
import { captureLog } from '../helpers/log'
import { makeIndex, makeWheel } from '../helpers/wheels'
import { startCodeArtifactStandIn, type StandIn } from '../helpers/codeartifact-standin'

// shaped like a real token: a long base64url JWT-like string
const TOKEN =
  'eyJ2ZXIiOjEsImlzdSI6MTcwMDAwMDAwMCwiZW5jIjoiQTEyOEdDTSIsInRhZyI6Ik5vdEFSZWFsVG9rZW4ifQ.c2VjcmV0LXBhcnQ.Zm9vYmFy'
const OWNER = '123456789012'
let tmp: string
let standIn: StandIn
const saved: Record<string, string | undefined> = {}

before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'layer-codeartifact-'))
  await makeIndex(path.join(tmp, 'index'), [
    await makeWheel(path.join(tmp, 'wheels'), {
      name: 'private-lib',
      version: '4.2.0',
      tags: 'py3-none-any'
    })
  ])
  standIn = await startCodeArtifactStandIn({
    domain: 'acme',
    domainOwner: OWNER,
    repository: 'python-internal',
    token: TOKEN,
    indexRoot: path.join(tmp, 'index'),
    deniedDomains: ['locked']
  })
  // the SDK reads these itself, as on a runner after configure-aws-credentials
  const env = {
    AWS_ENDPOINT_URL_CODEARTIFACT: standIn.endpoint,
    AWS_ACCESS_KEY_ID: 'AKIDTESTING',
    AWS_SECRET_ACCESS_KEY: 'testing-secret',
    AWS_SESSION_TOKEN: undefined,
    AWS_PROFILE: undefined
  }
  for (const [k, v] of Object.entries(env)) {
    saved[k] = process.env[k]
    if (v === undefined) delete process.env[k]
    else process.env[k] = v
  }
})

after(async () => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k]
    else process.env[k] = v
  }
  await standIn?.close()
  await fs.rm(tmp, { recursive: true, force: true })
})

test('the index URL has the shape AWS documents for pip', () => {
  assert.equal(
    indexUrlOf(
      'https://acme-123456789012.d.codeartifact.eu-west-1.amazonaws.com/pypi/python-internal/',
      'tok'
    ),
    'https://aws:tok@acme-123456789012.d.codeartifact.eu-west-1.amazonaws.com/pypi/python-internal/simple/'
  )
})

test('the index URL is built from the stand-in’s answers, pip resolves against it, and the token reaches no log line', async () => {
  const log = captureLog()
  let url: string
  let files: string[]
  try {
    const client = createCodeArtifactClient({ region: 'eu-west-1' })
    url = await codeArtifactIndexUrl(client, {
      domain: 'acme',
      repository: 'python-internal',
      domainOwner: OWNER
    })
    client.destroy()
    files = await downloadWheels({
      requirements: await writeRequirements('private-lib==4.2.0\n'),
      wheelhouse: path.join(tmp, 'wheelhouse'),
      runtime: findRuntime('3.12')!,
      architecture: 'x86_64',
      python: 'python3',
      indexUrl: url,
      pipArgs: [],
      env: hermeticPipEnv()
    })
  } finally {
    log.restore()
  }
  assert.equal(
    url,
    `http://aws:${TOKEN}@${standIn.endpoint.slice('http://'.length)}/pypi/python-internal/simple/`
  )
  assert.deepEqual(files, ['private_lib-4.2.0-py3-none-any.whl'])
  assert.deepEqual(
    standIn.calls.map(c => [c.method, c.path, c.query, c.signed]),
    [
      [
        'POST',
        '/v1/authorization-token',
        { domain: 'acme', 'domain-owner': OWNER, duration: '3600' },
        true
      ],
      [
        'GET',
        '/v1/repository/endpoint',
        { domain: 'acme', 'domain-owner': OWNER, repository: 'python-internal', format: 'pypi' },
        true
      ]
    ]
  )
  assert.ok(
    log.lines.some(l => l === `::add-mask::${TOKEN}`),
    'the token is registered as a secret'
  )
  const leaked = log.lines.filter(l => l.includes(TOKEN) && !l.startsWith('::add-mask::'))
  assert.deepEqual(leaked, [])
  // the index itself is logged once, by resolve (e2e/sources.test.ts); here only the token's provenance
  assert.match(
    log.text(),
    /CodeArtifact: a token for repository 'python-internal' of domain 'acme'/
  )
})

test('AccessDenied names the IAM permissions; an unknown domain or repository names the inputs', async () => {
  const client = createCodeArtifactClient({ region: 'eu-west-1', maxAttempts: 1 })
  try {
    await assert.rejects(
      codeArtifactIndexUrl(client, {
        domain: 'locked',
        repository: 'python-internal',
        domainOwner: ''
      }),
      (e: unknown) => {
        assert.ok(e instanceof CodeArtifactError)
        assert.match(e.message, /^CodeArtifact refused GetAuthorizationToken for domain 'locked'/)
        assert.match(e.message, /codeartifact:GetAuthorizationToken/)
        assert.match(e.message, /codeartifact:ReadFromRepository/)
        assert.match(e.message, /sts:GetServiceBearerToken/)
        return true
      }
    )
    await assert.rejects(
      codeArtifactIndexUrl(client, { domain: 'acme', repository: 'nope', domainOwner: OWNER }),
      (e: unknown) => {
        assert.ok(e instanceof CodeArtifactError)
        assert.match(
          e.message,
          /^CodeArtifact has no domain 'acme' owned by 123456789012, repository 'nope' in eu-west-1/
        )
        assert.match(e.message, /GetRepositoryEndpoint: Repository nope not found/)
        assert.match(e.message, /'codeartifact-repository'/)
        return true
      }
    )
  } finally {
    client.destroy()
  }
})

async function writeRequirements(text: string): Promise<string> {
  const file = path.join(tmp, 'requirements.txt')
  await fs.writeFile(file, text)
  return file
}

test('no region anywhere: the error says which input sets it', async () => {
  const saved = {
    AWS_REGION: process.env.AWS_REGION,
    AWS_DEFAULT_REGION: process.env.AWS_DEFAULT_REGION
  }
  delete process.env.AWS_REGION
  delete process.env.AWS_DEFAULT_REGION
  // nor from a profile of the machine running the test
  Object.assign(saved, { AWS_CONFIG_FILE: process.env.AWS_CONFIG_FILE })
  process.env.AWS_CONFIG_FILE = path.join(tmp, 'no-aws-config')
  const client = createCodeArtifactClient({ maxAttempts: 1 })
  try {
    await assert.rejects(
      codeArtifactIndexUrl(client, {
        domain: 'acme',
        repository: 'python-internal',
        domainOwner: ''
      }),
      /^CodeArtifactError: No AWS region for CodeArtifact: set 'region'/
    )
  } finally {
    client.destroy()
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  }
})
