// Serving the MCP server over stdio (an MCP client starts `synod mcp` as a subprocess)
// or over streamable HTTP (stateless: a fresh server and transport per request, so any
// number of clients may call it and nothing is held between calls).
import { createHash, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js'
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'

/** Largest JSON-RPC request body accepted over HTTP: a commit carries at most a 64 KiB
 * payload, which JSON escaping can grow up to 6x. */
export const MCP_HTTP_BODY_BYTES_MAX = 512 * 1024

/** Shortest bearer token accepted: 16 characters of a random base64url string are 96
 * bits, beyond guessing over the network (`openssl rand -base64 32` gives 44). */
export const MCP_HTTP_TOKEN_CHARS_MIN = 16

/** A bad bearer token: too short or missing when an HTTP server is started. */
export class McpTokenError extends Error {
  override readonly name = 'McpTokenError'
}

/** Serves one MCP server on this process's stdin/stdout until stdin closes. */
export async function serveStdio(server: McpServer): Promise<void> {
  const transport = new StdioServerTransport()
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve()
  })
  await server.connect(transport)
  await closed
}

export interface HttpMcpOptions {
  readonly port: number
  /** Default 127.0.0.1: expose it on purpose (it signs as this agent for anyone who can reach it). */
  readonly host?: string
  /** URL path of the endpoint; default /mcp. */
  readonly path?: string
  /** The bearer token every request must carry (`Authorization: Bearer <token>`), at
   * least MCP_HTTP_TOKEN_CHARS_MIN characters. Required: whoever reaches the endpoint
   * commits signed as this server's agent. */
  readonly token: string
}

export interface HttpMcpServer {
  readonly url: string
  close(): Promise<void>
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  let total = 0
  for await (const chunk of req) {
    total += (chunk as Buffer).length
    if (total > MCP_HTTP_BODY_BYTES_MAX) throw new RangeError(`the request body is over ${MCP_HTTP_BODY_BYTES_MAX} bytes`)
    chunks.push(chunk as Buffer)
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'))
}

const sha256 = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest()

/** Whether the request carries the bearer token. Both sides are hashed first, so the
 * comparison is constant-time whatever the lengths (timingSafeEqual wants equal ones). */
function authorized(req: IncomingMessage, tokenHash: Buffer): boolean {
  const header = req.headers.authorization
  if (typeof header !== 'string') return false
  const match = /^Bearer[ ]+(\S+)[ ]*$/i.exec(header)
  if (match === null) return false
  return timingSafeEqual(sha256(match[1]!), tokenHash)
}

function jsonRpcError(code: number, message: string): string {
  return JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null })
}

/**
 * Streamable HTTP, stateless: POST {path} carries JSON-RPC; GET and DELETE answer 405
 * (no sessions, so no server-initiated stream). DNS-rebinding protection is on for the
 * loopback host names, so a web page cannot drive a local server. Every request to the
 * endpoint needs the bearer token (401 otherwise), before its method or body is looked at.
 */
export async function serveHttp(makeServer: () => McpServer, options: HttpMcpOptions): Promise<HttpMcpServer> {
  const host = options.host ?? '127.0.0.1'
  const path = options.path ?? '/mcp'
  if (typeof options.token !== 'string' || options.token.length < MCP_HTTP_TOKEN_CHARS_MIN || /\s/.test(options.token)) {
    throw new McpTokenError(`an MCP server on HTTP needs a bearer token of at least ${MCP_HTTP_TOKEN_CHARS_MIN} characters, no spaces (anyone who reaches it signs as the agent)`)
  }
  const tokenHash = sha256(options.token)
  const http: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    if (url.pathname !== path) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(jsonRpcError(-32601, `no MCP endpoint at ${url.pathname} (use ${path})`))
      return
    }
    if (!authorized(req, tokenHash)) {
      req.resume()
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer realm="synod-mcp"' }).end(jsonRpcError(-32001, 'unauthorized: send Authorization: Bearer <token>'))
      return
    }
    if (req.method !== 'POST') {
      res.writeHead(405, { 'content-type': 'application/json', allow: 'POST' }).end(jsonRpcError(-32000, 'this server is stateless: POST JSON-RPC requests only'))
      return
    }
    void (async () => {
      let body: unknown
      try {
        body = await readBody(req)
      } catch (err) {
        res.writeHead(400, { 'content-type': 'application/json' }).end(jsonRpcError(-32700, `parse error: ${(err as Error).message}`))
        return
      }
      const port = (http.address() as AddressInfo).port
      const server = makeServer()
      const transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: undefined,
        enableJsonResponse: true,
        enableDnsRebindingProtection: host === '127.0.0.1' || host === 'localhost' || host === '::1',
        allowedHosts: [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`],
      })
      res.on('close', () => {
        void transport.close()
        void server.close()
      })
      try {
        await server.connect(transport)
        await transport.handleRequest(req, res, body)
      } catch (err) {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' }).end(jsonRpcError(-32603, (err as Error).message))
      }
    })()
  })
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject)
    http.listen(options.port, host, () => resolve())
  })
  const address = http.address() as AddressInfo
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address
  return {
    url: `http://${shown}:${address.port}${path}`,
    close: () => new Promise<void>((resolve) => {
      http.closeAllConnections()
      http.close(() => resolve())
    }),
  }
}
