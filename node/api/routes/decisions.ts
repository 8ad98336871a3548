// GET /v1/decisions/:id (docs/api.md "Decisions"): a decision's state under the rules of
// docs/formats.md section 12, computed by the core's DecisionLedger, and its approval
// proof once approved. The ledger follows the committed log on demand: each request
// first reads the blocks committed since the last one (through the backend's query),
// so the work is incremental and a request that times out mid-way keeps its progress.
import type { FastifyInstance } from 'fastify'
import { decodeCanonical } from '../../../src/codec/cbor.ts'
import { fromHex, toHex } from '../../../src/crypto/hash.ts'
import { chainItemFromCbor } from '../../../src/log/export.ts'
import type { CommitCertificate } from '../../../src/log/certificates.ts'
import type { JsonValue } from '../../../src/log/json.ts'
import { DecisionLedger, type CountedVote, type DecisionState } from '../../../src/decisions/state.ts'
import { approvalProofToJson, type ApprovalProof } from '../../../src/decisions/proof.ts'
import type { NodeBackend } from '../backend.ts'
import type { BackendCall } from '../backend-call.ts'
import { ApiError } from '../errors.ts'
import { LogFollower } from '../log-follower.ts'
import { onlyKnown, requiredHash } from '../params.ts'

export interface DecisionRouteDependencies {
  readonly backend: NodeBackend
  /** The server's backend call with a deadline (backend-call.ts). */
  readonly call: BackendCall
}

/** Most blocks read looking for the proof's cutoff certificate: a directly committed
 * block follows within a few heights unless rounds time out back to back. */
export const CUTOFF_SCAN_BLOCKS_MAX = 64

/** Why an approved decision has no proof in the answer. */
export type ProofUnavailable = 'uncertified' | 'no-cutoff'

/** The ledger over this node's committed log, caught up on demand, one catch-up at a time. */
export class DecisionIndex {
  readonly #ledger = new DecisionLedger()
  readonly #follower: LogFollower

  constructor(backend: NodeBackend) {
    this.#follower = new LogFollower(backend, this.#ledger)
  }

  /** Reads what was committed since the last call, then answers the decision's state. */
  async state(id: string, signal: AbortSignal): Promise<{ state: DecisionState | null, height: number }> {
    await this.#follower.catchUp(signal)
    return { state: this.#ledger.state(id), height: this.#ledger.height }
  }

}

function voteJson(v: CountedVote): JsonValue {
  return { id: v.id, agent: v.agent, kind: v.kind, index: v.index, height: v.height }
}

function stateJson(s: DecisionState, height: number): { [key: string]: JsonValue } {
  return {
    id: s.id,
    status: s.status,
    height,
    decision: {
      proposer: s.proposer, namespace: s.namespace, index: s.index, height: s.height,
      approvers: [...s.spec.approvers], threshold: s.spec.threshold, deadline: s.spec.deadline,
    },
    approvals: s.approvals.map(voteJson),
    rejections: s.rejections.map(voteJson),
    decidedBy: s.decidedBy === null ? null : voteJson(s.decidedBy),
  }
}

/** The first commit certificate from `fromHeight` to `toHeight` (bounded scan). */
async function cutoffCertificate(backend: NodeBackend, fromHeight: number, toHeight: number, signal: AbortSignal): Promise<CommitCertificate | null> {
  const last = Math.min(toHeight, fromHeight + CUTOFF_SCAN_BLOCKS_MAX - 1)
  if (last < fromHeight) return null
  const exported = await backend.exportBlocks(fromHeight, last, signal)
  for await (const bytes of exported.records) {
    const item = chainItemFromCbor(decodeCanonical(bytes))
    if (item.cc !== null && item.cc !== undefined) return item.cc
  }
  return null
}

/** The proof of an approved decision from this node's receipts, or why there is none. */
export async function buildApprovalProof(backend: NodeBackend, s: DecisionState, signal: AbortSignal): Promise<ApprovalProof | ProofUnavailable> {
  const decision = await backend.getReceipt(fromHex(s.id), signal)
  const approvals = []
  for (const v of s.approvals) {
    const r = await backend.getReceipt(fromHex(v.id), signal)
    if (r === null) return 'uncertified'
    approvals.push(r)
  }
  if (decision === null) return 'uncertified'
  const head = backend.health().height
  const cutoff = await cutoffCertificate(backend, s.decidedBy!.height, Math.min(s.spec.deadline, head), signal)
  if (cutoff === null) return s.spec.deadline > head ? 'uncertified' : 'no-cutoff'
  return { decision, approvals, cutoff }
}

export function registerDecisionRoutes(app: FastifyInstance, deps: DecisionRouteDependencies): void {
  const { backend, call } = deps
  const index = new DecisionIndex(backend)

  app.get('/v1/decisions/:id', async (request) => {
    onlyKnown(request.query, [])
    const id = toHex(requiredHash((request.params as { id?: unknown }).id, 'id'))
    const { state, height } = await call(request, (signal) => index.state(id, signal))
    if (state === null) throw new ApiError(404, 'unknown-decision', `no decision ${id} is in this node's committed log (up to height ${height})`)
    const body = stateJson(state, height)
    if (state.status !== 'approved') return { ...body, proof: null, proofUnavailable: null }
    const proof = await call(request, (signal) => buildApprovalProof(backend, state, signal))
    if (typeof proof === 'string') return { ...body, proof: null, proofUnavailable: proof }
    return { ...body, proof: approvalProofToJson(proof), proofUnavailable: null }
  })
}
