// The scenario DSL's types: what a researcher writes (ScenarioSpec) and what
// defineScenario() turns it into once validated (Scenario: every default filled in).
// All times are virtual milliseconds since the start of the run.
import type { ProtocolParams } from '../../src/log/genesis.ts'
import type { BehaviourName } from '../behaviours/index.ts'
import type { ExpectedOutcome } from '../report/types.ts'
import type { InstanceRef, LinkSettings, NetworkSettings, WorkloadPlan } from '../sim/schedule.ts'

export type { ExpectedOutcome }

/** A validator by index, or the second instance of a twin as `"3'"`. */
export type NodeRef = number | `${number}'`

/** Link endpoints: one validator, several, or every one. */
export type NodeSelector = number | readonly number[] | '*'

export interface ClusterSpec {
  /** Validators (4-64); f = floor((n-1)/3). */
  readonly nodes: number
  /** Overrides of the simulation's protocol parameters (see SIM_PARAMS). */
  readonly params?: Partial<ProtocolParams>
}

export interface NetworkSpec {
  /** Base one-way delay of each link: a fixed value or a [min, max] range drawn per link. */
  readonly delayMs?: number | readonly [number, number]
  /** Extra delay per message, uniform in [0, jitterMs]: reorders messages. */
  readonly jitterMs?: number
  /** Probability that a message is lost, on every link, during the fault phase. */
  readonly loss?: number
  /** Probability that a message is delivered twice, during the fault phase. */
  readonly duplicate?: number
}

export interface ByzantineSpec {
  readonly node: number
  readonly behaviour: BehaviourName
  /** Behaviour parameters (e.g. flood's ratePerSecond); unknown keys are errors. */
  readonly params?: Readonly<Record<string, unknown>>
}

export interface PartitionFault {
  readonly kind: 'partition'
  readonly at: number
  /** When the partition heals (default: the end of the fault phase). */
  readonly until?: number
  /** Who can talk to whom; instances listed in no group form one more group. */
  readonly groups: readonly (readonly NodeRef[])[]
}

export interface LinkFault extends LinkSettings {
  readonly kind: 'link'
  readonly at: number
  /** When the link's settings return to the network's (default: the end of the fault phase). */
  readonly until?: number
  readonly from: NodeSelector
  readonly to: NodeSelector
  /** Apply to to -> from as well (default true). */
  readonly symmetric?: boolean
}

export interface CrashFault {
  readonly kind: 'crash'
  readonly at: number
  /** Restart time. Omitted or null: the node never restarts and counts as faulty. */
  readonly until?: number | null
  readonly node: NodeRef
}

export interface SkewFault {
  readonly kind: 'skew'
  readonly at: number
  /** Default: the end of the fault phase. */
  readonly until?: number
  readonly node: NodeRef
  /** Timer speed relative to virtual time: 2 = timers fire twice as early, 0.5 = twice as late. */
  readonly rate: number
}

export type FaultSpec = PartitionFault | LinkFault | CrashFault | SkewFault
export type FaultKind = FaultSpec['kind']

export interface WorkloadSpec {
  /** Agents signing entries (default 3). */
  readonly agents?: number
  /** Entries per second over all agents (default 20). */
  readonly ratePerSecond?: number
  /** Payload size in bytes: fixed or a [min, max] range (default [40, 200]). */
  readonly payloadBytes?: number | readonly [number, number]
  /** Namespaces; agent a writes to namespaces[a mod length] (default one per agent). */
  readonly namespaces?: readonly string[]
  /** When agents submit (default: the whole fault phase). */
  readonly from?: number
  readonly until?: number
  /** A share of the entries become k-of-m decisions among the agents and their votes
   * (docs/formats.md section 12): share in (0, 1], threshold k (default 2), deadlineHeights
   * (default 20), rejectShare of the votes (default 0.2); votesToHomeNode: each agent's
   * votes go only to validator (agent mod n), not to f+1 (default false). */
  readonly decisions?: { readonly share: number, readonly threshold?: number, readonly deadlineHeights?: number, readonly rejectShare?: number, readonly votesToHomeNode?: boolean }
}

/** During [from, to], every listed node (default: all correct ones) commits at least minBlocks blocks. */
export interface ProgressWindow {
  readonly from: number
  readonly to: number
  readonly minBlocks?: number
  readonly nodes?: readonly number[]
}

