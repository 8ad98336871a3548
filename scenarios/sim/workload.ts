// The run's clients: agents that sign entries (bursts at seeded intervals, or the
// schedule's Poisson rate and payload sizes) during the safety phase, one probe entry
// each for the liveness phase, and when each entry was submitted and first committed.
import { toHex } from '../../src/crypto/hash.ts'
import { publicKeyFromSeed } from '../../src/crypto/ed25519.ts'
import { entryId, signEntry } from '../../src/log/entry.ts'
import type { SignatureScheme } from '../../src/crypto/signature-scheme.ts'
import { faultTolerance } from '../../src/log/validator-set.ts'
import type { SimClock } from './clock.ts'
import type { Instance } from './instance.ts'
import { CHAIN_ID, type SimOptions } from './options.ts'
import type { Prng } from './prng.ts'
import { DecisionWorkload } from './decision-workload.ts'
import { governanceAdmin, GovernanceWorkload } from './governance-workload.ts'
import type { SimSchedule } from './schedule.ts'

export interface Agent {
  readonly seed: Uint8Array
  readonly key: Uint8Array
  seq: number
}

/** The agents' keys, drawn from the run's PRNG. */
export function drawAgents(rng: Prng, count: number): Agent[] {
  return Array.from({ length: count }, () => {
    const seed = rng.bytes(32)
    return { seed, key: publicKeyFromSeed(seed), seq: 0 }
  })
}

export interface WorkloadParts {
  readonly options: SimOptions
  readonly schedule: SimSchedule | null
  readonly rng: Prng
  readonly clock: SimClock
  readonly agents: Agent[]
  /** The scheme agents sign with. */
  readonly signatures: SignatureScheme
  /** Where entries are submitted. */
  readonly instances: readonly Instance[]
}

export class Workload {
  readonly #options: SimOptions
  readonly #schedule: SimSchedule | null
  readonly #rng: Prng
  readonly #clock: SimClock
  readonly #agents: Agent[]
  readonly #signatures: SignatureScheme
  readonly #instances: readonly Instance[]
  /** entry id -> submit time. */
  readonly submitted = new Map<string, number>()
  readonly probes = new Set<string>()
  /** entry id -> first honest commit time. */
  readonly #firstCommit = new Map<string, number>()
  /** Decisions and votes in the workload, when the schedule asks for them. */
  readonly #decisions: DecisionWorkload | null
  /** Namespace governance traffic, when the options ask for it. */
  readonly #governance: GovernanceWorkload | null

  constructor(parts: WorkloadParts) {
    this.#options = parts.options
    this.#schedule = parts.schedule
    this.#rng = parts.rng
    this.#clock = parts.clock
    this.#agents = parts.agents
    this.#signatures = parts.signatures
    this.#instances = parts.instances
    const plan = this.#schedule?.workload.decisions
    this.#decisions = plan === undefined ? null : new DecisionWorkload(plan)
    const governance = parts.options.governance
    this.#governance = governance === undefined ? null : new GovernanceWorkload(governance, governanceAdmin(parts.options.seed))
  }

  /** The highest height any instance has committed (a decision's deadline is set from it). */
  #committedHeightMax(): number {
    let best = 0
    for (const inst of this.#instances) best = Math.max(best, inst.storage.committed.length - 1)
    return best
  }

  /** Schedules the first workload event. */
  start(): void {
    if (this.#schedule === null) {
      this.#clock.at(this.#rng.range(0, 50), { kind: 'workload' })
      return
    }
    const w = this.#schedule.workload
    if (w.agents > 0 && w.ratePerSecond > 0 && w.untilMs > w.fromMs) this.#clock.at(w.fromMs + this.#gapMs(), { kind: 'workload' })
  }

