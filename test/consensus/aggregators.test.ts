// The aggregators count verified votes and timeouts into certificates: which messages
// count, when a certificate forms (once, at the quorum), what it holds, and what pruning
// forgets. Signatures are placeholders: the aggregators take verified input and only
// assemble (src/consensus/aggregators.ts).
import { describe, expect, it } from 'vitest'
import { TimeoutAggregator, VoteAggregator } from '../../src/consensus/aggregators.ts'
import type { CommitVote, TimeoutMessage, VoteMessage } from '../../src/consensus/types.ts'
import type { QuorumCertificate } from '../../src/log/certificates.ts'
import { signersOf } from '../../src/log/signer-bitmap.ts'

const N = 4
const QUORUM = 3

function hash(b: number): Uint8Array {
  return new Uint8Array(32).fill(b)
}

/** A distinct placeholder signature per (voter, tag). */
function sig(voter: number, tag: number): Uint8Array {
  const s = new Uint8Array(64).fill(tag)
  s[0] = voter
  return s
}

function commit(voter: number, opts: { height?: number, block?: number, logSize?: number, logRoot?: number } = {}): CommitVote {
  return { height: opts.height ?? 6, block: hash(opts.block ?? 0xc0), logSize: opts.logSize ?? 10, logRoot: hash(opts.logRoot ?? 0xd0), sig: sig(voter, 0xee) }
}

function vote(voter: number, round: number, block = 0xaa, c: CommitVote | null = null, height = 7): VoteMessage {
  return { type: 'vote', voter, round, height, block: hash(block), sig: sig(voter, block), commit: c }
}

function highQc(round: number): QuorumCertificate {
  return { round, height: round, block: hash(round), signers: new Uint8Array(1), sigs: [] }
}

function timeout(voter: number, round: number, highQcRound: number): TimeoutMessage {
  return { type: 'timeout', voter, round, highQc: highQc(highQcRound), highTc: null, sig: sig(voter, 0x70 + round) }
}

