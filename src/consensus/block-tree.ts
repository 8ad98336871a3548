// The block tree: the committed head and every validated, uncommitted block that
// descends from it, which of them are certified, the highest QC, and the two-chain
// commit rule. Blocks enter only after validation (block-validation.ts), and only when
// their parent is already here, so every node's chain leads back to the head.
//
// Commit rule (two-chain): when block B' gets a QC and its parent B has round
// B'.round - 1, B is committed, with all its uncommitted ancestors. Committing prunes
// everything that does not descend from the new head.
import { bytesEqual } from '../codec/cbor.ts'
import { toHex } from '../crypto/hash.ts'
import { assert } from '../assert.ts'
import type { Block, BlockHeader } from '../log/block.ts'
import type { QuorumCertificate } from '../log/certificates.ts'
import type { Hash } from '../log/entry.ts'
import type { EpochPosition } from '../log/epochs.ts'
import type { MerkleAccumulator } from '../log/merkle.ts'
import type { GovernanceState } from '../governance/state.ts'

export interface BlockNode {
  readonly block: Block
  readonly header: BlockHeader
  readonly hash: Hash
  readonly hashHex: string
  readonly parentHex: string
  /** The log after this block's entries. */
  readonly log: MerkleAccumulator
  /** The governance state after this block (docs/formats.md section 13), per branch;
   * null when the chain has no governance. */
  readonly governance: GovernanceState | null
  /** Highest seq per agent among this block's entries. */
  readonly agentSeqs: ReadonlyMap<string, number>
  readonly entryIds: ReadonlySet<string>
  /** Where the chain is after this block: its epoch, and that epoch's reconfiguration
   * block once the chain has one (docs/formats.md section 15.3). */
  readonly position: EpochPosition
  /** A suffix block: after its epoch's reconfiguration block, empty, never committed. */
  readonly suffix: boolean
  /** The QC certifying this block, once known. */
  qc: QuorumCertificate | null
  readonly children: string[]
}

export interface CommitResult {
  /** Newly committed blocks, ascending. */
  readonly nodes: readonly BlockNode[]
  /** Blocks pruned because they do not extend the new head (their entries return to the pool). */
  readonly pruned: readonly BlockNode[]
}

export class BlockTree {
  readonly #nodes = new Map<string, BlockNode>()
  #head: BlockNode
  #highQc: QuorumCertificate | null
  /** The block whose QC is the current epoch's round 0 (its root: the reconfiguration
   * block before it), once the replica has switched epochs; null in epoch 0. */
  #rootHex: string | null = null
  /** Hex agent -> highest committed seq. */
  readonly #committedSeqs: Map<string, number>

  /** `headQc` certifies the head when known (always for genesis; after a restart the
   * pending blocks' justify QCs usually provide it). */
  constructor(head: BlockNode, headQc: QuorumCertificate | null, committedSeqs: ReadonlyMap<string, number>) {
    if (headQc !== null) {
      assert(headQc.height === head.header.height, 'the head QC is for the head block\'s height')
      assert(bytesEqual(headQc.block, head.hash), 'the head QC is for the head block')
    }
    head.qc = headQc
    this.#head = head
    this.#highQc = headQc
    this.#nodes.set(head.hashHex, head)
    this.#committedSeqs = new Map(committedSeqs)
  }

  get head(): BlockNode {
    return this.#head
  }

  /** The highest QC whose block is in the tree; null only after a restart that lost
   * every QC for the head (the next QC from a peer sets it). */
  get highQc(): QuorumCertificate | null {
    return this.#highQc
  }

  /** The round `qc` counts as in the current epoch: 0 for the epoch's root QC (its round
   * is the epoch before's, docs/protocol.md "Rounds restart in each epoch"), else its own. */
  roundOf(qc: QuorumCertificate): number {
    return this.#rootHex !== null && toHex(qc.block) === this.#rootHex ? 0 : qc.round
  }

