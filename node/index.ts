// synod/node: running validators from code (Node only). The CLI (`synod start`,
// `synod devnet`) is built on these; see docs/operations.md.
export { runNode, type RunningNode } from './runtime/run-node.ts'
export { parseConfig, readConfig, readGenesis, type NodeConfig } from './runtime/config.ts'
export { generateKey, keyToJson, parseKeyFile, readKeyFile, writeKeyFile, type KeyFile, type KeyKind } from './runtime/key-file.ts'
export { runDevnet, type DevnetIo, type DevnetOptions, type DevnetSummary } from './devnet/devnet.ts'
