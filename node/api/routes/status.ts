// Status routes for operators (docs/api.md "Health", "Metrics"): GET /healthz and
// GET /metrics, the two a reserve connection may use (connection-gate.ts).
import type { FastifyInstance } from 'fastify'
import type { NodeMetrics } from '../../metrics/metrics.ts'
import type { NodeBackend } from '../backend.ts'
import { onlyKnown } from '../params.ts'

export interface StatusRouteDependencies {
  readonly backend: NodeBackend
  readonly metrics: NodeMetrics
}

export function registerStatusRoutes(app: FastifyInstance, deps: StatusRouteDependencies): void {
  const { backend, metrics } = deps

  app.get('/healthz', async (request, reply) => {
    onlyKnown(request.query, [])
    const health = backend.health()
    return reply.code(health.status === 'stopping' ? 503 : 200).send({
      status: health.status,
      chainId: health.chainId,
      height: health.height,
      lagHeights: health.lagHeights,
      logSize: health.logSize,
      round: health.round,
      peers: health.peers,
      mempoolEntries: health.mempoolEntries,
    })
  })

  app.get('/metrics', async (request, reply) => {
    onlyKnown(request.query, [])
    const { contentType, body } = await metrics.render()
    return reply.type(contentType).send(body)
  })
}