describe('VoteAggregator', () => {
  it('forms a QC exactly at the quorum, once, with the signers and signatures in signer order', () => {
    const agg = new VoteAggregator(N, QUORUM)
    expect(agg.add(vote(2, 5)).qc).toBeNull()
    expect(agg.add(vote(0, 5)).qc).toBeNull()
    const { qc, cc } = agg.add(vote(3, 5))
    expect(cc).toBeNull()
    expect(qc).not.toBeNull()
    expect(qc!.round).toBe(5)
    expect(qc!.height).toBe(7)
    expect(qc!.block).toEqual(hash(0xaa))
    expect(signersOf(qc!.signers, N)).toEqual([0, 2, 3])
    expect(qc!.sigs).toEqual([sig(0, 0xaa), sig(2, 0xaa), sig(3, 0xaa)])
    // The fourth vote adds nothing new: the QC was already returned.
    expect(agg.add(vote(1, 5)).qc).toBeNull()
  })

  it('counts votes for different blocks, heights or rounds apart', () => {
    const agg = new VoteAggregator(N, QUORUM)
    expect(agg.add(vote(0, 5, 0xaa)).qc).toBeNull()
    expect(agg.add(vote(1, 5, 0xbb)).qc).toBeNull()
    expect(agg.add(vote(2, 6, 0xaa)).qc).toBeNull()
    expect(agg.add(vote(3, 5, 0xaa, null, 8)).qc).toBeNull()
    expect(agg.size).toBe(4)
  })

  it('counts only a voter\'s first vote in a round: a double vote adds nothing to the second block', () => {
    const agg = new VoteAggregator(N, QUORUM)
    expect(agg.add(vote(0, 5, 0xaa)).qc).toBeNull()
    expect(agg.add(vote(0, 5, 0xbb)).qc).toBeNull()
    expect(agg.add(vote(1, 5, 0xbb)).qc).toBeNull()
    expect(agg.add(vote(2, 5, 0xbb)).qc).toBeNull() // voter 0's second vote is not the third
    const { qc } = agg.add(vote(3, 5, 0xbb))
    expect(signersOf(qc!.signers, N)).toEqual([1, 2, 3])
    // A repeated vote is not counted twice either.
    const again = new VoteAggregator(N, QUORUM)
    again.add(vote(0, 5))
    again.add(vote(0, 5))
    expect(again.add(vote(1, 5)).qc).toBeNull()
  })

  it('a voter\'s vote in one round does not stop its vote in the next', () => {
    const agg = new VoteAggregator(N, QUORUM)
    agg.add(vote(0, 5))
    agg.add(vote(0, 6))
    agg.add(vote(1, 6))
    expect(signersOf(agg.add(vote(2, 6)).qc!.signers, N)).toEqual([0, 1, 2])
  })

  it('forms a CC from the commit halves at the quorum, once, in signer order', () => {
    const agg = new VoteAggregator(N, QUORUM)
    expect(agg.add(vote(3, 5, 0xaa, commit(3))).cc).toBeNull()
    expect(agg.add(vote(1, 5, 0xaa, commit(1))).cc).toBeNull()
    const { qc, cc } = agg.add(vote(0, 5, 0xaa, commit(0)))
    expect(qc).not.toBeNull()
    expect(cc).not.toBeNull()
    expect(cc!.height).toBe(6)
    expect(cc!.block).toEqual(hash(0xc0))
    expect(cc!.logSize).toBe(10)
    expect(cc!.logRoot).toEqual(hash(0xd0))
    expect(signersOf(cc!.signers, N)).toEqual([0, 1, 3])
    expect(cc!.sigs).toEqual([sig(0, 0xee), sig(1, 0xee), sig(3, 0xee)])
    expect(agg.add(vote(2, 5, 0xaa, commit(2))).cc).toBeNull()
  })

  it('a vote without a commit half adds to the QC only', () => {
    const agg = new VoteAggregator(N, QUORUM)
    agg.add(vote(0, 5, 0xaa, commit(0)))
    agg.add(vote(1, 5, 0xaa, commit(1)))
    const { qc, cc } = agg.add(vote(2, 5))
    expect(qc).not.toBeNull()
    expect(cc).toBeNull()
    expect(agg.add(vote(3, 5, 0xaa, commit(3))).cc).not.toBeNull()
  })

  it('keeps commit halves that differ in any committed field apart', () => {
    for (const other of [{ height: 9 }, { block: 0xc1 }, { logSize: 11 }, { logRoot: 0xd1 }]) {
      const agg = new VoteAggregator(N, QUORUM)
      agg.add(vote(0, 5, 0xaa, commit(0)))
      agg.add(vote(1, 5, 0xaa, commit(1)))
      expect(agg.add(vote(2, 5, 0xaa, commit(2, other))).cc, JSON.stringify(other)).toBeNull()
      expect(agg.add(vote(3, 5, 0xaa, commit(3))).cc, JSON.stringify(other)).not.toBeNull()
    }
  })

  it('a double voter\'s second commit half does not count either', () => {
    const agg = new VoteAggregator(N, QUORUM)
    agg.add(vote(0, 5, 0xaa, commit(0, { logRoot: 0xd1 })))
    agg.add(vote(0, 5, 0xbb, commit(0)))
    agg.add(vote(1, 5, 0xbb, commit(1)))
    expect(agg.add(vote(2, 5, 0xbb, commit(2))).cc).toBeNull()
    expect(signersOf(agg.add(vote(3, 5, 0xbb, commit(3))).cc!.signers, N)).toEqual([1, 2, 3])
  })

  it('prune forgets the buckets and voters of rounds below its round and keeps the rest', () => {
    const agg = new VoteAggregator(N, QUORUM)
    agg.add(vote(0, 4, 0xaa, commit(0)))
    agg.add(vote(1, 4, 0xaa, commit(1)))
    agg.add(vote(0, 5))
    agg.add(vote(1, 5))
    expect(agg.size).toBe(3) // round 4's vote and commit buckets, round 5's vote bucket
    agg.prune(5)
    expect(agg.size).toBe(1)
    // Round 5 is kept: its third vote completes the QC, and voter 0 still cannot vote twice.
    expect(agg.add(vote(0, 5, 0xbb)).qc).toBeNull()
    expect(agg.add(vote(2, 5)).qc).not.toBeNull()
    // Round 4 is forgotten: its earlier votes no longer count, and its voters may count afresh.
    expect(agg.add(vote(2, 4, 0xaa, commit(2)))).toEqual({ qc: null, cc: null })
    agg.add(vote(0, 4, 0xaa, commit(0)))
    const { qc, cc } = agg.add(vote(1, 4, 0xaa, commit(1)))
    expect(signersOf(qc!.signers, N)).toEqual([0, 1, 2])
    expect(signersOf(cc!.signers, N)).toEqual([0, 1, 2])
  })

  it('prune keeps who voted in its own round: a double vote there still does not count', () => {
    const agg = new VoteAggregator(N, QUORUM)
    agg.add(vote(0, 5, 0xaa))
    agg.prune(5)
    agg.add(vote(0, 5, 0xbb))
    agg.add(vote(1, 5, 0xbb))
    expect(agg.add(vote(2, 5, 0xbb)).qc).toBeNull()
    expect(signersOf(agg.add(vote(3, 5, 0xbb)).qc!.signers, N)).toEqual([1, 2, 3])
  })
})

