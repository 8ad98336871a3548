// GET /v1/receipts/:id (docs/api.md "Get a receipt"): an entry's receipt now, or after a long
// poll of up to `wait` ms; the batch form is in batch.ts.
import type { FastifyInstance } from 'fastify'
import type { NodeMetrics } from '../../metrics/metrics.ts'
import type { NodeBackend } from '../backend.ts'
import type { BackendCall } from '../backend-call.ts'
import { ApiError } from '../errors.ts'
import type { ApiLimits } from '../limits.ts'
import { onlyKnown, optionalUint, requiredHash } from '../params.ts'
import { receiptAnswer } from '../receipts.ts'

export interface ReceiptRouteDependencies {
  readonly backend: NodeBackend
  readonly metrics: NodeMetrics
  readonly limits: Pick<ApiLimits, 'receiptWaitMsMax' | 'receiptWaitersMax' | 'backendTimeoutMs'>
  /** The server's count of receipt waits open (shared with the batch route). */
  readonly receiptWaiters: { count: number }
  readonly call: BackendCall
}

export function registerReceiptRoutes(app: FastifyInstance, deps: ReceiptRouteDependencies): void {
  const { backend, metrics, limits, receiptWaiters, call } = deps

  app.get('/v1/receipts/:id', async (request, reply) => {
    const q = request.query as Record<string, unknown>
    onlyKnown(q, ['wait'])
    const id = requiredHash((request.params as { id?: unknown }).id, 'id')
    const waitMs = optionalUint(q.wait, 'wait') ?? 0
    if (waitMs > limits.receiptWaitMsMax) throw new ApiError(400, 'invalid-parameter', `wait: ${waitMs} ms is above the longest wait, ${limits.receiptWaitMsMax} ms`)
    let receipt
    if (waitMs === 0) {
      receipt = await call(request, (signal) => backend.getReceipt(id, signal))
    } else {
      if (receiptWaiters.count >= limits.receiptWaitersMax) {
        metrics.httpRateLimited('receipt-waiters')
        throw new ApiError(503, 'waiters-exhausted', `the node has ${receiptWaiters.count} receipt waits open, its limit: retry, or ask without wait`, 1000)
      }
      receiptWaiters.count++
      try {
        // The wait is the client's; the backend's own deadline comes on top of it.
        receipt = await call(request, (signal) => backend.awaitReceipt(id, waitMs, signal), waitMs + limits.backendTimeoutMs)
      } finally {
        receiptWaiters.count--
      }
    }
    const answer = await receiptAnswer(backend, id, receipt, (run) => call(request, run))
    if (answer.httpStatus === 202) void reply.header('retry-after', '1')
    return reply.code(answer.httpStatus).send(answer.body)
  })
}
