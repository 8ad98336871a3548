// Validation of a block against its parent: everything that makes a block acceptable
// in the chain, whoever sent it (a proposal, a sync response, a restart). The result
// is the BlockNode the tree stores, with the log state after the block.
import { bytesEqual } from '../codec/cbor.ts'
import { toHex } from '../crypto/hash.ts'
import { blockHash, type Block } from '../log/block.ts'
import type { Genesis } from '../log/genesis.ts'
import { merkleRoot } from '../log/merkle.ts'
import type { BlockNode, BlockTree } from './block-tree.ts'
import type { LeaderElection } from './leader-election.ts'
import { isRejection, type Rejection } from './rejections.ts'
import type { Verifier } from './verifier.ts'

export interface ValidationContext {
  readonly genesis: Genesis
  readonly tree: BlockTree
  readonly verifier: Verifier
  readonly leaders: LeaderElection
}

/**
 * Checks `block` as a child of `parent` (a node of the tree). Returns the new node, or
 * the reason the block is invalid. Checks: height and parent link, round above the
 * parent's, proposer is the round's leader, the justify QC certifies the parent and is
 * valid, entry count and bytes within the chain's limits, every entry (signature,
 * payload bound, write policy), per-agent seq strictly above the chain's (so no entry
 * is ever committed twice), and entriesRoot / entryCount / logSize / logRoot recomputed.
 */
export function validateBlock(ctx: ValidationContext, parent: BlockNode, block: Block): BlockNode | Rejection {
  const h = block.header
  const params = ctx.genesis.params
  if (h.height !== parent.header.height + 1) return { code: 'block-height', height: h.height, parentHeight: parent.header.height }
  if (!bytesEqual(h.parent, parent.hash)) return { code: 'block-parent-mismatch' }
  if (h.round <= parent.header.round) return { code: 'block-round-not-above-parent', round: h.round, parentRound: parent.header.round }
  if (h.proposer !== ctx.leaders.leaderOf(h.round)) return { code: 'proposer-not-leader', proposer: h.proposer, round: h.round }
  const qc = h.justify
  if (!bytesEqual(qc.block, parent.hash) || qc.height !== parent.header.height || qc.round !== parent.header.round) {
    return { code: 'block-justify-not-parent' }
  }
  const qcProblem = ctx.verifier.qc(qc)
  if (qcProblem !== null) return { code: 'certificate-rejected', certificate: 'justify QC', problem: qcProblem }
  if (block.entries.length !== h.entryCount) return { code: 'block-entry-count-mismatch', header: h.entryCount, actual: block.entries.length }
  if (h.entryCount > params.blockEntriesMax) return { code: 'block-too-many-entries', count: h.entryCount, limit: params.blockEntriesMax }
  const log = parent.log.clone()
  const leaves: Uint8Array[] = []
  const agentSeqs = new Map<string, number>()
  const entryIds = new Set<string>()
  let bytes = 0
  for (let i = 0; i < block.entries.length; i++) {
    const checked = ctx.verifier.entry(block.entries[i]!)
    if (isRejection(checked)) return { code: 'block-entry-invalid', index: i, problem: checked }
    bytes += checked.bytes
    if (bytes > params.blockBytesMax) return { code: 'block-too-many-bytes', limit: params.blockBytesMax }
    const last = agentSeqs.get(checked.agentHex) ?? ctx.tree.lastSeqInChain(parent, checked.agentHex)
    if (checked.entry.seq <= last) return { code: 'block-entry-seq', index: i, seq: checked.entry.seq, agentHex: checked.agentHex, last }
    agentSeqs.set(checked.agentHex, checked.entry.seq)
    entryIds.add(checked.idHex)
    leaves.push(checked.leaf)
    log.append(checked.leaf)
  }
  if (!bytesEqual(merkleRoot(leaves), h.entriesRoot)) return { code: 'block-entries-root-mismatch' }
  if (log.size !== h.logSize) return { code: 'block-log-size-mismatch', header: h.logSize, actual: log.size }
  if (!bytesEqual(log.root(), h.logRoot)) return { code: 'block-log-root-mismatch' }
  const hash = blockHash(h)
  return { block, header: h, hash, hashHex: toHex(hash), parentHex: parent.hashHex, log, agentSeqs, entryIds, qc: null, children: [] }
}
