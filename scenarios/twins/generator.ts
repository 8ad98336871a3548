// Twins scenario generator (after Twins: BFT Systems Made Robust, Bano et al. 2020, and
// the Diem/Aptos twins executor). A case is data: which validator has a twin, and a
// list of rounds, each with its leader and a partition of the instances (the n
// validators plus the twin's second instance) into groups. During round r only
// instances in one group of round r's partition hear each other's round-r messages
// (proposals, votes, timeouts by their round; other messages by the sender's round).
// After the listed rounds, and once the fault phase ends, everyone is connected: the
// liveness phase then checks that the cluster recovers.
//
// Leaders: with `leaders: 'round-robin'` (the default) the case keeps the genesis's
// election (leader(r) = r mod n) and varies the leader schedule relative to the
// adversary only by choosing WHICH validator is the twin. With `leaders: 'per-round'`
// the case also picks the leader of every scripted round (any of the n, so the twin can
// lead several rounds in a row, as in the Twins paper); the simulator gives that
// schedule (a ScheduledLeaderElection) to every replica and to the integrity checker's
// chain verifier alike. Each round records its leader and whether a twin leads it.
//
// The space: twins x P^ceil(R / hold) (x n^R per-round), with P the partitions of the
// n + twins instances into at most `groupsMax` non-empty groups, each held for `hold`
// rounds. It is enumerated by index (mixed radix), so a case is replayed from its index
// alone; a sweep samples distinct indices from a seed.
import type { InstanceRef } from '../sim/schedule.ts'
import { instanceName } from '../sim/schedule.ts'
import { Prng } from '../sim/prng.ts'
import type { NodeRef, ScenarioSpec } from '../dsl/types.ts'

export interface TwinsOptions {
  /** Validators (the Twins paper's smallest interesting case: 4). */
  readonly nodes: number
  /** Validators with a twin: 1 is within f for n = 4; 2 is beyond it. */
  readonly twins: number
  /** Rounds with a scripted partition. */
  readonly rounds: number
  /** Groups per partition, at most (2: the Twins paper's usual setting). */
  readonly groupsMax: number
  /** Each drawn partition holds for this many consecutive rounds (default 1). A commit
   * needs a quorum side over two consecutive rounds, so holding partitions for 2+ rounds
   * makes the interesting (forking, beyond f) schedules far more frequent. */
  readonly holdRounds?: number
  /** 'round-robin' (default): the genesis's leaders; 'per-round': each scripted round's
   * leader is part of the case. */
  readonly leaders?: 'round-robin' | 'per-round'
}

export interface TwinsRound {
  readonly round: number
  readonly leader: number
  /** Whether the leader is a twin (both of its instances propose). */
  readonly twinLeads: boolean
  readonly partition: readonly (readonly InstanceRef[])[]
}

export interface TwinsCase {
  readonly index: number
  readonly twins: readonly number[]
  readonly rounds: readonly TwinsRound[]
}

/** Every set partition of `items` into at most `groupsMax` non-empty groups, in a fixed order. */
export function setPartitions<T>(items: readonly T[], groupsMax: number): T[][][] {
  const out: T[][][] = []
  const walk = (i: number, groups: T[][]): void => {
    if (i === items.length) {
      out.push(groups.map((g) => [...g]))
      return
    }
    for (const g of groups) {
      g.push(items[i]!)
      walk(i + 1, groups)
      g.pop()
    }
    if (groups.length < groupsMax) {
      groups.push([items[i]!])
      walk(i + 1, groups)
      groups.pop()
    }
  }
  walk(0, [])
  return out
}

/** The choices of twin validators: every combination of `twins` of the n validators. */
function combinations(n: number, k: number): number[][] {
  const out: number[][] = []
  const walk = (start: number, acc: number[]): void => {
    if (acc.length === k) {
      out.push([...acc])
      return
    }
    for (let i = start; i < n; i++) walk(i + 1, [...acc, i])
  }
  walk(0, [])
  return out
}

export class TwinsSpace {
  readonly options: TwinsOptions
  readonly twinChoices: readonly (readonly number[])[]
  /** Partitions per twin choice (the instances differ with the twins). */
  readonly #partitions: Map<string, InstanceRef[][][]> = new Map()
  readonly partitionsPerRound: number
  /** Rounds each partition holds for. */
  readonly hold: number
  /** Leader choices per scripted round: n when cases pick leaders, else 1. */
  readonly leadersPerRound: number
  /** The number of distinct cases (twin choice x one partition per held segment x leaders). */
  readonly size: number

