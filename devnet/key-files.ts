// The key files a launched validator and its agents read (the daemon's format,
// node/runtime/key-file.ts), for drivers that write their own clusters (scenarios/net/):
// they reach the daemon's code through the devnet only, never node/ directly.
export { generateKey, writeKeyFile, type KeyFile } from '../node/runtime/key-file.ts'
