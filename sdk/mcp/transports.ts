// Serving the MCP server over stdio (an MCP client starts `synod mcp` as a subprocess)
// or over streamable HTTP (stateless: a fresh server and transport per request, so any
// number of clients may call it and nothing is held between calls).
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js'
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'

/** Largest JSON-RPC request body accepted over HTTP: a commit carries at most a 64 KiB
 * payload, which JSON escaping can grow up to 6x. */
export const MCP_HTTP_BODY_BYTES_MAX = 512 * 1024

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

function jsonRpcError(code: number, message: string): string {
  return JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null })
}

/**
 * Streamable HTTP, stateless: POST {path} carries JSON-RPC; GET and DELETE answer 405
 * (no sessions, so no server-initiated stream). DNS-rebinding protection is on for the
 * loopback host names, so a web page cannot drive a local server.
 */
export async function serveHttp(makeServer: () => McpServer, options: HttpMcpOptions): Promise<HttpMcpServer> {
  const host = options.host ?? '127.0.0.1'
  const path = options.path ?? '/mcp'
  const http: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    if (url.pathname !== path) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(jsonRpcError(-32601, `no MCP endpoint at ${url.pathname} (use ${path})`))
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