describe('TimeoutAggregator', () => {
  it('forms a TC exactly at the quorum, once, with each signer\'s high QC round in signer order', () => {
    const agg = new TimeoutAggregator(N, QUORUM)
    expect(agg.add(timeout(3, 8, 6))).toBeNull()
    expect(agg.add(timeout(0, 8, 7))).toBeNull()
    expect(agg.count(8)).toBe(2)
    const tc = agg.add(timeout(1, 8, 5))
    expect(tc).not.toBeNull()
    expect(tc!.round).toBe(8)
    expect(signersOf(tc!.signers, N)).toEqual([0, 1, 3])
    expect(tc!.sigs).toEqual([sig(0, 0x78), sig(1, 0x78), sig(3, 0x78)])
    expect(tc!.highQcRounds).toEqual([7, 5, 6])
    expect(agg.add(timeout(2, 8, 7))).toBeNull()
    expect(agg.count(8)).toBe(4)
  })

  it('counts a validator once per round, and rounds apart', () => {
    const agg = new TimeoutAggregator(N, QUORUM)
    agg.add(timeout(0, 8, 6))
    expect(agg.add(timeout(0, 8, 7))).toBeNull()
    expect(agg.count(8)).toBe(1)
    agg.add(timeout(1, 9, 6))
    expect(agg.count(8)).toBe(1)
    expect(agg.count(9)).toBe(1)
    expect(agg.count(10)).toBe(0)
    expect(agg.add(timeout(2, 8, 6))).toBeNull()
    expect(agg.size).toBe(2)
    // The repeated timeout did not replace the first: voter 0's high QC round stays 6.
    expect(agg.add(timeout(3, 8, 6))!.highQcRounds).toEqual([6, 6, 6])
  })

  it('prune forgets the rounds below its round and keeps the rest', () => {
    const agg = new TimeoutAggregator(N, QUORUM)
    agg.add(timeout(0, 7, 6))
    agg.add(timeout(1, 7, 6))
    agg.add(timeout(0, 8, 6))
    agg.add(timeout(1, 8, 6))
    agg.prune(8)
    expect(agg.size).toBe(1)
    expect(agg.count(7)).toBe(0)
    expect(agg.count(8)).toBe(2)
    expect(agg.add(timeout(2, 7, 6))).toBeNull()
    expect(agg.add(timeout(2, 8, 6))).not.toBeNull()
  })
})