  /** A workload event: submit, then schedule the next one (until the safety phase ends). */
  tick(): void {
    const now = this.#clock.now
    if (now >= this.#options.faultsStopMs) return
    if (this.#schedule === null) {
      const burst = this.#rng.range(1, 4)
      for (let i = 0; i < burst; i++) this.#submitOne(false)
      this.#clock.at(now + 1 + this.#rng.int(2 * this.#options.entryIntervalMs), { kind: 'workload' })
      return
    }
    if (now >= this.#schedule.workload.untilMs) return
    this.#submitOne(false)
    this.#clock.at(now + this.#gapMs(), { kind: 'workload' })
  }

  /** The liveness phase: every agent submits one probe entry. */
  probe(): void {
    for (let a = 0; a < this.#agents.length; a++) this.#submitOne(true, a)
  }

  #gapMs(): number {
    const rate = this.#schedule!.workload.ratePerSecond
    // Exponential gaps (a Poisson process), at least 1 ms.
    return Math.max(1, Math.round((-Math.log(1 - this.#rng.float()) * 1000) / rate))
  }

  #submitOne(probe: boolean, agentIndex?: number): void {
    const rng = this.#rng
    const agent = this.#agents[agentIndex ?? rng.int(this.#agents.length)]!
    agent.seq += 1 + (rng.chance(0.1) ? 1 : 0) // gaps are allowed
    const a = this.#agents.indexOf(agent)
    const w = this.#schedule?.workload
    let payload = JSON.stringify({ decision: `d${agent.seq}`, probe })
    let namespace = `sim/agent-${a}`
    let refs: Uint8Array[] = []
    const about = probe ? null : this.#decisions?.next(rng, a, this.#agents.map((x) => x.key), this.#committedHeightMax()) ?? null
    if (w !== undefined) {
      namespace = w.namespaces[a % w.namespaces.length]!
      const size = rng.range(w.payloadBytesMin, w.payloadBytesMax)
      const pad = size - payload.length - 10
      if (pad > 0) payload = JSON.stringify({ decision: `d${agent.seq}`, probe, pad: 'x'.repeat(pad) })
    }
    if (about !== null) {
      payload = about.payload
      refs = about.refs
    }
    const governed = probe || about !== null ? null : this.#governance?.next(rng, agent, this.#agents) ?? null
    const signer = governed?.signer ?? agent
    if (governed !== null) {
      namespace = governed.namespace
      payload = governed.payload
    }
    const entry = signEntry({ agent: signer.key, namespace, seq: signer.seq, payload, refs, idempotencyKey: '' }, CHAIN_ID, signer.seed, this.#signatures)
    if (about?.proposal === true) this.#decisions!.proposed(entryId(entry), a)
    const id = toHex(entryId(entry))
    this.submitted.set(id, this.#clock.now)
    if (probe) this.probes.add(id)
    // To f+1 distinct identities: at least one is honest when at most f are faulty.
    const f = faultTolerance(this.#options.nodes)
    const targets = about?.homeOnly === true ? [a % this.#options.nodes] : rng.shuffle([...Array(this.#options.nodes).keys()]).slice(0, f + 1)
    for (const identity of targets) {
      const candidates = this.#instances.filter((i) => i.identity === identity)
      const inst = rng.pick(candidates)
      this.#clock.at(this.#clock.now + rng.range(1, 10), { kind: 'submit', inst: inst.id, entries: [entry] })
    }
  }

  /** An honest instance committed entry `id` (only the first such commit counts). */
  committed(id: string): void {
    if (!this.#firstCommit.has(id)) this.#firstCommit.set(id, this.#clock.now)
  }

  /** Every correct instance (honest, not crashed for good) has committed every probe. */
  allProbesCommitted(): boolean {
    for (const inst of this.#instances) {
      if (!inst.honest || inst.permanentlyDown) continue
      for (const p of this.probes) if (!inst.ids.has(p)) return false
    }
    return true
  }

  /** Submit-to-first-honest-commit latency of every committed entry, ascending. */
  latencies(): number[] {
    const out: number[] = []
    for (const [id, t] of this.#firstCommit) {
      const s = this.submitted.get(id)
      if (s !== undefined) out.push(t - s)
    }
    return out.sort((a, b) => a - b)
  }
}
