/**
 * Which proxy a URL goes through, read from the environment exactly as pip reads it (pip's vendored
 * requests: `get_environ_proxies` and `select_proxy`, on Python's `getproxies_environment`), so the
 * action's own downloads take the road pip's take on the same runner:
 * - `http_proxy`/`HTTP_PROXY` for http: URLs, `https_proxy`/`HTTPS_PROXY` for https: URLs (never the
 *   http one for https), `all_proxy`/`ALL_PROXY` for either; the lower-case name wins, and a
 *   lower-case name set to '' turns the upper-case one off;
 * - `no_proxy`/`NO_PROXY`: `*`, host names matched as suffixes (`.corp`, `example.com`, with or
 *   without a port), IPv4 addresses and CIDR blocks (`10.0.0.0/8`).
 * undici's EnvHttpProxyAgent differs on two points (it sends https through HTTP_PROXY when
 * HTTPS_PROXY is unset, and it knows no CIDR), hence this choice before undici's ProxyAgent.
 *
 * pip's own options come first (read in pypa/pip at 6d309205, 26.3.dev0; paths under src/pip/_internal/
 * and src/pip/_vendor/requests/):
 * - where the value comes from: the command line (the last --proxy wins), else PIP_PROXY, else the
 *   config files' `[install]` section (the command that resolves; `pip install`), else `[global]`
 *   (cli/parser.py:230 `override_order = ["global", self.name, ":env:"]`; empty values are dropped
 *   there, :249, so `proxy =` in a file or PIP_PROXY= unsets nothing). `pip config list` already
 *   merges the files (configuration.py:45, global < user < site < PIP_CONFIG_FILE).
 * - what it does (cli/index_command.py:125-136): a --proxy sets `session.proxies = {http: P,
 *   https: P}` and `session.trust_env = False`, so requests (sessions.py:845-860) reads no proxy
 *   variable, no NO_PROXY and no REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE: every http(s) URL goes through P.
 *   `--proxy ""` or --no-proxy-env (pip 26.2+) turn the environment off the same way: direct.
 * - pip 22.1 to 24.0 kept trust_env on, but passed session.proxies to each request
 *   (network/session.py:535 `kwargs.setdefault("proxies", self.proxies)`), where the environment's
 *   proxies only `setdefault` missing schemes (sessions.py:849-851) and NO_PROXY only empties that
 *   environment dict (utils.py:879): P still carried every http(s) URL, NO_PROXY's hosts included.
 */
import net from 'node:net'

export type Environment = Readonly<Record<string, string | undefined>>

/** scheme (`http`, `https`, `all`, `no`) → value, as Python's getproxies_environment() builds it. */
function proxiesOf(env: Environment): Map<string, string> {
  const proxies = new Map<string, string>()
  for (const [name, value] of Object.entries(env))
    if (value && name.toLowerCase().endsWith('_proxy'))
      proxies.set(name.toLowerCase().slice(0, -6), value)
  // CGI: HTTP_PROXY may come from a client's "Proxy:" header (CVE-2016-1000110)
  if ('REQUEST_METHOD' in env) proxies.delete('http')
  // lower case wins, and an empty lower-case value removes the proxy
  for (const [name, value] of Object.entries(env)) {
    if (!name.endsWith('_proxy')) continue
    if (value) proxies.set(name.slice(0, -6), value)
    else proxies.delete(name.slice(0, -6))
  }
  return proxies
}

function ipv4ToNumber(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0)
}

function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/')
  const size = Number(bits)
  if (!net.isIPv4(base) || !Number.isInteger(size) || size < 1 || size > 32) return false
  const mask = size === 32 ? 0xffffffff : (0xffffffff << (32 - size)) >>> 0
  return (ipv4ToNumber(ip) & mask) >>> 0 === (ipv4ToNumber(base) & mask) >>> 0
}

/** requests' should_bypass_proxies, then Python's proxy_bypass_environment. */
function bypassed(url: URL, env: Environment, proxies: Map<string, string>): boolean {
  const hostname = url.hostname.replace(/^\[|\]$/g, '').toLowerCase()
  if (!hostname) return true
  const noProxy = env.no_proxy || env.NO_PROXY
  if (noProxy) {
    const entries = noProxy.replace(/ /g, '').split(',').filter(Boolean)
    if (net.isIPv4(hostname)) {
      if (entries.some(e => (e.includes('/') ? inCidr(hostname, e) : e === hostname))) return true
    } else {
      const withPort = url.port ? `${hostname}:${url.port}` : hostname
      // requests matches plain suffixes here (`example.com` also matches `badexample.com`)
      if (entries.some(e => hostname.endsWith(e) || withPort.endsWith(e))) return true
    }
  }
  const no = proxies.get('no')
  if (!no) return false
  if (no === '*') return true
  const host = url.port ? `${hostname}:${url.port}` : hostname
  for (const raw of no.split(',')) {
    const name = raw.trim().replace(/^\.+/, '').toLowerCase()
    if (!name) continue
    if (hostname === name || host === name) return true
    if (hostname.endsWith(`.${name}`) || host.endsWith(`.${name}`)) return true
  }
  return false
}

