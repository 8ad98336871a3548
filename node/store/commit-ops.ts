// The write batch of one commit, built from blocks the consensus core validated: each
// block's entries, indexes, subtree hashes, header and accumulator state, then agent
// seqs, certificates and the pruning of pending blocks. Pure: the ChainStore reads what
// these need and writes what they return (chain-store.ts, #commit). What they check
// are assertions on the node's own state; a failure is a bug or a corrupt store, never
// a bad peer.
import { bytesEqual, encodeCanonical } from '../../src/codec/cbor.ts'
import { toHex } from '../../src/crypto/hash.ts'
import { blockHash, type Block, type BlockHeader } from '../../src/log/block.ts'
import { ccToCbor, qcToCbor } from '../../src/log/certificates.ts'
import { encodeEntry, entryId, entryLeaf, type Hash } from '../../src/log/entry.ts'
import { MerkleAccumulator, type MerkleAccumulatorState } from '../../src/log/merkle.ts'
import { StoreError } from './errors.ts'
import { indexed, keys, readU64, u64, writeU64 } from './keys.ts'
import type { KvOp } from './kv.ts'
import { appendLeaves } from './merkle-index.ts'
import { decodeStoredHeader, encodeStoredAccumulator, encodeStoredHeader } from './store-records.ts'
import type { CommitBatch, Head } from './store.ts'

/** The highest seq of each agent a commit carries, in the order the agents appear. */
export class CommitSeqs {
  readonly #seqs = new Map<string, { agent: Uint8Array, seq: number }>()
  readonly agents: Uint8Array[] = []

  note(agent: Uint8Array, seq: number): void {
    const agentHex = toHex(agent)
    const known = this.#seqs.get(agentHex)
    if (known === undefined) {
      this.#seqs.set(agentHex, { agent, seq })
      this.agents.push(agent)
    } else if (seq > known.seq) {
      known.seq = seq
    }
  }

  /** Agent seqs only grow: a put for each agent whose stored seq (same order as
   * `agents`) is lower or absent. */
  ops(stored: readonly (Uint8Array | undefined)[], ops: KvOp[]): void {
    this.agents.forEach((agent, i) => {
      const bytes = stored[i]
      const seq = this.#seqs.get(toHex(agent))!.seq
      if (bytes === undefined || readU64(bytes, 0) < seq) ops.push({ type: 'put', key: keys.seq(agent), value: u64(seq) })
    })
  }
}

/** A block at or below the head (a repeated commit after a restart) must be the one
 * committed there; `stored` is the stored header at its height. */
export function checkRecommitted(stored: Uint8Array | undefined, height: number, hash: Hash): void {
  if (stored === undefined || !bytesEqual(blockHash(decodeStoredHeader(stored)), hash)) {
    throw new StoreError('bad-commit', `height ${height} is committed with another block than ${toHex(hash)}`)
  }
}

/** A block above the head must be the next one: its height, parent and entry count. */
export function checkContinues(block: Block, head: Head): void {
  const header = block.header
  if (header.height !== head.height + 1) throw new StoreError('bad-commit', `height ${header.height} does not follow the head height ${head.height}`)
  if (!bytesEqual(header.parent, head.hash)) throw new StoreError('bad-commit', `block ${header.height}'s parent is not the head ${toHex(head.hash)}`)
  if (header.entryCount !== block.entries.length) throw new StoreError('bad-commit', `block ${header.height} declares ${header.entryCount} entries and has ${block.entries.length}`)
}

/** Appends a block to the log: pushes its writes to `ops`, notes its agents' seqs, and
 * returns the accumulator state after it (which must reach the header's log root). */
export function appendBlockOps(block: Block, hash: Hash, state: MerkleAccumulatorState, ops: KvOp[], seqs: CommitSeqs): MerkleAccumulatorState {
  const header = block.header
  const leaves = entryOps(block, state.size, ops, seqs)
  const appendedLeaves = appendLeaves(state, leaves)
  const after = appendedLeaves.state
  for (const node of appendedLeaves.nodes) ops.push({ type: 'put', key: keys.tree(node.level, node.k), value: node.hash })
  const root = MerkleAccumulator.fromState(after).root()
  if (after.size !== header.logSize || !bytesEqual(root, header.logRoot)) {
    throw new StoreError('bad-commit', `block ${header.height} declares log size ${header.logSize} root ${toHex(header.logRoot)}; appending its entries gives ${after.size} ${toHex(root)}`)
  }
  ops.push({ type: 'put', key: keys.header(header.height), value: encodeStoredHeader(header) })
  ops.push({ type: 'put', key: keys.blockHash(hash), value: u64(header.height) })
  ops.push({ type: 'put', key: keys.accumulator(header.height), value: encodeStoredAccumulator(after) })
  return after
}

/** Each entry's data, location and index rows, from log index `first`; returns the
 * entries' leaf hashes. */
function entryOps(block: Block, first: number, ops: KvOp[], seqs: CommitSeqs): Uint8Array[] {
  const header: BlockHeader = block.header
  const leaves: Uint8Array[] = []
  for (let p = 0; p < block.entries.length; p++) {
    const entry = block.entries[p]!
    const bytes = encodeEntry(entry)
    // Id and leaf are kept per entry object, like its encoding: the replica has usually hashed them already.
    const id = entryId(entry)
    const index = first + p
    leaves.push(entryLeaf(entry))
    const data = new Uint8Array(8 + bytes.length)
    writeU64(data, 0, header.height)
    data.set(bytes, 8)
    ops.push({ type: 'put', key: keys.data(index), value: data })
    const location = new Uint8Array(20)
    writeU64(location, 0, index)
    writeU64(location, 8, header.height)
    new DataView(location.buffer).setUint32(16, p, false)
    ops.push({ type: 'put', key: keys.entry(id), value: location })
    ops.push({ type: 'put', key: indexed(keys.namespacePrefix(entry.namespace), index), value: new Uint8Array(0) })
    ops.push({ type: 'put', key: indexed(keys.agentPrefix(entry.agent), index), value: new Uint8Array(0) })
    seqs.note(entry.agent, entry.seq)
  }
  return leaves
}

/** The core's log state after the commit must be the store's. */
export function checkLogState(log: MerkleAccumulatorState, state: MerkleAccumulatorState, head: Head): void {
  if (log.size !== state.size || !bytesEqual(MerkleAccumulator.fromState(log).root(), head.logRoot)) {
    throw new StoreError('bad-commit', `the commit's log state (size ${log.size}) is not the store's (size ${state.size})`)
  }
}

/** The QC of the last block and the commit certificate, when the batch carries them. */
export function certificateOps(batch: CommitBatch, head: Head, ops: KvOp[]): void {
  const last = batch.blocks.at(-1)
  if (batch.qc !== null && last !== undefined && batch.qc.height === last.header.height) {
    ops.push({ type: 'put', key: keys.qc(batch.qc.height), value: encodeCanonical(qcToCbor(batch.qc)) })
  }
  if (batch.cc !== null) {
    if (batch.cc.height > head.height) throw new StoreError('bad-commit', `commit certificate for height ${batch.cc.height} is above the new head ${head.height}`)
    ops.push({ type: 'put', key: keys.cc(batch.cc.height), value: encodeCanonical(ccToCbor(batch.cc)) })
  }
}

/** Deletes of pending blocks (their rows, by key, and hash index) the commit made stale. */
export function pruneOps(stale: readonly Uint8Array[], ops: KvOp[]): void {
  for (const k of stale) {
    ops.push({ type: 'del', key: k })
    ops.push({ type: 'del', key: keys.pendingHash(k.subarray(9)) })
  }
}