/** During [from + graceMs, to], no listed node (default: all correct ones) commits a block. */
export interface StallWindow {
  readonly from: number
  readonly to: number
  /** Blocks already certified when the stall starts may still commit this long after `from` (default 600). */
  readonly graceMs?: number
  readonly nodes?: readonly number[]
}

export type ExpectSpec =
  | { readonly outcome: 'safe-and-live', readonly progress?: readonly ProgressWindow[] }
  /** Safe; no commits in the stall window; then (liveAfter, default true) live once faults stop. */
  | { readonly outcome: 'safe-stalled', readonly stall?: StallWindow, readonly liveAfter?: boolean }
  /** Beyond the fault bound: the checkers must find a safety violation. */
  | { readonly outcome: 'unsafe' }

export interface ScenarioSpec {
  /** kebab-case; the library's file name. */
  readonly name: string
  readonly description: string
  readonly cluster: ClusterSpec
  readonly network?: NetworkSpec
  readonly byzantine?: readonly ByzantineSpec[]
  readonly faults?: readonly FaultSpec[]
  /** Twins-style partitions by protocol round: entry r-1 partitions round r. */
  readonly roundPartitions?: readonly (readonly (readonly NodeRef[])[])[]
  /** The leader of each of rounds 1..k (validator indices); round-robin after them. The
   * simulator's replicas and its chain checks follow the same schedule. */
  readonly leaders?: readonly number[]
  readonly workload?: WorkloadSpec
  /** Length of the fault phase; every fault ends by then (crashes may last for good). */
  readonly durationMs: number
  /** The liveness phase after the faults: its bound (default 20 s), or false for none. */
  readonly liveness?: { readonly boundMs?: number } | false
  readonly expect: ExpectSpec
  /** Seed-driven extras: random crashes inside steps (default 0); messages through the wire codec. */
  readonly chaos?: { readonly midStepCrashRate?: number, readonly wireEncoding?: boolean }
  /** Sampling interval of height and round per node (default: duration / 300, at least 20 ms). */
  readonly sampleIntervalMs?: number
  /** Backends that can express this scenario (default: sim; net when only crashes and partitions). */
  readonly backends?: readonly ('sim' | 'net')[]
}

/** A fault with its node references resolved and its end filled in. */
export type ResolvedFault =
  | { readonly kind: 'partition', readonly at: number, readonly until: number, readonly groups: readonly (readonly InstanceRef[])[] }
  | { readonly kind: 'link', readonly at: number, readonly until: number, readonly from: readonly number[], readonly to: readonly number[], readonly settings: LinkSettings }
  | { readonly kind: 'crash', readonly at: number, readonly until: number | null, readonly node: InstanceRef }
  | { readonly kind: 'skew', readonly at: number, readonly until: number, readonly node: InstanceRef, readonly rate: number }

export type Expectation =
  | { readonly outcome: 'safe-and-live', readonly progress: readonly Required<ProgressWindow>[] }
  | { readonly outcome: 'safe-stalled', readonly stall: Required<StallWindow>, readonly liveAfter: boolean }
  | { readonly outcome: 'unsafe' }

/** A validated scenario: every default filled in. Made only by defineScenario(). */
export interface Scenario {
  readonly kind: 'synod-scenario'
  readonly name: string
  readonly description: string
  readonly nodes: number
  readonly f: number
  readonly params: ProtocolParams
  readonly network: NetworkSettings
  readonly byzantine: readonly { readonly node: number, readonly behaviour: BehaviourName, readonly params: Readonly<Record<string, unknown>> }[]
  readonly faults: readonly ResolvedFault[]
  readonly roundPartitions: readonly (readonly (readonly InstanceRef[])[])[] | null
  readonly leaders: readonly number[] | null
  readonly workload: WorkloadPlan
  readonly durationMs: number
  readonly livenessBoundMs: number | null
  readonly expect: Expectation
  readonly midStepCrashRate: number
  readonly wireEncoding: boolean
  readonly sampleIntervalMs: number
  readonly backends: readonly ('sim' | 'net')[]
  /** Validators that are Byzantine or crash for good. */
  readonly faulty: readonly number[]
  /** The spec as written (for reports). */
  readonly spec: ScenarioSpec
}
