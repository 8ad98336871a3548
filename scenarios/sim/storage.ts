// Simulated durable storage: what a real driver would write to disk. It survives a
// simulated crash; the replica is rebuilt from it (restoredState) on restart.
import { toHex } from '../../src/crypto/hash.ts'
import { blockHash, genesisBlock, genesisQc, type Block, type BlockHeader } from '../../src/log/block.ts'
import type { CommitCertificate, QuorumCertificate } from '../../src/log/certificates.ts'
import type { Genesis } from '../../src/log/genesis.ts'
import type { MerkleAccumulatorState } from '../../src/log/merkle.ts'
import type { SyncStore } from '../../src/consensus/sync.ts'
import type { BoundaryCertificate, RestoredState, SafetyState } from '../../src/consensus/types.ts'
import { governanceAfterBlocks } from '../../src/governance/ledger.ts'
import { initialSafetyState } from '../../src/consensus/safety-rules.ts'
import { boundaryShapeProblem, replayBlocks } from '../../src/log/epochs.ts'
import { ED25519, type SignatureScheme } from '../../src/crypto/signature-scheme.ts'

export class SimStorage implements SyncStore {
  safety: SafetyState | null = null
  readonly blocks = new Map<string, Block>()
  /** committed[h] = block at height h (committed[0] = genesis block). */
  readonly committed: Block[]
  readonly committedHashes: string[]
  readonly ccs = new Map<number, CommitCertificate>()
  /** Boundary certificates by the height of their reconfiguration block. */
  readonly boundaries = new Map<number, BoundaryCertificate>()
  headQc: QuorumCertificate | null
  log: MerkleAccumulatorState = { size: 0, frontier: [] }
  readonly agentSeqs = new Map<string, number>()
  /** Hash -> height of committed blocks. */
  readonly committedIndex = new Map<string, number>()
  readonly #genesis: Genesis
  /** The scheme the run's replicas sign with: the epoch replay checks approvals with it. */
  readonly #signatures: SignatureScheme

  constructor(genesis: Genesis, signatures: SignatureScheme = ED25519) {
    this.#genesis = genesis
    this.#signatures = signatures
    const g = genesisBlock(genesis)
    this.committed = [g]
    this.committedHashes = [toHex(blockHash(g.header))]
    this.headQc = genesisQc(genesis)
  }

  blockByHash(hash: Uint8Array): Block | undefined {
    const key = toHex(hash)
    const height = this.committedIndex.get(key)
    return height !== undefined ? this.committed[height] : this.blocks.get(key)
  }
  committedBlock(height: number): Block | undefined {
    return this.committed[height]
  }
  committedHeader(height: number): BlockHeader | undefined {
    return this.committed[height]?.header
  }
  commitCertificate(height: number): CommitCertificate | undefined {
    return this.ccs.get(height)
  }
  committedHeight(): number {
    return this.committed.length - 1
  }

  /** Appends the block committed at the next height (the caller checked the height). */
  appendCommitted(block: Block, hash: string): void {
    this.committed.push(block)
    this.committedHashes.push(hash)
    this.committedIndex.set(hash, block.header.height)
    this.blocks.delete(hash)
    for (const e of block.entries) {
      const key = toHex(e.agent)
      this.agentSeqs.set(key, Math.max(this.agentSeqs.get(key) ?? -1, e.seq))
    }
  }

  /** After the blocks of a commit: the new head's log and certificates. */
  commitHead(log: MerkleAccumulatorState, qc: QuorumCertificate | null, cc: CommitCertificate | null): void {
    this.log = log
    this.headQc = qc
    if (cc !== null) this.ccs.set(cc.height, cc)
    // Forget stored blocks at or below the new head that were not committed (forks).
    const head = this.committed.length - 1
    for (const [key, block] of this.blocks) if (block.header.height <= head) this.blocks.delete(key)
  }

  /** Keeps a commit certificate for a committed height; false when it names another block. */
  storeCommitCertificate(cc: CommitCertificate): boolean {
    const block = this.committed[cc.height]
    if (block === undefined || toHex(blockHash(block.header)) !== toHex(cc.block)) return false
    this.ccs.set(cc.height, cc)
    return true
  }

  boundaryCertificate(height: number): BoundaryCertificate | undefined {
    return this.boundaries.get(height)
  }

  /** Keeps the boundary certificate of the committed block at `height`, unless one with
   * fewer links is kept; false when it is not one for that block (by its shape: the
   * replica verified its signatures). */
  storeBoundaryCertificate(height: number, boundary: BoundaryCertificate): boolean {
    const block = this.committed[height]
    if (block === undefined || boundaryShapeProblem(boundary.cc, boundary.links, blockHash(block.header), block.header) !== null) return false
    const kept = this.boundaries.get(height)
    if (kept === undefined || boundary.links.length < kept.links.length) this.boundaries.set(height, boundary)
    return true
  }

  restoredState(): RestoredState | undefined {
    if (this.safety === null && this.committed.length === 1) return undefined
    const head = this.committed[this.committed.length - 1]!
    const headHeight = head.header.height
    const replay = replayBlocks(this.#genesis, this.committed, this.#signatures)
    return {
      // As the node restores (node/runtime/restore.ts): a replica that never wrote a safety
      // state starts from the initial one, whose high QC is the genesis QC. The head's QC
      // is no substitute: a head committed through a commit certificate (sync) has none.
      safety: this.safety ?? initialSafetyState(genesisQc(this.#genesis)),
      committedHead: head,
      committedQc: this.headQc,
      committedLog: this.log,
      agentSeqs: new Map(this.agentSeqs),
      pendingBlocks: [...this.blocks.values()].filter((b) => b.header.height > headHeight),
      // Replayed from the committed blocks, as the node replays its store (node/runtime/restore.ts).
      governance: governanceAfterBlocks(this.#genesis, this.committed),
      // Replayed likewise: the head's epoch and, when it is its epoch's reconfiguration
      // block, the epoch it starts.
      position: replay.position,
      // And the validator directory, which the replay grows at each effective reconfiguration.
      directory: replay.directory.keys,
    }
  }
}
