// The HTTP API layer of a validator node: what the node runtime imports to serve it.
export { createApiServer, type ApiServer, type ApiServerDependencies, type ApiServerOptions } from './server.ts'
export type { BlockExport, EntryLookup, LogPage, LogQuery, LogRecord, NodeBackend, NodeHealth, SubmitResult, SubscribeOptions } from './backend.ts'
export * from './errors.ts'
export { encodeChainItem, frameBytes } from '../../src/log/export.ts'
export { API_LIMITS, type ApiLimits } from './limits.ts'
export { NodeMetrics, REJECT_REASONS, type NodeMetricsOptions, type NodeMetricsRecorder, type RejectReason } from '../metrics/metrics.ts'
