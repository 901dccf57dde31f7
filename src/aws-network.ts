/**
 * The road of the AWS SDK's own requests (S3, Lambda, SSM, CodeArtifact). The SDK for JavaScript v3
 * reads no proxy variable: its developer guide ("Configure proxies for Node.js") gives a proxy
 * agent to NodeHttpHandler as `httpAgent` and `httpsAgent`. The AWS CLI and botocore, which the
 * job's other steps use, read HTTPS_PROXY, HTTP_PROXY and NO_PROXY; so does this, with the rules
 * of ./proxies.ts (proxyFor with the environment alone: pip's --proxy and PIP_PROXY are pip's, not
 * AWS's; the same variables as botocore, ALL_PROXY and NO_PROXY's CIDR blocks on top, as requests).
 *
 * The choice is made per request, by its scheme, host and port, so NO_PROXY holds for whatever
 * endpoint a client reaches: regional, AWS_ENDPOINT_URL*, a bucket's virtual host. The agents keep
 * NodeHttpHandler's own settings (keep-alive, 50 sockets per host); the SDK's retries are
 * untouched, a refused or failed proxy being a connection error like any other.
 *
 * A TLS-intercepting proxy's CA: AWS_CA_BUNDLE, as the AWS CLI reads it, replaces the default
 * roots (botocore's verify=<path>); NODE_EXTRA_CA_CERTS, which Node reads at start-up, is added
 * back, since a `ca` given to an agent replaces it too (as ./http.ts does for pip's bundle).
 * Proxy credentials (`http://user:pass@proxy:3128`) are registered with the runner's masking.
 */
import http from 'node:http'
import https from 'node:https'
import { HttpProxyAgent } from 'http-proxy-agent'
import { HttpsProxyAgent } from 'https-proxy-agent'
import { Redactor } from './credentials'
import { readPem } from './http'
import { proxyFor, proxyUrl, type Environment } from './proxies'

/** NodeHttpHandler's own agent settings. */
const AGENT_OPTIONS = { keepAlive: true, maxSockets: 50 } as const

/** What an agent does with a request before it has a socket; every http.Agent has it, @types/node omits it. */
interface Routable {
  addRequest(
    req: http.ClientRequest,
    options: http.RequestOptions & { secureEndpoint: boolean }
  ): void
}

/**
 * An agent of one scheme that hands each request to the direct agent or to the proxy agent the
 * environment names for its URL. It does so in addRequest, which the request calls from its
 * constructor, before anything is written: http-proxy-agent rewrites the path to the absolute
 * form there.
 */
class RoutingAgent extends http.Agent {
  private readonly direct: http.Agent
  private readonly proxied = new Map<string, http.Agent>()

  constructor(
    private readonly secure: boolean,
    private readonly env: Environment,
    private readonly tls: { ca?: string[] }
  ) {
    super(AGENT_OPTIONS)
    // the request checks its scheme against the agent's
    Object.assign(this, secure ? { protocol: 'https:', defaultPort: 443 } : {})
    this.direct = secure
      ? new https.Agent({ ...AGENT_OPTIONS, ...tls })
      : new http.Agent(AGENT_OPTIONS)
  }

  /** The agent for one request: through the proxy proxyFor names, or direct. */
  agentFor(host: string, port: number | string | null | undefined): http.Agent {
    const scheme = this.secure ? 'https:' : 'http:'
    const hostname = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host
    const proxy = proxyFor(`${scheme}//${hostname}${port ? `:${port}` : ''}/`, this.env)
    if (!proxy) return this.direct
    const url = proxyUrl(proxy)
    let agent = this.proxied.get(url)
    if (!agent) {
      agent = this.secure
        ? new HttpsProxyAgent(url, { ...AGENT_OPTIONS, ...this.tls })
        : new HttpProxyAgent(url, { ...AGENT_OPTIONS, ...this.tls })
      this.proxied.set(url, agent)
    }
    return agent
  }

  addRequest(req: http.ClientRequest, options: http.RequestOptions): void {
    const agent = this.agentFor(req.host, options.port)
    // https-proxy-agent takes the TLS options of its tunnel's handshake from the request's, not its
    // own; and agent-base names a connection pool by `secureEndpoint`, else by the call stack, which
    // differs when a socket is freed: without it no connection through the proxy is ever reused
    ;(agent as unknown as Routable).addRequest(req, {
      ...options,
      ...this.tls,
      secureEndpoint: this.secure
    })
  }

  override destroy(): void {
    this.direct.destroy()
    for (const agent of this.proxied.values()) agent.destroy()
    super.destroy()
  }
}

/** The proxy URLs the environment names, for either scheme (NO_PROXY aside). */
function proxiesNamed(env: Environment): string[] {
  return Object.entries(env)
    .filter(([name, value]) => !!value && /^(https?|all)_proxy$/i.test(name))
    .map(([, value]) => proxyUrl(value as string))
}

/**
 * NodeHttpHandler's options for the SDK's clients: agents that take the environment's proxies and
 * AWS_CA_BUNDLE; undefined when neither is set, so the SDK keeps its own agents.
 */
export function awsRequestHandler(
  env: Environment = process.env
): { httpAgent: http.Agent; httpsAgent: http.Agent } | undefined {
  const proxies = proxiesNamed(env)
  if (proxies.length === 0 && !env.AWS_CA_BUNDLE) return undefined
  new Redactor(proxies).register()
  const ca = [env.AWS_CA_BUNDLE, env.AWS_CA_BUNDLE && env.NODE_EXTRA_CA_CERTS]
    .filter((f): f is string => !!f)
    .map(f => readPem(f, 'certificate bundle (AWS_CA_BUNDLE or NODE_EXTRA_CA_CERTS)'))
  const tls = ca.length > 0 ? { ca } : {}
  return {
    httpAgent: new RoutingAgent(false, env, tls),
    httpsAgent: new RoutingAgent(true, env, tls)
  }
}
