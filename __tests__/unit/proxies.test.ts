/**
 * The proxy each URL takes, from the environment, must be the one pip takes: every case below is
 * asked of pip itself (its vendored requests: get_environ_proxies + select_proxy, run by this
 * machine's python3 with exactly that environment) and compared with src/proxies.ts.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { proxyFor } from '../../src/proxies'

const P = 'http://proxy.corp:3128'
const Q = 'http://other.corp:8080'
const CASES: { env: Record<string, string>; urls: string[] }[] = [
  { env: { HTTPS_PROXY: P }, urls: ['https://pypi.org/simple/', 'http://pypi.org/simple/'] },
  { env: { HTTP_PROXY: P }, urls: ['https://pypi.org/simple/', 'http://mirror.corp/simple/'] },
  { env: { https_proxy: P, HTTPS_PROXY: Q }, urls: ['https://pypi.org/'] },
  { env: { http_proxy: '', HTTP_PROXY: P }, urls: ['http://mirror.corp/'] },
  { env: { ALL_PROXY: P, HTTPS_PROXY: Q }, urls: ['https://pypi.org/', 'http://pypi.org/'] },
  {
    env: {
      HTTPS_PROXY: P,
      HTTP_PROXY: P,
      NO_PROXY: 'localhost,.corp,10.0.0.0/8,files.example:8443'
    },
    urls: [
      'https://pypi.org/',
      'https://mirror.corp/simple/',
      'https://corp/',
      'http://10.1.2.3:8080/simple/',
      'http://11.1.2.3/simple/',
      'https://files.example:8443/x.whl',
      'https://files.example/x.whl',
      'http://localhost:8080/'
    ]
  },
  {
    env: { HTTPS_PROXY: P, no_proxy: 'example.com', NO_PROXY: '*' },
    urls: ['https://pypi.org/', 'https://badexample.com/']
  },
  { env: { HTTPS_PROXY: P, NO_PROXY: '*' }, urls: ['https://pypi.org/'] },
  {
    env: { HTTP_PROXY: P, NO_PROXY: '127.0.0.1' },
    urls: ['http://127.0.0.1:9000/', 'http://127.0.0.2:9000/']
  },
  { env: { HTTP_PROXY: P, REQUEST_METHOD: 'GET' }, urls: ['http://pypi.org/'] }
]

// one interpreter for every case: the environment is replaced before each
const PIP_SAYS = `
import json, os, sys
from pip._vendor.requests.utils import get_environ_proxies, select_proxy
answers = []
for case in json.loads(sys.argv[1]):
    os.environ.clear()
    os.environ.update(case["env"])
    answers.append([select_proxy(u, get_environ_proxies(u)) for u in case["urls"]])
print(json.dumps(answers))
`

test('the proxy of every URL is the one pip chooses with the same environment', () => {
  const pip = JSON.parse(
    execFileSync('python3', ['-c', PIP_SAYS, JSON.stringify(CASES)], { encoding: 'utf8' })
  ) as (string | null)[][]
  CASES.forEach((c, i) => {
    const ours = c.urls.map(u => proxyFor(u, c.env) ?? null)
    assert.deepEqual(ours, pip[i], JSON.stringify(c.env))
  })
  // the cases are not all alike: some go direct, some through each proxy
  assert.deepEqual(new Set(pip.flat()), new Set([P, Q, null]))
})