/** What pip's own options say about the network: --proxy, --no-proxy-env, --cert, --client-cert. */
export interface PipNetwork {
  /** --proxy: a URL, '' for none (pip 26.2+), undefined when pip is given none */
  readonly proxy?: string
  /** --no-proxy-env: the proxy variables are not read (pip 26.2+) */
  readonly noProxyEnv?: boolean
  /** --cert: a CA bundle's path */
  readonly cert?: string
  /** --client-cert: one PEM file holding the client's private key and certificate */
  readonly clientCert?: string
}

/** A proxy as requests takes it: a value without a scheme is http:// (adapters.py:493 prepend_scheme_if_needed). */
export function proxyUrl(proxy: string): string {
  return proxy.includes('://') ? proxy : `http://${proxy}`
}

/** Whether pip's options replace the proxy variables (requests' trust_env is off). */
export function pipOverridesEnvironment(pip: PipNetwork): boolean {
  return pip.proxy !== undefined || pip.noProxyEnv === true
}

/** The proxy URL pip would use for `url` with this environment and these options, or undefined for a direct connection. */
export function proxyFor(
  url: string | URL,
  env: Environment,
  pip: PipNetwork = {}
): string | undefined {
  const u = typeof url === 'string' ? new URL(url) : url
  if (pipOverridesEnvironment(pip)) {
    if (!pip.proxy || (u.protocol !== 'http:' && u.protocol !== 'https:')) return undefined
    return proxyUrl(pip.proxy)
  }
  const proxies = proxiesOf(env)
  if (bypassed(u, env, proxies)) return undefined
  const scheme = u.protocol.replace(/:$/, '')
  return proxies.get(scheme) ?? proxies.get('all')
}

/**
 * The CA bundle pip would verify with: requests puts REQUESTS_CA_BUNDLE, then CURL_CA_BUNDLE, before
 * the session's `verify` (pip's --cert) while it trusts the environment (sessions.py:855-865: the
 * request's value wins merge_setting), and reads neither once a --proxy turned trust_env off; with
 * no bundle at all, SSL_CERT_FILE (OpenSSL's default, which pip's truststore context reads).
 */
export function caFileFor(env: Environment, pip: PipNetwork = {}): string | undefined {
  const fromRequests = pipOverridesEnvironment(pip)
    ? undefined
    : env.REQUESTS_CA_BUNDLE || env.CURL_CA_BUNDLE
  return fromRequests || pip.cert || env.SSL_CERT_FILE || undefined
}

/** pip's strtobool, for --no-proxy-env from PIP_NO_PROXY_ENV or a config file */
function pipTrue(value: string | undefined): boolean {
  return /^(y|yes|t|true|on|1)$/i.test(value ?? '')
}

/** pip's network options from `option` (`proxy`, `cert`, …) → its value in pip's precedence, or undefined. */
export function pipNetworkFrom(option: (name: string) => string | undefined): PipNetwork {
  const proxy = option('proxy')
  const cert = option('cert')
  const clientCert = option('client-cert')
  return {
    ...(proxy !== undefined ? { proxy } : {}),
    ...(pipTrue(option('no-proxy-env')) ? { noProxyEnv: true } : {}),
    ...(cert ? { cert } : {}),
    ...(clientCert ? { clientCert } : {})
  }
}

/** The PIP_* variable of a pip option (`client-cert` → PIP_CLIENT_CERT); empty is unset, as pip drops it. */
export function pipVariable(env: Environment, option: string): string | undefined {
  return env[`PIP_${option.toUpperCase().replace(/-/g, '_')}`] || undefined
}

type PipNetworkReader = (env: Environment) => Promise<PipNetwork>
let runNetwork: PipNetworkReader | undefined

/**
 * How this run reads pip's network options (pip-args, PIP_*, pip's config files), set once when the
 * inputs are read, so every HttpClient takes pip's road without each caller passing it down.
 */
export function usePipNetwork(read: PipNetworkReader | undefined): void {
  runNetwork = read
}

/** pip's network options for this run; the PIP_* variables alone before the inputs were read. */
export function pipNetworkOfRun(env: Environment): Promise<PipNetwork> {
  return runNetwork
    ? runNetwork(env)
    : Promise.resolve(pipNetworkFrom(name => pipVariable(env, name)))
}
