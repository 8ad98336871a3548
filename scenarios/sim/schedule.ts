// An explicit fault schedule for the simulator (what the scenario DSL compiles to).
// Every time is virtual ms since the start of the run. Randomness that remains (link
// latencies, jitter, loss and duplication draws, the workload) still comes from the
// run's seed, so a scheduled run is as reproducible as a seed-derived one.
import type { BehaviourName } from '../behaviours/index.ts'

/** One simulated instance: a validator, or (copy 1) the second instance of a twin. */
export interface InstanceRef {
  readonly node: number
  readonly copy: 0 | 1
}

/** Settings of a directed link; an absent field keeps the network default. */
export interface LinkSettings {
  /** Base one-way delay (replaces the link's seeded base latency). */
  readonly delayMs?: number
  /** Extra delay drawn uniformly from [0, jitterMs] per message (reorders messages). */
  readonly jitterMs?: number
  /** Probability that a message is lost (1: the link is down). */
  readonly loss?: number
  /** Probability that a message is delivered twice. */
  readonly duplicate?: number
}

export type SimFault =
  /** Instances in different groups cannot talk; instances in no group form one more group. */
  | { readonly kind: 'partition', readonly at: number, readonly until: number, readonly groups: readonly (readonly InstanceRef[])[] }
  | { readonly kind: 'link', readonly at: number, readonly until: number, readonly from: readonly number[], readonly to: readonly number[], readonly settings: LinkSettings }
  /** until null: the instance never restarts (it counts as faulty). */
  | { readonly kind: 'crash', readonly at: number, readonly until: number | null, readonly node: InstanceRef }
  /** The instance's timers run `rate` times as fast as virtual time (2: twice as fast). */
  | { readonly kind: 'skew', readonly at: number, readonly until: number, readonly node: InstanceRef, readonly rate: number }

export interface NetworkSettings {
  /** Each directed link's base latency is drawn from [delayMinMs, delayMaxMs]. */
  readonly delayMinMs: number
  readonly delayMaxMs: number
  readonly jitterMs: number
  readonly loss: number
  readonly duplicate: number
}

import type { DecisionWorkloadPlan } from './decision-workload.ts'

export interface WorkloadPlan {
  readonly agents: number
  /** Entries per second over all agents (exponentially distributed gaps). */
  readonly ratePerSecond: number
  readonly payloadBytesMin: number
  readonly payloadBytesMax: number
  /** Agent a writes to namespaces[a mod length]. */
  readonly namespaces: readonly string[]
  readonly fromMs: number
  readonly untilMs: number
  /** Decisions and votes among the agents (scenarios/sim/decision-workload.ts); none when absent. */
  readonly decisions?: DecisionWorkloadPlan
}

export interface ByzantineAssignment {
  readonly node: number
  readonly behaviour: BehaviourName
  readonly params: Readonly<Record<string, unknown>>
}

export interface SimSchedule {
  readonly byzantine: readonly ByzantineAssignment[]
  readonly faults: readonly SimFault[]
  readonly network: NetworkSettings
  readonly workload: WorkloadPlan
  /** How often committed height and round of every instance are sampled. */
  readonly sampleIntervalMs: number
  /** After the faults: heal everything, submit probes, check that every correct node commits them. */
  readonly livenessPhase: boolean
  /** Twins-style partitions by protocol round: entry r-1 is the partition for round r;
   * a message belongs to its own round (proposal, vote, timeout) or else to its sender's
   * current round. Beyond the list, everyone is connected. */
  readonly roundPartitions: readonly (readonly (readonly InstanceRef[])[])[] | null
  /** The leaders of rounds 1..k (Twins cases script them); round-robin after them, and
   * throughout when null. Replicas and the integrity checker are given the same election. */
  readonly leaders?: readonly number[] | null
}

export const DEFAULT_NETWORK: NetworkSettings = { delayMinMs: 2, delayMaxMs: 30, jitterMs: 10, loss: 0, duplicate: 0 }

export function instanceName(ref: InstanceRef): string {
  return ref.copy === 0 ? String(ref.node) : `${ref.node}'`
}
