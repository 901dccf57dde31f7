/**
 * A forward HTTP proxy on 127.0.0.1 that records every request it carries: absolute-form requests
 * (`GET http://host/path`, what pip sends for http: URLs) are forwarded, CONNECT requests (what
 * undici's ProxyAgent sends, and anyone for https:) are tunnelled. Its own connections to the
 * servers behind it leave from `sourceAddress` (127.0.0.2 by default, an address of the loopback
 * interface), so an index that accepts only that address (IndexShape.onlyFrom) is reachable
 * through this proxy alone: a request that bypasses it is refused. `hosts` maps names only this
 * proxy knows (`aws.example.test:4566` → `127.0.0.1:<port>`) to real addresses, so a client that
 * does not go through it cannot even resolve the name.
 */
import http from 'node:http'
import net from 'node:net'

export interface ProxiedRequest {
  /** `GET` or `CONNECT` */
  readonly method: string
  /** `http://host:port/path` for a forwarded request, `host:port` for a tunnel */
  readonly target: string
  /** the Proxy-Authorization header, when the client sent one */
  readonly proxyAuthorization?: string
}

export interface RecordingProxy {
  /** `http://127.0.0.1:<port>` */
  readonly url: string
  readonly sourceAddress: string
  readonly requests: ProxiedRequest[]
  /** connections clients opened to this proxy so far */
  readonly connections: number
  close(): Promise<void>
}

export const PROXY_SOURCE_ADDRESS = '127.0.0.2'

export async function startRecordingProxy(
  o: {
    sourceAddress?: string
    hosts?: Readonly<Record<string, string>>
    /** `user:password` the proxy demands (407 Proxy Authentication Required without it) */
    credentials?: string
  } = {}
): Promise<RecordingProxy> {
  const wanted = o.credentials && `Basic ${Buffer.from(o.credentials).toString('base64')}`
  const refused = (header: string | undefined): boolean => !!wanted && header !== wanted
  const sourceAddress = o.sourceAddress ?? PROXY_SOURCE_ADDRESS
  // `host:port` as the client named it → where this proxy connects
  const resolve = (hostPort: string): string => o.hosts?.[hostPort] ?? hostPort
  const requests: ProxiedRequest[] = []
  const sockets = new Set<net.Socket>()
  const server = http.createServer((req, res) => {
    const target = req.url ?? ''
    requests.push({
      method: req.method ?? 'GET',
      target,
      proxyAuthorization: req.headers['proxy-authorization']
    })
    if (refused(req.headers['proxy-authorization'])) {
      res.writeHead(407, { 'Proxy-Authenticate': 'Basic realm="proxy"' }).end()
      return
    }
    if (!/^https?:\/\//.test(target)) {
      res.writeHead(400).end('a forward proxy takes absolute URLs')
      return
    }
    const headers = { ...req.headers }
    delete headers['proxy-authorization']
    delete headers['proxy-connection']
    const url = new URL(target)
    url.host = resolve(url.host)
    const upstream = http.request(
      url,
      { method: req.method, headers, localAddress: sourceAddress },
      up => {
        // hop-by-hop: the server's `Connection: close` is not the client's connection to this proxy
        const { connection: _c, 'keep-alive': _k, ...answer } = up.headers
        res.writeHead(up.statusCode ?? 502, answer)
        up.pipe(res)
      }
    )
    upstream.on('error', error => {
      if (!res.headersSent) res.writeHead(502).end(`proxy: ${error.message}`)
      else res.destroy()
    })
    req.pipe(upstream)
  })
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    const target = req.url ?? ''
    requests.push({
      method: 'CONNECT',
      target,
      proxyAuthorization: req.headers['proxy-authorization']
    })
    if (refused(req.headers['proxy-authorization'])) {
      client.end(
        'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="proxy"\r\nContent-Length: 0\r\n\r\n'
      )
      return
    }
    const [host, port] = resolve(target).split(':')
    const upstream = net.connect({ host, port: Number(port), localAddress: sourceAddress }, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      if (head.length > 0) upstream.write(head)
      upstream.pipe(client)
      client.pipe(upstream)
    })
    sockets.add(upstream)
    upstream.on('close', () => sockets.delete(upstream))
    upstream.on('error', () => client.destroy())
    client.on('error', () => upstream.destroy())
  })
  let connections = 0
  server.on('connection', (socket: net.Socket) => {
    connections++
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    sourceAddress,
    requests,
    get connections() {
      return connections
    },
    close: () =>
      new Promise<void>(resolve => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      })
  }
}
