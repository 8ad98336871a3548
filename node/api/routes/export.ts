// GET /v1/export (docs/api.md "Export"): a range of committed blocks with their
// certificates in the export format (docs/formats.md), streamed in a stream slot.
import type { FastifyInstance } from 'fastify'
import { EXPORT_FORMAT, exportHeaderToCbor, frameBytes, frameRecord } from '../../../src/log/export.ts'
import type { BlockExport, NodeBackend } from '../backend.ts'
import type { BackendCall } from '../backend-call.ts'
import { ApiError } from '../errors.ts'
import type { ApiLimits } from '../limits.ts'
import { onlyKnown, optionalUint } from '../params.ts'
import { pumpToClient } from '../stream.ts'
import type { StreamSlots } from '../stream-slots.ts'

export interface ExportRouteDependencies {
  readonly backend: NodeBackend
  readonly limits: Pick<ApiLimits, 'heartbeatMs' | 'slowClientMs'>
  readonly streams: StreamSlots
  readonly call: BackendCall
}

export function registerExportRoutes(app: FastifyInstance, deps: ExportRouteDependencies): void {
  const { backend, limits, streams, call } = deps

  app.get('/v1/export', async (request, reply) => {
    const q = request.query as Record<string, unknown>
    onlyKnown(q, ['fromHeight', 'toHeight'])
    const fromHeight = optionalUint(q.fromHeight, 'fromHeight') ?? 1
    if (fromHeight < 1) throw new ApiError(400, 'invalid-parameter', 'fromHeight: exports start at height 1 or above (height 0 is the genesis block, implied by the genesis)')
    const given = optionalUint(q.toHeight, 'toHeight')
    // By default the export ends at the highest block with a commit certificate, not at the
    // committed head: a chain must end at a certified block to be proven committed, so a
    // default export always passes `synod audit`.
    const toHeight = given ?? (await call(request, (signal) => backend.latestCheckpoint(signal)))?.height ?? 0
    if (fromHeight > toHeight) {
      if (given === undefined) throw new ApiError(404, 'range-unavailable', `no block is certified at or above height ${fromHeight} yet`)
      throw new ApiError(400, 'invalid-parameter', `fromHeight ${fromHeight} is above toHeight ${toHeight}`)
    }
    const { controller, release } = streams.open(request, 'export')
    let exported: BlockExport
    let source: AsyncIterator<Uint8Array>
    try {
      // The header is read before the response starts, so that a range error or a failing
      // backend still answers with a JSON error and its status.
      exported = await call(request, () => backend.exportBlocks(fromHeight, toHeight, controller.signal))
      source = exported.records[Symbol.asyncIterator]()
    } catch (err) {
      release('error')
      throw err
    }
    streams.start(request, reply, controller, {
      'content-type': 'application/octet-stream',
      'content-disposition': `attachment; filename="synod-${fromHeight}-${toHeight}.export"`,
      'x-synod-export-format': EXPORT_FORMAT,
      'cache-control': 'no-store',
    })
    const res = reply.raw
    res.write(frameRecord(exportHeaderToCbor(exported.header)))
    const result = await pumpToClient(source, res, frameBytes, {
      signal: controller.signal,
      heartbeat: null,
      heartbeatMs: limits.heartbeatMs,
      slowClientMs: limits.slowClientMs,
    })
    const reason = streams.closeReason(result)
    if (reason === 'error') request.log.error({ err: result.error }, 'export stream failed')
    // Only a complete export ends cleanly; any other end cuts the connection, so the
    // client sees a truncated stream rather than a short one that looks whole.
    if (reason === 'done') res.end()
    else res.destroy()
    release(reason)
  })
}
