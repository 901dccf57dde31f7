/**
 * Errors that name the real cause, with real pip (this machine's python3) against real HTTP servers
 * on loopback: a dependency of a dependency with no wheel for the runtime (matplotlib → contourpy on
 * python3.11, the example, with generated wheels of those names), an index that answers 500,
 * one that refuses the credentials, one that lists a file it then answers 404 for, and one that
 * stops sending in the middle of a file. The misbehaving indexes are loopback stand-ins (a real
 * server that answers as a broken index does), named so in each title.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { promises as fs } from 'node:fs'
import * as http from 'node:http'
import * as https from 'node:https'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { findRuntime, type Architecture } from '../../src/runtimes'
import {
  IndexAnswerError,
  IndexStallError,
  NoCompatibleWheelError
} from '../../src/resolve/pip-errors'
import { InputError } from '../../src/errors'
import { hermeticPipEnv } from '../helpers/pip-env'
import { resolveRequirements } from '../helpers/resolve'
import { captureLog, type CapturedLog } from '../helpers/log'
import { makeIndex, makeWheel, serveIndex, type ServedIndex } from '../helpers/wheels'
import { selfSignedCertificate } from '../helpers/presigned-standin'

const PASSWORD = 'err0r-s3cret-Qx7'
const CP311 = 'cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64'
let tmp: string
let index: ServedIndex
let log: CapturedLog
const servers: http.Server[] = []

before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'layer-resolve-errors-'))
  const b = path.join(tmp, 'built')
  const wheels = await Promise.all([
    makeWheel(b, {
      name: 'app',
      version: '1.0',
      tags: 'py3-none-any',
      requires: ['matplotlib>=3.9']
    }),
    makeWheel(b, {
      name: 'matplotlib',
      version: '3.9.2',
      tags: CP311,
      requires: ['contourpy>=1.0.1', 'pyparsing>=2.3.1']
    }),
    makeWheel(b, {
      name: 'matplotlib',
      version: '3.9.1',
      tags: CP311,
      requires: ['contourpy>=1.0.1', 'pyparsing>=2.3.1']
    }),
    // contourpy 1.3.1 publishes wheels for 3.12 and 3.13 only: nothing loads on python3.11
    makeWheel(b, {
      name: 'contourpy',
      version: '1.3.1',
      tags: 'cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64'
    }),
    makeWheel(b, {
      name: 'contourpy',
      version: '1.3.1',
      tags: 'cp313-cp313-manylinux_2_17_x86_64.manylinux2014_x86_64'
    }),
    makeWheel(b, { name: 'pyparsing', version: '3.1.0', tags: 'py3-none-any' }),
    makeWheel(b, { name: 'listed', version: '1.0', tags: 'py3-none-any' })
  ])
  await makeIndex(path.join(tmp, 'index'), wheels)
  index = await serveIndex(path.join(tmp, 'index'), {
    auth: { username: 'ci', password: PASSWORD }
  })
  log = captureLog()
})

after(async () => {
  log.restore()
  await index.close()
  for (const s of servers) {
    s.closeAllConnections()
    await new Promise(resolve => s.close(resolve))
  }
  await fs.rm(tmp, { recursive: true, force: true })
})

/**
 * A loopback index stand-in: `answer` decides each response; the rest is served from the index
 * folder. With `tls`, over https with that key and certificate.
 */
