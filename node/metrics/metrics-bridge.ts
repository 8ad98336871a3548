// Counts the node's events into the Prometheus recorder (node/metrics/metrics.ts). The
// protocol code never sees metrics: the driver emits events, this counts them.
import type { NodeMetricsRecorder } from './metrics.ts'
import type { NodeEvent, ValidatorNode } from '../runtime/validator-node.ts'

export function bridgeMetrics(node: ValidatorNode, metrics: NodeMetricsRecorder): () => void {
  metrics.syncLagFrom(() => node.syncLagHeights)
  metrics.transportFrom(() => node.transportStats)
  metrics.sidecarsFrom(() => {
    const replication = node.sidecarReplication
    return replication === null ? null : { ...replication.stats, wanted: replication.wantedCount }
  })
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
        // The cause is one of a closed set (the core's codes through a table,
        // node/runtime/rejection-causes.ts); each is a label of its own.
        metrics.messageRejected(event.cause)
        return
      case 'certified':
      case 'fatal':
        return
    }
  })
}
