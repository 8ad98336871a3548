// The catch-up schedule: one honest validator (node 0) is down long enough for the
// others to commit more than the block-sync window (syncWindowHeights, 16 heights by
// default: src/consensus/replica-limits.ts), so that on restart it is far behind and
// fetches committed blocks by height range (src/consensus/range-sync.ts); for its first
// seconds back it reaches only node n - 1, the Byzantine one when there is one, which
// therefore serves its first range requests. Seed-derived runs almost never range-sync
// (their crashes last at most 3 s at a few heights a second), so without this schedule
// no range request is ever sent in the fixed sweep. The seed still draws the crash and
// restart times, link latencies and the workload.
import type { BehaviourName } from '../behaviours/index.ts'
import { Prng } from '../sim/prng.ts'
import { DEFAULT_NETWORK, type SimSchedule } from '../sim/schedule.ts'
import { deriveOptions, type SignatureMode, type SimOptions } from '../sim/simulator.ts'

export interface CatchUpConfig {
  readonly nodes: number
  /** Run by node n - 1 ('honest': no Byzantine node). */
  readonly behaviour: BehaviourName
  readonly signatures: SignatureMode
}

/** The node that falls behind. */
export const CATCH_UP_VICTIM = 0
/** After its restart, how long node 0 reaches node n - 1 only. */
const ONE_PEER_MS = 2000
/** Rounds led by the others only (a run has some 100-200). */
const SCRIPTED_ROUNDS = 1000
/** Entries per second: each round has some to propose, so heights grow with rounds. */
const RATE_PER_SECOND = 40

/** The options of the catch-up run of `seed`. */
export function catchUpOptions(seed: number, config: CatchUpConfig): SimOptions {
  const rng = new Prng(seed ^ 0xca7c40)
  const n = config.nodes
  const downAt = rng.range(200, 500)
  // At some 10 heights a second, 3-4 s down leaves it 20-40 heights behind.
  const upAt = rng.range(3000, 4000)
  const faultsStopMs = upAt + ONE_PEER_MS + 1000
  const others = Array.from({ length: n - 2 }, (_, i) => i + 1)
  const schedule: SimSchedule = {
    byzantine: config.behaviour === 'honest' ? [] : [{ node: n - 1, behaviour: config.behaviour, params: {} }],
    faults: [
      { kind: 'crash', at: downAt, until: upAt, node: { node: CATCH_UP_VICTIM, copy: 0 } },
      // Both ways: node 0 learns of the heights it lacks from node n - 1 alone.
      { kind: 'link', at: upAt, until: upAt + ONE_PEER_MS, from: [CATCH_UP_VICTIM], to: others, settings: { loss: 1 } },
      { kind: 'link', at: upAt, until: upAt + ONE_PEER_MS, from: others, to: [CATCH_UP_VICTIM], settings: { loss: 1 } },
    ],
    network: DEFAULT_NETWORK,
    workload: {
      agents: 3, ratePerSecond: RATE_PER_SECOND, payloadBytesMin: 40, payloadBytesMax: 200,
      namespaces: ['sim/agent-0', 'sim/agent-1', 'sim/agent-2'], fromMs: 0, untilMs: faultsStopMs,
    },
    sampleIntervalMs: 0,
    livenessPhase: true,
    roundPartitions: null,
    // Node 0 leads none of the first rounds: while it is down its rounds would time out
    // and break the chains of consecutive rounds that commit (about 2 heights a second
    // instead of 10); round-robin over the others, then over all after them.
    leaders: Array.from({ length: SCRIPTED_ROUNDS }, (_, r) => 1 + (r % (n - 1))),
  }
  return deriveOptions(seed, {
    nodes: n, byzantine: schedule.byzantine.length, behaviour: config.behaviour, signatures: config.signatures,
    faultsStopMs, livenessBoundMs: 20_000, schedule,
    // A crash in the middle of a step would take a second node down while node 0 is: no
    // quorum, no heights to fall behind by.
    midStepCrashRate: 0,
  })
}

/** The command that replays a catch-up run. */
export function catchUpReplay(seed: number, config: CatchUpConfig): string {
  const byzantine = config.behaviour === 'honest' ? 0 : 1
  return `npx synod simulate --nodes ${config.nodes} --byzantine ${byzantine} --behaviour ${config.behaviour} --runs 1 --seed ${seed} --signatures ${config.signatures} --catch-up`
}
