// synod mcp: an MCP server (stdio, or streamable HTTP with --http) whose tools commit,
// read, query, verify and audit decisions through a SynodClient. The logic lives in
// sdk/mcp/; this file only reads the flags and files.
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Command } from 'commander'
import { SynodClient } from '../../sdk/client.ts'
import { loadIdentity, loadOrCreateIdentity } from '../../sdk/identity-file.ts'
import { createSynodMcpServer } from '../../sdk/mcp/server.ts'
import { serveHttp, serveStdio } from '../../sdk/mcp/transports.ts'
import type { NamespaceSchemas } from '../../sdk/types.ts'
import { loadGenesis } from '../load.ts'
import { parseIntInRange, parseUrl } from '../parse.ts'
import { devnetFor, flagOrDevnet } from '../devnet-defaults.ts'

interface McpFlags {
  nodes?: string
  genesis?: string
  identity?: string
  createIdentity?: boolean
  http?: string
  host: string
  token?: string
  schemas?: string
}

/** Where `synod mcp --http` reads its bearer token when --token is not given (an
 * environment variable does not show in `ps`, a flag does). */
export const MCP_TOKEN_ENV = 'SYNOD_MCP_TOKEN'

async function loadSchemas(path: string): Promise<NamespaceSchemas> {
  const mod = (await import(pathToFileURL(resolve(path)).href)) as { default?: unknown, schemas?: unknown }
  const schemas = mod.schemas ?? mod.default
  if (typeof schemas !== 'object' || schemas === null) throw new Error(`--schemas ${path}: export 'schemas' (or a default) mapping namespaces to zod schemas`)
  for (const [ns, schema] of Object.entries(schemas)) {
    if (typeof (schema as { safeParse?: unknown }).safeParse !== 'function') throw new Error(`--schemas ${path}: '${ns}' is not a zod schema`)
  }
  return schemas as NamespaceSchemas
}

export function registerMcp(program: Command): void {
  program.command('mcp')
    .description('serve Synod as MCP tools (commit_decision, get_decision, query_decisions, verify_receipt, audit_range, propose_decision, approve_decision, reject_decision, decision_status) over stdio, or streamable HTTP with --http')
    .option('--nodes <urls>', 'comma-separated node API URLs (give at least f+1); default: the running devnet\'s (devnet.json)')
    .option('--genesis <file>', 'genesis file (JSON); default: the running devnet\'s')
    .option('--identity <file>', 'agent identity file (mode 0600) that signs commits; default: the running devnet\'s tools key')
    .option('--create-identity', 'create the identity file if it does not exist')
    .option('--http <port>', 'serve streamable HTTP on this port (0: any) instead of stdio')
    .option('--host <host>', 'HTTP listen address', '127.0.0.1')
    .option('--token <token>', `bearer token HTTP clients must send (required with --http; default: ${MCP_TOKEN_ENV}, which unlike a flag does not show in ps)`)
    .option('--schemas <module>', 'a module exporting `schemas`: { namespace: zod schema } for typed commit_<namespace> tools')
    .action(async (opts: McpFlags) => {
      const token = opts.token ?? process.env[MCP_TOKEN_ENV]
      if (opts.http !== undefined && (token === undefined || token === '')) {
        throw new Error(`synod mcp --http needs a bearer token: set ${MCP_TOKEN_ENV} (or --token), e.g. ${MCP_TOKEN_ENV}=$(openssl rand -base64 32); clients send 'Authorization: Bearer <token>'`)
      }
      const devnet = devnetFor(opts.nodes === undefined || opts.genesis === undefined || opts.identity === undefined, 'synod mcp')
      const nodeList = flagOrDevnet(opts.nodes, devnet, (d) => d.nodes.join(','), '--nodes URLS', 'synod mcp')
      const genesisFile = flagOrDevnet(opts.genesis, devnet, (d) => d.genesisFile, '--genesis FILE', 'synod mcp')
      const identityFile = flagOrDevnet(opts.identity, devnet, (d) => d.identityFile, '--identity FILE', 'synod mcp')
      const nodes = nodeList.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map((u) => parseUrl(u, '--nodes').href.replace(/\/+$/, ''))
      if (nodes.length === 0) throw new Error('--nodes needs at least one URL')
      const genesis = loadGenesis(genesisFile)
      const identity = opts.createIdentity ? loadOrCreateIdentity(identityFile).identity : loadIdentity(identityFile)
      const schemas = opts.schemas === undefined ? undefined : await loadSchemas(opts.schemas)
      const client = new SynodClient({
        nodes,
        genesis,
        identity,
        schemas,
        onNodeFault: (fault) => process.stderr.write(`synod mcp: node fault: ${fault.name}: ${fault.message}\n`),
      })
      const make = () => createSynodMcpServer({ client })
      process.stderr.write(`synod mcp: agent ${identity.publicKeyHex}, chain '${genesis.chainId}', ${nodes.length} nodes\n`)
      if (opts.http === undefined) {
        await serveStdio(make())
        return
      }
      const port = parseIntInRange(opts.http, '--http', 0, 65535)
      const served = await serveHttp(make, { port, host: opts.host, token: token! })
      process.stderr.write(`synod mcp: streamable HTTP at ${served.url}\n`)
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve)
        process.once('SIGTERM', resolve)
      })
      await served.close()
    })
}
