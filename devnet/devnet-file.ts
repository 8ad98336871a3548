// devnet.json: what a running devnet tells the tools next to it (node URLs, genesis, agent
// key files), so `synod audit`, `synod mcp` and `npm run example:agents` need no flags.
// The format and the lookup are in sdk/devnet-file.ts (the reader; devnet/ may not import
// sdk/); test/cli/devnet-file.test.ts checks that this writer and that reader agree.
import { join } from 'node:path'
import { toHex } from '../src/crypto/hash.ts'
import { generateKey, writeKeyFile } from '../node/runtime/key-file.ts'
import { writeNewFile } from '../node/util/files.ts'
import type { ClusterFiles } from './cluster.ts'

export const DEVNET_FILE_NAME = 'devnet.json'

export interface WrittenDevnetFile {
  readonly path: string
  readonly identityFile: string
  readonly identityPublicKey: string
}

/** Writes <files.dir>/devnet.json, and an agent key for tools (MCP, examples) that the
 * workload does not sign with: two signers sharing one key would race on its sequence. */
export async function writeDevnetFile(files: ClusterFiles, pid: number = process.pid): Promise<WrittenDevnetFile> {
  const identityFile = join(files.dir, 'agents', 'tools.key.json')
  const identity = generateKey('agent')
  await writeKeyFile(identityFile, identity)
  const path = join(files.dir, DEVNET_FILE_NAME)
  const manifest = {
    format: 'synod-devnet/v1',
    chainId: files.genesis.chainId,
    pid,
    dataDir: files.dir,
    nodes: files.nodes.map((n) => n.httpUrl),
    genesisFile: files.genesisFile,
    identityFile,
    agentKeyFiles: files.agents.map((_, a) => join(files.dir, 'agents', `agent-${a}.key.json`)),
  }
  await writeNewFile(path, JSON.stringify(manifest, null, 2) + '\n')
  return { path, identityFile, identityPublicKey: toHex(identity.publicKey) }
}
