// Who leads a round: the one place the leader rule is written. The validator (proposals,
// votes, block validity) and the auditor (ChainVerifier) are both given a LeaderElection,
// so they cannot drift apart, and a reputation-based election is a new implementation of
// this interface, chosen by leaderElectionFor().
import type { Genesis } from './genesis.ts'

export interface LeaderElection {
  /** The index, in the genesis validator set, of the leader of `round`. */
  leaderOf(round: number): number
}

/** Round-robin: the leader of round r is validator r mod n. */
export class RoundRobinLeaderElection implements LeaderElection {
  readonly #n: number
  constructor(n: number) {
    if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`a validator set has at least 1 member, got ${n}`)
    this.#n = n
  }
  leaderOf(round: number): number {
    return round % this.#n
  }
}

/**
 * A fixed leader for each of the listed rounds and round-robin after them: the election a
 * simulation scripts to put the adversary in the lead where it wants it (Twins cases
 * choose a leader per round). Never chosen from a genesis: a chain it runs is checked by
 * a verifier given the same schedule.
 */
export class ScheduledLeaderElection implements LeaderElection {
  readonly #n: number
  /** The leaders of rounds 1..schedule.length, in order. */
  readonly #schedule: readonly number[]
  constructor(n: number, schedule: readonly number[]) {
    if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`a validator set has at least 1 member, got ${n}`)
    schedule.forEach((leader, i) => {
      if (!Number.isInteger(leader) || leader < 0 || leader >= n) throw new RangeError(`the leader of round ${i + 1} must be a validator index 0-${n - 1}, got ${leader}`)
    })
    this.#n = n
    this.#schedule = [...schedule]
  }
  leaderOf(round: number): number {
    return round >= 1 && round <= this.#schedule.length ? this.#schedule[round - 1]! : round % this.#n
  }
}

/** The chain's election, from its genesis (round-robin over the genesis validators, the
 * only election so far). */
export function leaderElectionFor(genesis: Genesis): LeaderElection {
  return new RoundRobinLeaderElection(genesis.validators.length)
}

/** Whether `proposer` leads `round`: the check a proposal's header passes. */
export function isLeaderOf(leaders: LeaderElection, proposer: number, round: number): boolean {
  return proposer === leaders.leaderOf(round)
}

/**
 * The leaders of the rounds from `fromRound` on, distinct and other than `self`, at most
 * `count` of them: where a node forwards the entries it accepted (docs/protocol.md,
 * "Dissemination"). With count = f+1 at least one of them is honest. Scans at most 4n
 * rounds, so an election that repeats a validator often can yield fewer.
 */
export function upcomingLeaders(leaders: LeaderElection, fromRound: number, count: number, self: number, n: number): number[] {
  const out: number[] = []
  const scanMax = 4 * n
  for (let k = 0; k < scanMax && out.length < count; k++) {
    const leader = leaders.leaderOf(fromRound + k)
    if (leader !== self && !out.includes(leader)) out.push(leader)
  }
  return out
}
