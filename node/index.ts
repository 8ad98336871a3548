// The validator daemon as a library (the package export `synod/node`): run a validator
// from its config, as `synod start` does, or assemble one from the parts (the chain
// store, the HTTP API server, the metrics registry). The CLI (cli/) is the daemon's
// usual caller; this entry is for embedding a validator in another program.
export { runNode, type RunningNode } from './runtime/run-node.ts'
export { parseConfig, readConfig, readGenesis, type HttpRateLimits, type LogLevel, type NodeConfig } from './runtime/config.ts'
export { ConfigError } from './runtime/errors.ts'
export { generateKey, keyToJson, parseKeyFile, readKeyFile, writeKeyFile, KEY_KINDS, type KeyFile, type KeyKind } from './runtime/key-file.ts'
export { ChainStore, LevelStore, MemoryStore, StoreError, type Store } from './store/index.ts'
export { createApiServer, type ApiServer, type ApiServerDependencies, type ApiServerOptions, type NodeBackend } from './api/index.ts'
export { NodeMetrics, type NodeMetricsRecorder } from './metrics/metrics.ts'
export { NODE_LIMITS } from './limits.ts'
