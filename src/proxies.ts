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

/** The proxy URL pip would use for `url` with this environment, or undefined for a direct connection. */
export function proxyFor(url: string | URL, env: Environment): string | undefined {
  const u = typeof url === 'string' ? new URL(url) : url
  const proxies = proxiesOf(env)
  if (bypassed(u, env, proxies)) return undefined
  const scheme = u.protocol.replace(/:$/, '')
  return proxies.get(scheme) ?? proxies.get('all')
}
