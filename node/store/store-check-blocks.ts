// The store check's block-by-block layer: blocks [from, to] read in order, each header
// chained to its parent by hash, its entries decoded, hashed into the entries root and
// appended to the Merkle accumulator (compared with the header's log root and the stored
// state), and every entry, leaf and subtree found in its index.
import { bytesEqual } from '../../src/codec/cbor.ts'
import { sha256, toHex } from '../../src/crypto/hash.ts'
import { blockHash, type BlockHeader } from '../../src/log/block.ts'
import { decodeEntry, type Entry } from '../../src/log/entry.ts'
import { leafHash, merkleRoot, MerkleAccumulator, type MerkleAccumulatorState } from '../../src/log/merkle.ts'
import { NODE_LIMITS } from '../limits.ts'
import { indexed, keys, readU64 } from './keys.ts'
import { appendLeaves } from './merkle-index.ts'
import { type CheckContext } from './store-check-context.ts'
import { decodeEntryLocation, decodeStoredHeader } from './store-records.ts'

function sameState(a: MerkleAccumulatorState, b: MerkleAccumulatorState): boolean {
  return a.size === b.size && a.frontier.length === b.frontier.length && a.frontier.every((h, i) => bytesEqual(h, b.frontier[i]!))
}

/** Checks runs of blocks in full, reading their log rows ahead in pages. */
export class BlockChecker {
  readonly #ctx: CheckContext

  constructor(ctx: CheckContext) {
    this.#ctx = ctx
  }

  /** Log rows read ahead, across blocks: one scan per page, not per block. */
  #readAhead: [Uint8Array, Uint8Array][] = []
  #readAheadFrom = 0

