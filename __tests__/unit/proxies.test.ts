/**
 * The proxy each URL takes, from the environment, must be the one pip takes: every case below is
 * asked of pip itself (its vendored requests: get_environ_proxies + select_proxy, run by this
 * machine's python3 with exactly that environment) and compared with src/proxies.ts.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { caFileFor, proxyFor } from '../../src/proxies'
import { pipNetwork } from '../../src/python/pip'

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

/**
 * pip's own options (--proxy, --no-proxy-env, --cert; from pip-args, PIP_*, pip's config files)
 * against the environment's: each case is asked of pip itself, parsing the same arguments under the
 * same environment and building its session (`_build_session`, then requests'
 * merge_environment_settings and select_proxy), once with this machine's pip (23.2.1: trust_env
 * stays on) and once with pip 26.2.1 from this machine's mirror (a --proxy turns trust_env off).
 * Ours: src/python/pip.ts pipNetwork (pip-args, then `pip config list`) → proxyFor and caFileFor.
 */
const PIP_26 = '/opt/pypi/files/pip-26.2.1-py3-none-any.whl'
const PIP_SESSION_SAYS = `
import json, os, sys
from pip._internal.commands import create_command
from pip._vendor.requests.utils import select_proxy, prepend_scheme_if_needed
answers = []
for case in json.loads(sys.argv[1]):
    os.environ.clear()
    os.environ.update(case["env"])
    cmd = create_command("install")
    options, _ = cmd.parse_args(case["args"] + ["somepkg"])
    session = cmd._build_session(options)
    rows = []
    for u in case["urls"]:
        # pip's PipSession.request passes session.proxies; requests merges the environment into them
        s = session.merge_environment_settings(u, dict(session.proxies), None, None, None)
        p = select_proxy(u, s["proxies"])
        v = s["verify"]
        rows.append([prepend_scheme_if_needed(p, "http") if p else None, v if isinstance(v, str) else None])
    answers.append(rows)
print(json.dumps(answers))
`

interface OptionCase {
  readonly name: string
  readonly env: Record<string, string>
  readonly args: string[]
  /** the pip config file's text (PIP_CONFIG_FILE), else none */
  readonly config?: string
  /** a case pip 23.2.1 answers otherwise (or cannot parse): pip 26.2.1 decides */
  readonly newPipOnly?: true
}

const R = 'http://third.corp:9999'
const URLS = [
  'https://pypi.org/simple/',
  'http://mirror.corp/simple/',
  'https://files.corp:8443/x.whl'
]
const OPTION_CASES: OptionCase[] = [
  {
    name: '--proxy beats HTTPS_PROXY/HTTP_PROXY, NO_PROXY does not exempt from it',
    env: { HTTPS_PROXY: Q, HTTP_PROXY: Q, NO_PROXY: 'pypi.org,.corp' },
    args: ['--proxy', P]
  },
  { name: 'PIP_PROXY beats HTTPS_PROXY', env: { HTTPS_PROXY: Q, PIP_PROXY: P }, args: [] },
  { name: 'an abbreviated --prox= beats PIP_PROXY', env: { PIP_PROXY: Q }, args: [`--prox=${P}`] },
  { name: 'the last --proxy wins', env: {}, args: ['--proxy', Q, '--proxy', P] },
  { name: 'a scheme-less --proxy is http://', env: {}, args: ['--proxy', 'scheme-less.corp:3128'] },
  {
    name: "the config's [install] beats its [global], both beat HTTPS_PROXY",
    env: { HTTPS_PROXY: R },
    args: [],
    config: `[global]\nproxy = ${Q}\n[install]\nproxy = ${P}\n`
  },
  {
    name: "PIP_PROXY beats the config's [install]",
    env: { PIP_PROXY: P },
    args: [],
    config: `[install]\nproxy = ${Q}\n`
  },
  {
    name: 'PIP_PROXY= is dropped: it unsets nothing',
    env: { PIP_PROXY: '' },
    args: [],
    config: `[global]\nproxy = ${P}\n`
  },
  {
    name: "[download] is another command's: the environment's proxy applies",
    env: { HTTPS_PROXY: P },
    args: [],
    config: `[download]\nproxy = ${Q}\n`
  },
  {
    name: 'without pip options, REQUESTS_CA_BUNDLE beats --cert',
    env: { REQUESTS_CA_BUNDLE: '/ca/requests.pem' },
    args: ['--cert', '/ca/pip.pem']
  },
  {
    name: 'CURL_CA_BUNDLE beats PIP_CERT',
    env: { CURL_CA_BUNDLE: '/ca/curl.pem', PIP_CERT: '/ca/pip.pem' },
    args: []
  },
  {
    name: '--ce= beats PIP_CERT, which beats the config',
    env: { PIP_CERT: '/ca/env.pem' },
    args: ['--ce=/ca/args.pem'],
    config: '[global]\ncert = /ca/config.pem\n'
  },
  { name: "the config's cert", env: {}, args: [], config: '[install]\ncert = /ca/config.pem\n' },
  {
    name: 'with --proxy, REQUESTS_CA_BUNDLE is not read: --cert (pip 24.1+)',
    env: { REQUESTS_CA_BUNDLE: '/ca/requests.pem', HTTPS_PROXY: Q },
    args: ['--proxy', P, '--cert', '/ca/pip.pem'],
    newPipOnly: true
  },
  {
    name: '--proxy "" ignores the environment (pip 26.2+)',
    env: { HTTPS_PROXY: Q, HTTP_PROXY: Q, REQUESTS_CA_BUNDLE: '/ca/requests.pem' },
    args: ['--proxy', ''],
    newPipOnly: true
  },
  {
    name: '--no-proxy-env ignores the environment, keeps --proxy (pip 26.2+)',
    env: { HTTPS_PROXY: Q },
    args: ['--no-proxy-env'],
    newPipOnly: true
  },
  {
    name: '--no-proxy-env with --proxy (pip 26.2+)',
    env: { HTTPS_PROXY: Q },
    args: ['--no-proxy-env', '--proxy', P],
    newPipOnly: true
  }
]

