// Proof routes (docs/api.md "Checkpoint", "Consistency"): the latest commit
// certificate, and consistency proofs between two log sizes.
import type { FastifyInstance } from 'fastify'
import { toHex } from '../../../src/crypto/hash.ts'
import { ccToCbor } from '../../../src/log/certificates.ts'
import { toJson } from '../../../src/log/json.ts'
import type { NodeBackend } from '../backend.ts'
import type { BackendCall } from '../backend-call.ts'
import { ApiError } from '../errors.ts'
import { onlyKnown, requiredUint } from '../params.ts'

export interface ProofRouteDependencies {
  readonly backend: NodeBackend
  readonly call: BackendCall
}

/** GET /v1/checkpoint, GET /v1/consistency. */
export function registerProofRoutes(app: FastifyInstance, deps: ProofRouteDependencies): void {
  const { backend, call } = deps

  app.get('/v1/checkpoint', async (request) => {
    onlyKnown(request.query, [])
    const cc = await call(request, (signal) => backend.latestCheckpoint(signal))
    if (cc === null) throw new ApiError(404, 'no-checkpoint', 'no block has been certified yet')
    return { checkpoint: toJson(ccToCbor(cc)) }
  })

  app.get('/v1/consistency', async (request) => {
    const q = request.query as Record<string, unknown>
    onlyKnown(q, ['from', 'to'])
    const from = requiredUint(q.from, 'from')
    const to = requiredUint(q.to, 'to')
    if (from > to) throw new ApiError(400, 'invalid-parameter', `from ${from} is above to ${to}`)
    const proof = await call(request, (signal) => backend.consistencyProof(from, to, signal))
    return { from, to, proof: proof.map(toHex) }
  })
}