  /** The stored rows with log indexes in [from, to), in order (gaps leave them out). */
  async #dataRows(from: number, to: number): Promise<[Uint8Array, Uint8Array][]> {
    if (from >= to) return []
    const last = this.#readAhead.at(-1)
    const covered = last !== undefined && from >= this.#readAheadFrom && readU64(last[0], 1) >= to - 1
    if (!covered) {
      const end = Math.max(to, from + NODE_LIMITS.storeCheckPageMax)
      this.#readAhead = await this.#ctx.kv.scan({ gte: keys.data(from), lt: keys.data(end), limit: end - from })
      this.#readAheadFrom = from
    }
    const rows = this.#readAhead
    let lo = 0
    let hi = rows.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (readU64(rows[mid]![0], 1) < from) lo = mid + 1
      else hi = mid
    }
    let end = lo
    while (end < rows.length && readU64(rows[end]![0], 1) < to) end++
    return rows.slice(lo, end)
  }

  /** Blocks [from, to] in full: chained headers, entries, accumulator, indexes. */
  async checkBlocks(from: number, to: number): Promise<void> {
    if (from > to) return
    let prev = await this.#ctx.header(from - 1)
    if (prev === undefined) {
      this.#ctx.add('header-missing', `the header at height ${from - 1} is missing`)
      return
    }
    let state = await this.#ctx.accumulator(from - 1)
    if (state === undefined) return
    let height = from
    while (height <= to) {
      const end = Math.min(to + 1, height + NODE_LIMITS.storeCheckPageMax)
      const rows = await this.#ctx.kv.scan({ gte: keys.header(height), lt: keys.header(end), limit: end - height })
      let r = 0
      for (; height < end; height++) {
        const row = rows[r]
        if (row === undefined || readU64(row[0], 1) !== height) {
          this.#ctx.add('header-missing', `the header at height ${height} is missing (the head is ${to})`)
          return
        }
        r++
        let header: BlockHeader
        try {
          header = decodeStoredHeader(row[1])
        } catch (err) {
          this.#ctx.add('header-corrupt', `the header at height ${height} does not decode: ${(err as Error).message}`)
          return
        }
        const next = await this.#checkBlock(header, height, prev, state)
        if (next === undefined) return
        prev = header
        state = next
      }
    }
  }

  async #checkBlock(header: BlockHeader, height: number, prev: BlockHeader, state: MerkleAccumulatorState): Promise<MerkleAccumulatorState | undefined> {
    const hash = blockHash(header)
    if (header.height !== height) this.#ctx.add('header-corrupt', `the header stored at height ${height} says height ${header.height}`)
    if (!bytesEqual(header.parent, blockHash(prev))) this.#ctx.add('chain-broken', `block ${height}'s parent is not the hash of block ${height - 1}`)
    const indexed = await this.#ctx.kv.get(keys.blockHash(hash))
    if (indexed === undefined || readU64(indexed, 0) !== height) this.#ctx.add('index-mismatch', `block ${height}'s hash ${toHex(hash)} is not indexed at its height`)
    const first = prev.logSize
    if (header.logSize !== first + header.entryCount) {
      this.#ctx.add('header-corrupt', `block ${height} holds ${header.entryCount} entries after a log of ${first} but declares log size ${header.logSize}`)
      return undefined
    }
    const rows = await this.#dataRows(first, header.logSize)
    if (rows.length !== header.entryCount) {
      this.#ctx.add('entry-missing', `block ${height} has ${rows.length} of its ${header.entryCount} entries (log indexes ${first} to ${header.logSize - 1})`)
      return undefined
    }
    const leaves: Uint8Array[] = []
    const ids: Uint8Array[] = []
    const entries: Entry[] = []
    for (let p = 0; p < rows.length; p++) {
      const [k, v] = rows[p]!
      const index = first + p
      if (readU64(k, 1) !== index) {
        this.#ctx.add('entry-missing', `log index ${index} of block ${height} is missing`)
        return undefined
      }
      if (v.length < 8 || readU64(v, 0) !== height) this.#ctx.add('entry-corrupt', `log entry ${index} is not marked as in block ${height}`)
      const bytes = v.subarray(8)
      try {
        entries.push(decodeEntry(bytes))
      } catch (err) {
        this.#ctx.add('entry-corrupt', `log entry ${index} does not decode: ${(err as Error).message}`)
        return undefined
      }
      ids.push(sha256(bytes))
      leaves.push(leafHash(bytes))
    }
    this.#ctx.summary.entriesChecked += rows.length
    if (!bytesEqual(merkleRoot(leaves), header.entriesRoot)) this.#ctx.add('entries-mismatch', `block ${height}'s entries do not hash to its header's entries root`)
    const appended = appendLeaves(state, leaves)
    const root = MerkleAccumulator.fromState(appended.state).root()
    if (!bytesEqual(root, header.logRoot)) {
      this.#ctx.add('log-root-mismatch', `appending block ${height}'s entries gives log root ${toHex(root)}, not its header's ${toHex(header.logRoot)}`)
      return undefined
    }
    const stored = await this.#ctx.accumulator(height)
    if (stored !== undefined && !sameState(stored, appended.state)) this.#ctx.add('accumulator-mismatch', `the accumulator state stored at height ${height} is not the log after block ${height}`)
    await this.#checkEntryIndexes(height, first, entries, ids, appended.nodes)
    this.#ctx.summary.blocksChecked++
    return appended.state
  }

  async #checkEntryIndexes(height: number, first: number, entries: readonly Entry[], ids: readonly Uint8Array[], nodes: readonly { level: number, k: number, hash: Uint8Array }[]): Promise<void> {
    // Leaf hashes are contiguous keys: one range read. The other nodes and indexes are point reads.
    const n = entries.length
    const inner = nodes.filter((node) => node.level > 0)
    const leafRows = n === 0 ? [] : await this.#ctx.kv.scan({ gte: keys.tree(0, first), lt: keys.tree(0, first + n), limit: n })
    const storedLeaves = new Map(leafRows.map(([k, v]) => [readU64(k, 2), v]))
    const lookups = [
      ...ids.map((id) => keys.entry(id)),
      ...entries.map((e, p) => indexed(keys.namespacePrefix(e.namespace), first + p)),
      ...entries.map((e, p) => indexed(keys.agentPrefix(e.agent), first + p)),
      ...inner.map((node) => keys.tree(node.level, node.k)),
    ]
    const found = await this.#ctx.kv.getMany(lookups)
    for (let p = 0; p < n; p++) {
      const index = first + p
      const location = found[p]
      if (location === undefined) this.#ctx.add('index-missing', `entry ${index}'s id ${toHex(ids[p]!)} is not indexed`)
      else {
        try {
          const at = decodeEntryLocation(location)
          if (at.index !== index || at.height !== height || at.position !== p) this.#ctx.add('index-mismatch', `entry ${index}'s id index says index ${at.index}, height ${at.height}, position ${at.position}`)
        } catch (err) {
          this.#ctx.add('index-corrupt', `entry ${index}'s id index does not decode: ${(err as Error).message}`)
        }
      }
      if (found[n + p] === undefined) this.#ctx.add('index-missing', `entry ${index} is missing from the index of namespace ${JSON.stringify(entries[p]!.namespace)}`)
      if (found[2 * n + p] === undefined) this.#ctx.add('index-missing', `entry ${index} is missing from its agent's index`)
      if (this.#ctx.full) {
        const agent = toHex(entries[p]!.agent)
        this.#ctx.seqs.set(agent, Math.max(this.#ctx.seqs.get(agent) ?? 0, entries[p]!.seq))
      }
    }
    for (const node of nodes) {
      if (node.level !== 0) continue
      const hash = storedLeaves.get(node.k)
      if (hash === undefined) this.#ctx.add('subtree-missing', `the leaf hash of log index ${node.k} is not stored`)
      else if (!bytesEqual(hash, node.hash)) this.#ctx.add('subtree-mismatch', `the leaf hash of log index ${node.k} is not its entry's`)
    }
    inner.forEach((node, i) => {
      const hash = found[3 * n + i]
      if (hash === undefined) this.#ctx.add('subtree-missing', `subtree (${node.level}, ${node.k}) is not stored`)
      else if (!bytesEqual(hash, node.hash)) this.#ctx.add('subtree-mismatch', `subtree (${node.level}, ${node.k}) does not hash its leaves`)
    })
  }
}
