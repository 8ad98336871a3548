// Entry routes (docs/api.md "Submit an entry", "Get an entry", "Query"): submit one
// signed entry, read one by id, and query the committed log by namespace, agent and height range.
import type { FastifyInstance } from 'fastify'
import { toHex } from '../../../src/crypto/hash.ts'
import { receiptToJson } from '../../../src/log/receipt.ts'
import type { NodeBackend } from '../backend.ts'
import type { BackendCall } from '../backend-call.ts'
import { ApiError } from '../errors.ts'
import type { ApiLimits } from '../limits.ts'
import { onlyKnown, optionalCursor, optionalHash, optionalNamespace, optionalUint, pageLimit, requiredHash } from '../params.ts'
import { entryJson, recordJson } from '../replies.ts'
import { admitEntry, parseEntryBody, submitStatus, type EntryAdmissionDependencies } from '../submit.ts'

export interface EntryRouteDependencies {
  readonly admission: EntryAdmissionDependencies
  readonly backend: NodeBackend
  readonly limits: Pick<ApiLimits, 'cursorCharsMax' | 'pageLimitDefault' | 'pageLimitMax'>
  /** The chain's payload limit (genesis params.payloadBytesMax). */
  readonly payloadBytesMax: number
  readonly call: BackendCall
}

const QUERY_QUERY = ['namespace', 'agent', 'fromHeight', 'toHeight', 'cursor', 'limit'] as const

/** POST /v1/entries, GET /v1/entries/:id, GET /v1/entries. */
export function registerEntryRoutes(app: FastifyInstance, deps: EntryRouteDependencies): void {
  const { admission, backend, limits, payloadBytesMax, call } = deps

  app.post('/v1/entries', async (request, reply) => {
    onlyKnown(request.query, [])
    const entry = parseEntryBody(request.body, payloadBytesMax)
    const result = await admitEntry(admission, entry, (run) => call(request, run))
    return reply.code(submitStatus(result)).send({ id: toHex(result.id), status: result.status })
  })

  app.get('/v1/entries/:id', async (request) => {
    onlyKnown(request.query, [])
    const id = requiredHash((request.params as { id?: unknown }).id, 'id')
    const found = await call(request, (signal) => backend.getEntry(id, signal))
    if (found === null) throw new ApiError(404, 'unknown-entry', `entry ${toHex(id)} is not known to this node`)
    if (found.status === 'pending') {
      return { id: toHex(id), status: 'pending', height: null, index: null, entry: entryJson(found.entry), receipt: null }
    }
    if (found.status === 'superseded') {
      return { id: toHex(id), status: 'superseded', height: null, index: null, entry: null, receipt: null, seq: found.seq, lastSeq: found.lastSeq }
    }
    const receipt = await call(request, (signal) => backend.getReceipt(id, signal))
    return {
      id: toHex(id),
      status: receipt === null ? 'committed' : 'certified',
      height: found.height,
      index: found.index,
      entry: entryJson(found.entry),
      receipt: receipt === null ? null : receiptToJson(receipt),
    }
  })

  app.get('/v1/entries', async (request) => {
    const q = request.query as Record<string, unknown>
    onlyKnown(q, QUERY_QUERY)
    const fromHeight = optionalUint(q.fromHeight, 'fromHeight')
    const toHeight = optionalUint(q.toHeight, 'toHeight')
    if (fromHeight !== undefined && toHeight !== undefined && fromHeight > toHeight) {
      throw new ApiError(400, 'invalid-parameter', `fromHeight ${fromHeight} is above toHeight ${toHeight}`)
    }
    const namespace = optionalNamespace(q.namespace, 'namespace')
    const agent = optionalHash(q.agent, 'agent')
    const cursor = optionalCursor(q.cursor, 'cursor', limits.cursorCharsMax)
    const limit = pageLimit(q.limit, 'limit', limits.pageLimitDefault, limits.pageLimitMax)
    const page = await call(request, (signal) => backend.query({
      ...(namespace === undefined ? {} : { namespace }),
      ...(agent === undefined ? {} : { agent }),
      ...(fromHeight === undefined ? {} : { fromHeight }),
      ...(toHeight === undefined ? {} : { toHeight }),
      ...(cursor === undefined ? {} : { cursor }),
      limit,
    }, signal))
    return { items: page.items.slice(0, limit).map(recordJson), nextCursor: page.nextCursor }
  })
}
