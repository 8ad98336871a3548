// Namespace governance in the simulator's workload (docs/formats.md section 13): the
// genesis names an admin of `sim/governed`, and a share of the workload's entries become
// that admin's policy entries (writers, sometimes a schema) or agents' entries in the
// governed namespaces, some of which the policy in force refuses. Under faults the
// validators must commit only chains that keep the policies (the integrity checker
// re-checks them with the auditor's ChainVerifier), and every honest node the same.
// Probes stay in the ungoverned `sim/agent-<i>` namespaces, so liveness is unchanged.
import { toHex } from '../../src/crypto/hash.ts'
import { publicKeyFromSeed } from '../../src/crypto/ed25519.ts'
import type { GenesisGovernance } from '../../src/log/genesis.ts'
import { policyPayloadText } from '../../src/governance/policy-payload.ts'
import { Prng } from './prng.ts'

/** A workload agent (workload.ts's Agent, restated so that neither module imports the other). */
export interface Agent {
  readonly seed: Uint8Array
  readonly key: Uint8Array
  seq: number
}

export interface GovernanceWorkloadPlan {
  /** Share of workload entries that are governance traffic, in (0, 1]. */
  readonly share: number
  /** Of those, the share that are the admin's policy entries; the rest are agents' entries
   * in the governed namespaces. */
  readonly policyShare: number
}

export const GOVERNED_NAMESPACE = 'sim/governed'
const SUBNAMESPACES = [GOVERNED_NAMESPACE, `${GOVERNED_NAMESPACE}/a`, `${GOVERNED_NAMESPACE}/b`]
const SCHEMA = { type: 'object', required: ['decision'] }

/** The admin's key, from the run's seed through a PRNG of its own: deriving it draws
 * nothing from the run's PRNG, so a seed means the same run with or without governance
 * up to the first governance entry. */
export function governanceAdmin(seed: number): Agent {
  const key = new Prng(seed ^ 0x90e1a7).bytes(32)
  return { seed: key, key: publicKeyFromSeed(key), seq: 0 }
}

export function simGovernance(admin: Agent): GenesisGovernance {
  return { admins: new Map([[GOVERNED_NAMESPACE, [admin.key]]]) }
}

/** What a governance workload entry is: who signs it, where, and what. */
export interface GovernanceEntry {
  readonly signer: Agent
  readonly namespace: string
  readonly payload: string
}

export class GovernanceWorkload {
  readonly #plan: GovernanceWorkloadPlan
  readonly #admin: Agent

  constructor(plan: GovernanceWorkloadPlan, admin: Agent) {
    this.#plan = plan
    this.#admin = admin
  }

  /** The next workload entry's governance form, or null for an ordinary entry. The
   * caller has already advanced `agent`'s seq. */
  next(rng: Prng, agent: Agent, agents: readonly Agent[]): GovernanceEntry | null {
    if (!rng.chance(this.#plan.share)) return null
    const namespace = rng.pick(SUBNAMESPACES)
    if (rng.chance(this.#plan.policyShare)) {
      this.#admin.seq += 1
      const writers = rng.chance(0.2) ? 'any' : agents.filter(() => rng.chance(0.5)).map((a) => toHex(a.key))
      const payload = policyPayloadText({ writers, ...(rng.chance(0.3) ? { schema: SCHEMA } : {}) })
      return { signer: this.#admin, namespace, payload }
    }
    // An agent's entry: its usual payload (satisfies the schema) or one without `decision`.
    const payload = rng.chance(0.3) ? JSON.stringify({ note: `n${agent.seq}` }) : JSON.stringify({ decision: `g${agent.seq}` })
    return { signer: agent, namespace, payload }
  }
}
