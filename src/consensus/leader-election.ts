// Who leads a round. Deterministic from the round number; a reputation-based election
// is a later improvement behind the same interface.

export interface LeaderElection {
  leaderOf(round: number): number
}

/** Round-robin: the leader of round r is validator r mod n (what ChainVerifier checks). */
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