  constructor(options: TwinsOptions) {
    if (!(Number.isInteger(options.nodes) && options.nodes >= 4 && options.nodes <= 7)) throw new RangeError(`twins: nodes must be 4-7, got ${options.nodes}`)
    if (!(Number.isInteger(options.twins) && options.twins >= 1 && options.twins < options.nodes)) throw new RangeError(`twins: twins must be 1-${options.nodes - 1}, got ${options.twins}`)
    if (!(Number.isInteger(options.rounds) && options.rounds >= 1 && options.rounds <= 12)) throw new RangeError(`twins: rounds must be 1-12, got ${options.rounds}`)
    if (!(Number.isInteger(options.groupsMax) && options.groupsMax >= 1 && options.groupsMax <= 3)) throw new RangeError(`twins: groupsMax must be 1-3, got ${options.groupsMax}`)
    const hold = options.holdRounds ?? 1
    if (!(Number.isInteger(hold) && hold >= 1 && hold <= options.rounds)) throw new RangeError(`twins: holdRounds must be 1-${options.rounds}, got ${hold}`)
    this.hold = hold
    this.options = options
    this.twinChoices = combinations(options.nodes, options.twins)
    for (const twins of this.twinChoices) {
      const instances: InstanceRef[] = [...Array(options.nodes).keys()].map((node) => ({ node, copy: 0 }))
      for (const t of twins) instances.push({ node: t, copy: 1 })
      this.#partitions.set(twins.join(','), setPartitions(instances, options.groupsMax))
    }
    this.partitionsPerRound = this.#partitions.values().next().value!.length
    const leaders = options.leaders ?? 'round-robin'
    if (leaders !== 'round-robin' && leaders !== 'per-round') throw new RangeError(`twins: leaders must be 'round-robin' or 'per-round', got ${JSON.stringify(leaders)}`)
    this.leadersPerRound = leaders === 'per-round' ? options.nodes : 1
    const size = this.twinChoices.length * this.partitionsPerRound ** Math.ceil(options.rounds / hold) * this.leadersPerRound ** options.rounds
    if (!Number.isSafeInteger(size)) throw new RangeError(`twins: ${this.describeSize()} cases is too many to index`)
    this.size = size
  }

  /** The size as its factors, e.g. "4 x 16^3 x 4^3". */
  describeSize(): string {
    const segments = Math.ceil(this.options.rounds / this.hold)
    return `${this.twinChoices.length} twin choices x ${this.partitionsPerRound}^${segments} partitions${this.leadersPerRound > 1 ? ` x ${this.leadersPerRound}^${this.options.rounds} leaders` : ''}`
  }

  /** The case with this index (0 <= index < size). */
  at(index: number): TwinsCase {
    if (!(Number.isSafeInteger(index) && index >= 0 && index < this.size)) throw new RangeError(`twins case ${index} is not in 0..${this.size - 1}`)
    let rest = index
    const twins = this.twinChoices[rest % this.twinChoices.length]!
    rest = Math.floor(rest / this.twinChoices.length)
    const partitions = this.#partitions.get(twins.join(','))!
    const rounds: TwinsRound[] = []
    let p = partitions[0]!
    for (let r = 1; r <= this.options.rounds; r++) {
      if ((r - 1) % this.hold === 0) {
        p = partitions[rest % this.partitionsPerRound]!
        rest = Math.floor(rest / this.partitionsPerRound)
      }
      let leader = r % this.options.nodes
      if (this.leadersPerRound > 1) {
        leader = rest % this.leadersPerRound
        rest = Math.floor(rest / this.leadersPerRound)
      }
      rounds.push({ round: r, leader, twinLeads: twins.includes(leader), partition: p })
    }
    return { index, twins, rounds }
  }

  /** `count` distinct case indices drawn from `seed` (all of them, in order, if count >= size). */
  sample(count: number, seed: number): number[] {
    if (count >= this.size) return [...Array(this.size).keys()]
    const rng = new Prng(seed)
    const picked = new Set<number>()
    // Rejection sampling of distinct indices: bounded, since count < size.
    for (let guard = 0; picked.size < count && guard < count * 100; guard++) {
      // Two draws cover indices up to 2^53.
      const hi = rng.int(Math.max(1, Math.ceil(this.size / 2 ** 26)))
      const lo = rng.int(2 ** 26)
      const index = (hi * 2 ** 26 + lo) % this.size
      picked.add(index)
    }
    return [...picked]
  }
}

/** How long a case's fault phase lasts: enough for every scripted round to time out once
 * at the growing backoff, plus room for the rounds after them. */
export function twinsDurationMs(rounds: number): number {
  return 2000 + 700 * rounds
}

function ref(r: InstanceRef): NodeRef {
  return r.copy === 0 ? r.node : (`${r.node}'` as NodeRef)
}

/** The scenario that runs one case (validated by the DSL like any other). */
export function twinsScenarioSpec(c: TwinsCase, options: TwinsOptions): ScenarioSpec {
  const f = Math.floor((options.nodes - 1) / 3)
  const beyond = c.twins.length > f
  return {
    name: `twins-case-${c.index}`,
    description: `twins ${c.twins.join(',')}; ${c.rounds.map((r) => `r${r.round} L${r.leader}${r.twinLeads ? '*' : ''} ${r.partition.map((g) => `{${g.map(instanceName).join(',')}}`).join('')}`).join('; ')}`,
    cluster: { nodes: options.nodes },
    byzantine: c.twins.map((node) => ({ node, behaviour: 'twins' as const })),
    roundPartitions: c.rounds.map((r) => r.partition.map((g) => g.map(ref))),
    ...(options.leaders === 'per-round' ? { leaders: c.rounds.map((r) => r.leader) } : {}),
    workload: { agents: 2, ratePerSecond: 25 },
    durationMs: twinsDurationMs(options.rounds),
    ...(beyond ? { liveness: false as const } : {}),
    expect: beyond ? { outcome: 'unsafe' } : { outcome: 'safe-and-live' },
  }
}
