// Turning individual signed messages into certificates. Inputs must already be
// verified (signature and voter index); the aggregators only count and assemble.
//  - VoteAggregator: votes for one (round, height, block) -> QC; their commit halves
//    for one parent CommitData -> CC.
//  - TimeoutAggregator: timeouts for one round -> TC, and the f+1 count used to join
//    a round that others already time out.
import { toHex } from '../crypto/hash.ts'
import type { CommitCertificate, QuorumCertificate, TimeoutCertificate } from '../log/certificates.ts'
import { bitmapOf } from '../log/signer-bitmap.ts'
import type { TimeoutMessage, VoteMessage } from './types.ts'

interface VoteBucket {
  readonly votes: Map<number, VoteMessage>
  qc: QuorumCertificate | null
}

interface CommitBucket {
  readonly sigs: Map<number, Uint8Array>
  cc: CommitCertificate | null
}

function assemble(n: number, sigsBySigner: Map<number, Uint8Array>): { signers: Uint8Array, sigs: Uint8Array[], order: number[] } {
  const order = [...sigsBySigner.keys()].sort((a, b) => a - b)
  return { signers: bitmapOf(order, n), sigs: order.map((i) => sigsBySigner.get(i)!), order }
}

export class VoteAggregator {
  readonly #n: number
  readonly #quorum: number
  readonly #votes = new Map<string, VoteBucket>()
  readonly #commits = new Map<string, CommitBucket>()
  /** Round of each bucket key, for pruning. */
  readonly #rounds = new Map<string, number>()
  /** Who voted in each round: only a voter's FIRST vote in a round counts, so a
   * double-voting validator adds at most one bucket per round. */
  readonly #voters = new Map<number, Set<number>>()

  constructor(n: number, quorum: number) {
    this.#n = n
    this.#quorum = quorum
  }

  /** Adds a verified vote. Returns a QC and/or CC the first time each reaches a quorum. */
  add(vote: VoteMessage): { qc: QuorumCertificate | null, cc: CommitCertificate | null } {
    let qc: QuorumCertificate | null = null
    let cc: CommitCertificate | null = null
    let voters = this.#voters.get(vote.round)
    if (voters === undefined) {
      voters = new Set()
      this.#voters.set(vote.round, voters)
    }
    if (voters.has(vote.voter)) return { qc, cc }
    voters.add(vote.voter)
    const key = `${vote.round}/${vote.height}/${toHex(vote.block)}`
    let bucket = this.#votes.get(key)
    if (bucket === undefined) {
      bucket = { votes: new Map(), qc: null }
      this.#votes.set(key, bucket)
      this.#rounds.set(key, vote.round)
    }
    if (!bucket.votes.has(vote.voter)) {
      bucket.votes.set(vote.voter, vote)
      if (bucket.qc === null && bucket.votes.size >= this.#quorum) {
        const sigs = new Map([...bucket.votes].map(([i, v]) => [i, v.sig]))
        const { signers, sigs: list } = assemble(this.#n, sigs)
        bucket.qc = { round: vote.round, height: vote.height, block: vote.block, signers, sigs: list }
        qc = bucket.qc
      }
    }
    const c = vote.commit
    if (c !== null) {
      const ckey = `c/${vote.round}/${c.height}/${toHex(c.block)}/${c.logSize}/${toHex(c.logRoot)}`
      let cb = this.#commits.get(ckey)
      if (cb === undefined) {
        cb = { sigs: new Map(), cc: null }
        this.#commits.set(ckey, cb)
        this.#rounds.set(ckey, vote.round)
      }
      if (!cb.sigs.has(vote.voter)) {
        cb.sigs.set(vote.voter, c.sig)
        if (cb.cc === null && cb.sigs.size >= this.#quorum) {
          const { signers, sigs } = assemble(this.#n, cb.sigs)
          cb.cc = { height: c.height, block: c.block, logSize: c.logSize, logRoot: c.logRoot, signers, sigs }
          cc = cb.cc
        }
      }
    }
    return { qc, cc }
  }

  /** Forgets every bucket for rounds below `round`. */
  prune(round: number): void {
    for (const [key, r] of this.#rounds) {
      if (r >= round) continue
      this.#rounds.delete(key)
      this.#votes.delete(key)
      this.#commits.delete(key)
    }
    for (const r of [...this.#voters.keys()]) if (r < round) this.#voters.delete(r)
  }

  get size(): number {
    return this.#rounds.size
  }
}

export class TimeoutAggregator {
  readonly #n: number
  readonly #quorum: number
  readonly #rounds = new Map<number, { timeouts: Map<number, TimeoutMessage>, tc: TimeoutCertificate | null }>()
  /** The round a timeout's high QC was signed as: its own, or 0 for the epoch's root QC. */
  readonly #qcRound: (qc: QuorumCertificate) => number

  constructor(n: number, quorum: number, qcRound: (qc: QuorumCertificate) => number = (qc) => qc.round) {
    this.#n = n
    this.#quorum = quorum
    this.#qcRound = qcRound
  }

  /** Adds a verified timeout. Returns the TC the first time its round reaches a quorum. */
  add(timeout: TimeoutMessage): TimeoutCertificate | null {
    let bucket = this.#rounds.get(timeout.round)
    if (bucket === undefined) {
      bucket = { timeouts: new Map(), tc: null }
      this.#rounds.set(timeout.round, bucket)
    }
    if (bucket.timeouts.has(timeout.voter)) return null
    bucket.timeouts.set(timeout.voter, timeout)
    if (bucket.tc !== null || bucket.timeouts.size < this.#quorum) return null
    const { signers, sigs, order } = assemble(this.#n, new Map([...bucket.timeouts].map(([i, t]) => [i, t.sig])))
    bucket.tc = { round: timeout.round, signers, sigs, highQcRounds: order.map((i) => this.#qcRound(bucket.timeouts.get(i)!.highQc)) }
    return bucket.tc
  }

  /** Distinct validators that timed out in `round`. */
  count(round: number): number {
    return this.#rounds.get(round)?.timeouts.size ?? 0
  }

  prune(round: number): void {
    for (const r of [...this.#rounds.keys()]) if (r < round) this.#rounds.delete(r)
  }

  get size(): number {
    return this.#rounds.size
  }
}
