// GET /v1/policy?namespace=NS (docs/api.md "Policies"): the namespace governance in force
// for the next block (docs/formats.md section 13), computed by the core's PolicyLedger
// over this node's committed log. Like the decisions route, the ledger follows the log on
// demand: each request first reads the blocks committed since the last one.
import type { FastifyInstance } from 'fastify'
import { toHex } from '../../../src/crypto/hash.ts'
import type { Genesis } from '../../../src/log/genesis.ts'
import type { JsonValue } from '../../../src/log/json.ts'
import { PolicyLedger } from '../../../src/governance/ledger.ts'
import type { GovernanceState, PolicyRecord } from '../../../src/governance/state.ts'
import type { NodeBackend } from '../backend.ts'
import type { BackendCall } from '../backend-call.ts'
import { ApiError } from '../errors.ts'
import { LogFollower } from '../log-follower.ts'
import { onlyKnown, optionalHash, optionalNamespace } from '../params.ts'

export interface PolicyRouteDependencies {
  readonly backend: NodeBackend
  readonly call: BackendCall
  /** The chain's genesis; without one, or without its governance member, the route
   * answers 404 no-governance. */
  readonly genesis: Genesis | undefined
}

/** The ledger over this node's committed log, caught up on demand, one catch-up at a time. */
export class PolicyIndex {
  readonly #ledger: PolicyLedger
  readonly #follower: LogFollower

  constructor(backend: NodeBackend, genesis: Genesis) {
    this.#ledger = new PolicyLedger(genesis)
    this.#follower = new LogFollower(backend, this.#ledger)
  }

  /** Reads what was committed since the last call; the state after the committed head. */
  async state(signal: AbortSignal): Promise<GovernanceState> {
    await this.#follower.catchUp(signal)
    return this.#ledger.state
  }

}

function recordJson(r: PolicyRecord): { [key: string]: JsonValue } {
  return {
    namespace: r.namespace, entry: r.entry, agent: r.agent, height: r.height,
    writers: r.spec.writers === 'any' ? 'any' : [...r.spec.writers],
    admins: [...r.spec.admins],
    approvers: r.spec.approvers === null ? null : { keys: [...r.spec.approvers.keys], threshold: r.spec.approvers.threshold },
    schema: r.spec.schemaJson as JsonValue,
    retention: r.spec.retention === null ? null : { heights: r.spec.retention.heights },
  }
}

export function registerPolicyRoutes(app: FastifyInstance, deps: PolicyRouteDependencies): void {
  const { backend, call, genesis } = deps
  const index = genesis?.governance === undefined ? null : new PolicyIndex(backend, genesis)

  app.get('/v1/policy', async (request) => {
    onlyKnown(request.query, ['namespace', 'agent'])
    const query = request.query as { namespace?: unknown, agent?: unknown }
    const namespace = optionalNamespace(query.namespace, 'namespace')
    if (namespace === undefined) throw new ApiError(400, 'invalid-parameter', 'namespace is required')
    const agent = optionalHash(query.agent, 'agent')
    if (index === null) throw new ApiError(404, 'no-governance', 'this chain has no namespace governance (its genesis has no governance member)')
    const state = await call(request, (signal) => index.state(signal))
    const record = state.recordInForce(namespace)
    const body: { [key: string]: JsonValue } = { namespace, height: state.height, admins: state.adminsOf(namespace), policy: record === null ? null : recordJson(record) }
    if (agent !== undefined) {
      const hex = toHex(agent)
      body.agent = { key: hex, admin: state.isAdmin(namespace, hex), writer: record === null || record.writers === null || record.writers.has(hex) }
    }
    return body
  })
}