test("pip's --proxy, --no-proxy-env and --cert, from pip-args, PIP_* and pip's config files, route and verify as pip does (pip 23.2.1 and 26.2.1 asked)", async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'layer-pip-options-'))
  try {
    const cases = OPTION_CASES.map((c, i) => {
      let configFile = '/dev/null'
      if (c.config) {
        configFile = path.join(dir, `pip-${i}.conf`)
        writeFileSync(configFile, c.config)
      }
      // only what the case sets (HOME empty, so no user config; /etc/pip.conf is read by both sides alike)
      const env: Record<string, string> = {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: dir,
        XDG_CONFIG_DIRS: dir,
        PIP_CONFIG_FILE: configFile,
        PIP_DISABLE_PIP_VERSION_CHECK: '1',
        ...c.env
      }
      return { ...c, env, urls: URLS }
    })
    const ask = (pythonPath: string, which: typeof cases) =>
      JSON.parse(
        execFileSync('python3', ['-c', PIP_SESSION_SAYS, JSON.stringify(which)], {
          encoding: 'utf8',
          env: { ...process.env, PYTHONPATH: pythonPath }
        })
      ) as [string | null, string | null][][]
    const oldPip = ask(
      '',
      cases.filter(c => !c.newPipOnly)
    )
    const newPip = ask(PIP_26, cases)
    const ours: [string | null, string | null][][] = []
    for (const c of cases) {
      const network = await pipNetwork({ python: 'python3', pipArgs: c.args, env: c.env })
      ours.push(
        c.urls.map(u => [proxyFor(u, c.env, network) ?? null, caFileFor(c.env, network) ?? null])
      )
    }
    cases.forEach((c, i) => assert.deepEqual(ours[i], newPip[i], `pip 26.2.1: ${c.name}`))
    cases
      .filter(c => !c.newPipOnly)
      .forEach((c, i) =>
        assert.deepEqual(ours[cases.indexOf(c)], oldPip[i], `pip 23.2.1: ${c.name}`)
      )
    // the cases are not all alike: each proxy and each bundle is somebody's answer, and some go direct
    assert.deepEqual(
      new Set(newPip.flat().map(r => r[0])),
      new Set([P, null, 'http://scheme-less.corp:3128'])
    )
    assert.ok(newPip.flat().some(r => r[1] === '/ca/requests.pem'))
    assert.ok(newPip.flat().some(r => r[1] === '/ca/pip.pem'))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
