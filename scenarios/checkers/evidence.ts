// Evidence for a safety violation, as data for reports: for a fork, the two conflicting
// blocks (height, hash, round, proposer, parent, entries, commit time) and where the
// chains last agreed.
import { toHex } from '../../src/crypto/hash.ts'
import type { NodeChain, RunRecord } from './types.ts'

export interface BlockSummary {
  readonly node: string
  readonly height: number
  readonly hash: string
  readonly round: number
  readonly proposer: number
  readonly parent: string
  readonly justifyRound: number
  readonly entries: number
  readonly committedAtMs: number | null
}

export interface ForkEvidence {
  readonly height: number
  /** The highest height at which the two chains hold the same block. */
  readonly commonHeight: number
  readonly a: BlockSummary
  readonly b: BlockSummary
  /** Heights at which these two chains differ (both committed something there). */
  readonly conflictingHeights: number
}

function summary(node: NodeChain, h: number): BlockSummary {
  const header = node.committed[h]!.header
  return {
    node: node.name,
    height: h,
    hash: node.hashes[h]!,
    round: header.round,
    proposer: header.proposer,
    parent: toHex(header.parent),
    justifyRound: header.justify.round,
    entries: node.committed[h]!.entries.length,
    committedAtMs: node.commitTimes?.[h] ?? null,
  }
}

/** The lowest-height fork between two honest chains, or null if there is none. */
export function forkEvidence(run: RunRecord): ForkEvidence | null {
  let best: ForkEvidence | null = null
  const chains = run.honest
  for (let i = 0; i < chains.length; i++) {
    for (let j = i + 1; j < chains.length; j++) {
      const a = chains[i]!
      const b = chains[j]!
      const top = Math.min(a.hashes.length, b.hashes.length)
      let first = -1
      let differing = 0
      for (let h = 1; h < top; h++) {
        if (a.hashes[h] === b.hashes[h]) continue
        if (first < 0) first = h
        differing++
      }
      if (first < 0 || (best !== null && first >= best.height)) continue
      best = { height: first, commonHeight: first - 1, a: summary(a, first), b: summary(b, first), conflictingHeights: differing }
    }
  }
  return best
}