  /** The switch to the next epoch, at the committed head (the reconfiguration block, whose
   * QC `rootQc` is the new epoch's round 0): the suffix blocks leave the tree (nothing of
   * the old epoch is committed above the head, and the kept boundary certificate holds
   * their headers), and the high QC is the root's. */
  enterEpoch(rootQc: QuorumCertificate): void {
    assert(bytesEqual(rootQc.block, this.#head.hash) && rootQc.height === this.#head.header.height, 'the new epoch\'s root QC certifies the committed head')
    for (const key of [...this.#nodes.keys()]) if (key !== this.#head.hashHex) this.#nodes.delete(key)
    this.#head.children.length = 0
    if (this.#head.qc === null) this.#head.qc = rootQc
    this.#highQc = rootQc
    this.#rootHex = this.#head.hashHex
  }

  /** The block the highest QC certifies (always in the tree). */
  get highQcNode(): BlockNode {
    // Falls back to the head only if more than f validators are faulty (see commitTo).
    return (this.#highQc === null ? undefined : this.#nodes.get(toHex(this.#highQc.block))) ?? this.#head
  }

  /** Uncommitted blocks held. */
  get pendingCount(): number {
    return this.#nodes.size - 1
  }

  get(hashHex: string): BlockNode | undefined {
    return this.#nodes.get(hashHex)
  }

  committedSeq(agentHex: string): number {
    return this.#committedSeqs.get(agentHex) ?? -1
  }

  /** Highest seq of `agentHex` in the chain ending at `node` (uncommitted part and
   * committed log): an entry extending that chain needs a higher one. */
  lastSeqInChain(node: BlockNode, agentHex: string): number {
    const headHeight = this.#head.header.height
    for (let at: BlockNode | undefined = node; at !== undefined && at.header.height > headHeight; at = this.#nodes.get(at.parentHex)) {
      const seq = at.agentSeqs.get(agentHex)
      if (seq !== undefined) return seq
    }
    return this.committedSeq(agentHex)
  }

  /** Whether entry `idHex` is in the uncommitted part of the chain ending at `node`. */
  inChain(node: BlockNode, idHex: string): boolean {
    const headHeight = this.#head.header.height
    for (let at: BlockNode | undefined = node; at !== undefined && at.header.height > headHeight; at = this.#nodes.get(at.parentHex)) {
      if (at.entryIds.has(idHex)) return true
    }
    return false
  }

  /** Whether `node` descends from (or is) `ancestor`. */
  extends(node: BlockNode, ancestorHex: string): boolean {
    for (let at: BlockNode | undefined = node; at !== undefined; at = this.#nodes.get(at.parentHex)) {
      if (at.hashHex === ancestorHex) return true
      if (at === this.#head) return false
    }
    return false
  }

  insert(node: BlockNode): void {
    const parent = this.#nodes.get(node.parentHex)
    assert(parent !== undefined, `block ${node.hashHex.slice(0, 12)}: parent in the tree`)
    assert(node.header.height === parent.header.height + 1, 'height is the parent\'s height + 1')
    // Rounds restart in each epoch: they rise only along a chain within one.
    assert((node.header.epoch ?? 0) !== (parent.header.epoch ?? 0) || node.header.round > parent.header.round, 'round is above the parent\'s round within an epoch')
    assert(node.header.height > this.#head.header.height, 'an inserted block is above the committed head')
    if (this.#nodes.has(node.hashHex)) return
    this.#nodes.set(node.hashHex, node)
    parent.children.push(node.hashHex)
  }

  /**
   * Records a verified QC for a block in the tree; raises the high QC; applies the
   * two-chain rule. Returns the commit (possibly empty).
   */
  certify(qc: QuorumCertificate): CommitResult {
    const node = this.#nodes.get(toHex(qc.block))
    assert(node !== undefined, 'certify: the block is in the tree')
    assert(node.header.round === qc.round, 'certify: the QC round is the block\'s')
    assert(node.header.height === qc.height, 'certify: the QC height is the block\'s')
    if (node.qc === null) node.qc = qc
    if (this.#highQc === null || this.roundOf(qc) > this.roundOf(this.#highQc)) this.#highQc = qc
    const parent = this.#nodes.get(node.parentHex)
    if (parent === undefined || parent.header.height <= this.#head.header.height) return { nodes: [], pruned: [] }
    if (node.header.round !== parent.header.round + 1) return { nodes: [], pruned: [] }
    return this.commitTo(parent)
  }

  /** The block a commit of `node` appends up to: `node`, or for a suffix block its
   * epoch's reconfiguration block (capped commit, docs/protocol.md "Epochs and
   * reconfiguration": nothing above it enters the committed chain). */
  commitTarget(node: BlockNode): BlockNode {
    if (!node.suffix) return node
    const ending = node.position.ending
    assert(ending !== null, 'a suffix block follows its epoch\'s reconfiguration block')
    let at: BlockNode | undefined = node
    while (at !== undefined && at.header.height > ending.height) at = this.#nodes.get(at.parentHex)
    // The head itself when the reconfiguration block is already committed (and pruned
    // below it): then there is nothing left to commit.
    assert(at !== undefined && at.header.height === ending.height, 'a suffix block descends from its reconfiguration block, in the tree')
    return at
  }

  /** For a block after which its epoch has ended, when it is the reconfiguration block
   * or one of its suffix blocks: that reconfiguration block and the suffix headers from
   * its child up to `node` (none for the reconfiguration block itself), which make a CC
   * for `node` the epoch's boundary certificate (docs/formats.md section 15.3). Null for
   * any other block, and when the reconfiguration block has left the tree. */
  boundaryOf(node: BlockNode): { readonly reconfiguration: BlockNode, readonly links: readonly BlockHeader[] } | null {
    const ending = node.position.ending
    if (ending === null || (!node.suffix && node.header.height !== ending.height)) return null
    const links: BlockHeader[] = []
    let at: BlockNode | undefined = node
    while (at !== undefined && at.header.height > ending.height) {
      links.push(at.header)
      at = this.#nodes.get(at.parentHex)
    }
    if (at === undefined) return null
    assert(at.header.height === ending.height && at.position.ending?.height === ending.height, 'a suffix block descends from its reconfiguration block')
    return { reconfiguration: at, links: links.reverse() }
  }

  /** Commits `target` (in the tree, above the head) and its uncommitted ancestors; for a
   * suffix block, only up to its reconfiguration block (commitTarget). */
  commitTo(requested: BlockNode): CommitResult {
    const target = this.commitTarget(requested)
    if (target === this.#head) return { nodes: [], pruned: [] }
    const chain: BlockNode[] = []
    for (let at: BlockNode | undefined = target; at !== this.#head; at = this.#nodes.get(at.parentHex)) {
      assert(at !== undefined, 'the commit target extends the committed head')
      chain.push(at)
    }
    chain.reverse()
    let height = this.#head.header.height
    for (const node of chain) {
      // Contiguous and ascending from the head: no height skipped, none committed twice.
      assert(node.header.height === height + 1, 'committed blocks follow the head at consecutive heights')
      height = node.header.height
      for (const [agent, seq] of node.agentSeqs) {
        const before = this.#committedSeqs.get(agent)
        assert(before === undefined || seq > before, 'an agent\'s committed seq only rises (no entry committed twice)')
        this.#committedSeqs.set(agent, seq)
      }
    }
    // Keep only the new head's descendants.
    const keep = new Set<string>()
    const stack = [target.hashHex]
    while (stack.length > 0) {
      const key = stack.pop()!
      keep.add(key)
      for (const child of this.#nodes.get(key)!.children) stack.push(child)
    }
    const pruned: BlockNode[] = []
    const oldHead = this.#head
    for (const [key, node] of this.#nodes) {
      if (keep.has(key)) continue
      this.#nodes.delete(key)
      if (node !== oldHead && !chain.includes(node)) pruned.push(node)
    }
    this.#head = target
    assert(this.#nodes.get(target.hashHex) === target, 'the new head stays in the tree')
    assert(chain.length === 0 || !this.#nodes.has(oldHead.hashHex), 'the old head leaves the tree')
    if (this.#highQc !== null && !this.#nodes.has(toHex(this.#highQc.block))) {
      // Only possible when more than f validators are faulty (a QC on a fork below the
      // commit), or on a commit by certificate. Keep the high QC's block in the tree.
      let best: QuorumCertificate | null = target.qc
      for (const node of this.#nodes.values()) if (node.qc !== null && (best === null || this.roundOf(node.qc) > this.roundOf(best))) best = node.qc
      this.#highQc = best
    }
    return { nodes: chain, pruned }
  }

  /** Blocks in ascending height order (for tests and debugging). */
  pending(): BlockNode[] {
    return [...this.#nodes.values()].filter((n) => n !== this.#head).sort((a, b) => a.header.height - b.header.height)
  }
}