async function standIn(
  answer: (urlPath: string, res: http.ServerResponse, req: http.IncomingMessage) => boolean,
  tls?: { key: string; cert: string }
): Promise<string> {
  const root = path.join(tmp, 'index')
  const handler: http.RequestListener = (req, res) => {
    void (async () => {
      const urlPath = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)
      if (answer(urlPath, res, req)) return
      let file = path.join(root, path.normalize(urlPath))
      try {
        if ((await fs.stat(file)).isDirectory()) file = path.join(file, 'index.html')
        const body = await fs.readFile(file)
        const type = file.endsWith('.html') ? 'text/html' : 'application/octet-stream'
        res.writeHead(200, { 'Content-Type': type, 'Content-Length': body.length }).end(body)
      } catch {
        res.writeHead(404).end('not found')
      }
    })()
  }
  const server = tls ? https.createServer(tls, handler) : http.createServer(handler)
  servers.push(server)
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}/simple/`
}

const rt = (v: string) => {
  const r = findRuntime(v)
  assert.ok(r, v)
  return r
}

async function resolve(o: {
  file: string
  content: string
  indexUrl: string
  version?: string
  architecture?: Architecture
  pipArgs?: string[]
}) {
  const runtime = rt(o.version ?? '3.11')
  // with a wheelhouse: pip resolves through the look-ahead where it can (an index without credentials)
  const r = await resolveRequirements({ ...o, parent: tmp, runtime, env: hermeticPipEnv() })
  return r.pinned
}

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p
  } catch (error) {
    assert.ok(error instanceof Error)
    return error
  }
  assert.fail('expected a failure')
}

test('a dependency of a dependency with no wheel for python3.11: the chain, the runtime, the wheels that exist and what to pin or drop, not pip’s ResolutionImpossible', async () => {
  const error = await failure(
    resolve({ file: 'requirements.txt', content: 'pyparsing\napp\n', indexUrl: index.url })
  )
  assert.ok(error instanceof NoCompatibleWheelError, error.message)
  assert.deepEqual(error.chain, ['app 1.0', 'matplotlib 3.9.2', 'contourpy 1.3.1'])
  const m = error.message
  assert.match(
    m,
    /^No wheel of 'contourpy' \(not asked for: it comes in through app 1\.0 → matplotlib 3\.9\.2 → contourpy 1\.3\.1\) fits python3\.11 \(Amazon Linux 2, glibc 2\.26, x86_64\)/
  )
  assert.match(
    m,
    /contourpy-1\.3\.1-cp312-cp312-manylinux_2_17_x86_64\.manylinux2014_x86_64\.whl: python3\.12 \(x86_64\)/
  )
  assert.match(
    m,
    /contourpy-1\.3\.1-cp313-cp313-manylinux_2_17_x86_64\.manylinux2014_x86_64\.whl: python3\.13 \(x86_64\)/
  )
  assert.match(m, /set python-version: '3\.12'/)
  assert.match(
    m,
    /To change: app is the requirement you wrote \(requirements\.txt line 2\) that pulls in contourpy \(through matplotlib 3\.9\.2\)\. Pin a version of app .* or drop app/
  )
  assert.doesNotMatch(m, /ResolutionImpossible|conflict is caused by/)
  assert.ok(!m.includes(PASSWORD))
})

test('the same for a requirement written directly: matplotlib==3.9.2 → contourpy 1.3.1 names requirements.txt line 1', async () => {
  const error = await failure(
    resolve({ file: 'requirements.txt', content: 'matplotlib==3.9.2\n', indexUrl: index.url })
  )
  assert.ok(error instanceof NoCompatibleWheelError, error.message)
  assert.deepEqual(error.chain, ['matplotlib 3.9.2', 'contourpy 1.3.1'])
  assert.match(
    error.message,
    /To change: matplotlib is the requirement you wrote \(requirements\.txt line 1\)/
  )
})

test('an index that answers 500 (a loopback stand-in) is said so, with the URL: not "no compatible wheel"; the look-ahead asks once and leaves the retries to pip', async () => {
  // who asked, in order: the look-ahead's walk says layer-action, pip says pip/<version>
  const askers: string[] = []
  const url = await standIn((p, res, req) => {
    if (!p.startsWith('/simple/')) return false
    askers.push(/^pip\//.test(req.headers['user-agent'] ?? '') ? 'pip' : 'layer-action')
    res.writeHead(500).end('internal error')
    return true
  })
  const error = await failure(
    resolve({
      file: 'requirements.txt',
      content: 'pyparsing\n',
      indexUrl: url,
      pipArgs: ['--retries', '1']
    })
  )
  assert.ok(error instanceof IndexAnswerError, error.message)
  assert.equal(error.status, 500)
  assert.match(
    error.message,
    new RegExp(
      `The index at ${url}pyparsing/ answered HTTP 500: the index is failing, not the package`
    )
  )
  assert.doesNotMatch(error.message, /No wheel/)
  // the walk asks once, then pip makes its two attempts (--retries 1), redirected from the loopback
  // index: a walk that retried (4 attempts over 7 s, then the loopback's 10 s wait) held pip back;
  // after pip, the explanation's own probe of the index
  assert.deepEqual(askers.slice(0, 3), ['layer-action', 'pip', 'pip'], askers.join(', '))
})

test('an https index whose certificate neither pip nor the action trusts (a TLS-intercepting proxy\'s CA not given): said so with what to set, not "no compatible wheel"', async () => {
  const tls = selfSignedCertificate(await fs.mkdtemp(path.join(tmp, 'tls-')))
  const url = await standIn(() => false, tls)
  const error = await failure(
    resolve({
      file: 'requirements.txt',
      content: 'pyparsing\n',
      indexUrl: url,
      pipArgs: ['--retries', '0']
    })
  )
  assert.match(
    error.message,
    /the server's certificate is not trusted \(.+\): behind a TLS-intercepting proxy or with a private CA, name the CA's PEM bundle as pip reads it: REQUESTS_CA_BUNDLE/
  )
  assert.ok(error.message.includes(`${url}pyparsing/`), error.message)
  assert.doesNotMatch(error.message, /No wheel|localhost:\d+\/[0-9a-f]{32}/)
})

test('an index that refuses the credentials (401) is said so, the password removed from the URL', async () => {
  const wrong = index.url.replace(PASSWORD, 'not-the-password')
  const error = await failure(
    resolve({ file: 'requirements.txt', content: 'pyparsing\n', indexUrl: wrong })
  )
  assert.ok(error instanceof IndexAnswerError, error.message)
  assert.equal(error.status, 401)
  assert.match(
    error.message,
    /The index at http:\/\/ci:\*\*\*@127\.0\.0\.1:\d+\/simple\/pyparsing\/ refused the credentials \(HTTP 401\)/
  )
  assert.ok(!error.message.includes('not-the-password'))
})

test('a file the index lists and then answers 404 for (a loopback stand-in) is said so, with its URL', async () => {
  const url = await standIn((p, res) => {
    if (!p.startsWith('/files/listed-')) return false
    res.writeHead(404).end('gone')
    return true
  })
  const error = await failure(
    resolve({ file: 'requirements.txt', content: 'listed\n', indexUrl: url })
  )
  assert.ok(error instanceof IndexAnswerError, error.message)
  assert.equal(error.status, 404)
  assert.match(
    error.message,
    /files\/listed-1\.0-py3-none-any\.whl has no such file or page \(HTTP 404\)/
  )
})

test('a server that stops sending in the middle of a file (a loopback stand-in) fails naming the file, not with pip’s traceback', async () => {
  const url = await standIn((p, res) => {
    if (!p.startsWith('/files/pyparsing-')) return false
    res.writeHead(200, { 'Content-Length': 100000 })
    res.write(Buffer.alloc(100))
    return true // and nothing more
  })
  const started = Date.now()
  const error = await failure(
    resolve({
      file: 'requirements.txt',
      content: 'pyparsing\n',
      indexUrl: url,
      pipArgs: ['--timeout', '2']
    })
  )
  assert.ok(error instanceof IndexStallError, error.message)
  assert.match(
    error.message,
    /pip stopped waiting for http:\/\/127\.0\.0\.1:\d+\/files\/pyparsing-3\.1\.0-py3-none-any\.whl/
  )
  assert.doesNotMatch(error.message, /Traceback|ReadTimeoutError/)
  assert.ok(Date.now() - started < 60_000)
})

test('requires-python of pyproject.toml that excludes the target runtime is an input error naming both', async () => {
  const error = await failure(
    resolve({
      file: 'pyproject.toml',
      content:
        '[project]\nname = "svc"\nversion = "1"\nrequires-python = ">=3.12"\ndependencies = ["pyparsing"]\n',
      indexUrl: index.url,
      version: '3.11'
    })
  )
  assert.ok(error instanceof InputError, error.message)
  assert.match(
    error.message,
    /^Input 'python-version' has an invalid value "3\.11": a Python that pyproject\.toml supports: its \[project\] requires-python = ">=3\.12" excludes Python 3\.11\.\d+, the python3\.11 Lambda runtime/
  )
})

/** The pips this machine has besides python3's 23.2.1: 23.0.1 (pyenv 3.10) and 24.2 (pyenv 3.13). */
const OTHER_PIPS = [
  '/root/.pyenv/versions/3.10.13/bin/python',
  '/root/.pyenv/versions/3.13.0/bin/python'
]

for (const python of OTHER_PIPS) {
  test(`pip of ${python}: the report pins the same way, and the transitive no-wheel names the same chain`, async t => {
    if (!(await fs.stat(python).catch(() => undefined)))
      return t.skip(`${python} is not on this machine`)
    const run = async (content: string) =>
      (
        await resolveRequirements({
          parent: tmp,
          content,
          indexUrl: index.url,
          runtime: rt('3.11'),
          env: hermeticPipEnv(),
          python
        })
      ).pinned
    const pinned = await run('pyparsing\n')
    assert.deepEqual(
      pinned.entries.map(e => [
        e.name,
        e.version,
        e.artifact.kind === 'file' && e.artifact.filename
      ]),
      [['pyparsing', '3.1.0', 'pyparsing-3.1.0-py3-none-any.whl']]
    )
    const error = await failure(run('pyparsing\napp\n'))
    assert.ok(error instanceof NoCompatibleWheelError, error.message)
    // pip before 23.1 prints no `Collecting x (from a->…)` chains: the chain starts at the parent pip names
    assert.deepEqual(
      error.chain,
      python.includes('3.10.13')
        ? ['matplotlib 3.9.2', 'contourpy 1.3.1']
        : ['app 1.0', 'matplotlib 3.9.2', 'contourpy 1.3.1']
    )
  })
}
