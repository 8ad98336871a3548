// Counts the node's events into the Prometheus recorder (node/metrics/metrics.ts). The
// protocol code never sees metrics: the driver emits events, this counts them.
import type { NodeMetricsRecorder, RejectReason } from './metrics.ts'
import type { NodeEvent, ValidatorNode } from '../runtime/validator-node.ts'

/** Sorts a free-text rejection reason into the recorder's fixed set of labels. */
export function rejectReasonOf(reason: string): RejectReason {
  if (/signature|does not verify/.test(reason)) return 'bad-signature'
  if (/over the limit|oversized|too large|InvalidDataLength/i.test(reason)) return 'oversized'
  if (/CBOR|canonical|expected|malformed|missing field|unknown field|frame/i.test(reason)) return 'malformed'
  if (/not a validator/.test(reason)) return 'unknown-sender'
  if (/stale|below the committed/.test(reason)) return 'stale'
  return 'invalid'
}

export function bridgeMetrics(node: ValidatorNode, metrics: NodeMetricsRecorder): () => void {
  metrics.syncLagFrom(() => node.syncLagHeights)
  return node.onEvent((event: NodeEvent) => {
    switch (event.type) {
      case 'commit':
        metrics.blockCommitted(event.height, event.entries, event.blockLatencyMs === null ? null : event.blockLatencyMs / 1000)
        if (event.entryLatenciesMs.length > 0) metrics.entriesCommitted(event.entryLatenciesMs.map((ms) => ms / 1000))
        return
      case 'round':
        metrics.roundEntered(event.round)
        if (event.byTimeout) metrics.viewChanged()
        return
      case 'round-timeout':
        metrics.roundTimedOut()
        return
      case 'peers':
        metrics.peersChanged(event.count)
        return
      case 'mempool':
        metrics.mempoolChanged(event.entries)
        return
      case 'rejected':
        metrics.messageRejected(rejectReasonOf(event.reason))
        return
      case 'certified':
      case 'fatal':
        return
    }
  })
}
