// The store check: does the chain store on disk hold what its head says? Run quick at
// every node start (node/runtime/run-node.ts) and full by `synod store check`.
//
// Two layers. LevelDB's files first, before LevelDB opens them (leveldb-files.ts): an open
// over damaged files can destroy evidence (no CURRENT: LevelDB starts afresh and deletes
// the old tables) or abort the process (a flipped key trips a compaction assertion). Then
// the chain store's records, through the key-value layer (the checks below): headers
// chained by hash, each block's entries hashed into the Merkle accumulator and compared
// with the header's log root and the stored accumulator state and subtree nodes, and
// every index (entry id, namespace, agent) pointing at a stored entry that matches.
//
// Cost. Quick (at start): the file layer reads every live table's footer and index block
// (O(tables)) and checksums the data blocks of tables not verified before (tables never
// change once written; the verified ones are remembered by number, size and mtime in
// <dataDir>/store-verified.json), so a start after a clean stop costs little more than
// the tables written since. The record layer re-verifies the last storeCheckRecentBlocks
// blocks fully and samples storeCheckSamples entries and heights over the whole log:
// milliseconds, whatever the store's size. Full: every table block's checksum, and every
// block, entry and index key: O(store bytes + entries); docs/operations.md gives the time
// per million entries.
import { stat, readFile, writeFile, rename } from 'node:fs/promises'
import { join } from 'node:path'
import { bytesEqual, decodeCanonical } from '../../src/codec/cbor.ts'
import { sha256, toHex } from '../../src/crypto/hash.ts'
import { blockHash, type BlockHeader } from '../../src/log/block.ts'
import { ccFromCbor, qcFromCbor } from '../../src/log/certificates.ts'
import { decodeEntry, type Entry } from '../../src/log/entry.ts'
import { leafHash, merkleRoot, MerkleAccumulator, type MerkleAccumulatorState } from '../../src/log/merkle.ts'
import { NODE_LIMITS } from '../limits.ts'
import { StoreDamagedError, type StoreFinding } from './errors.ts'
import { indexed, keys, prefixEnd, readU64, TAG } from './keys.ts'
import { LevelKv, type KvBackend } from './kv.ts'
import { checkTable, readLevelFiles } from './leveldb-files.ts'
import { appendLeaves } from './merkle-index.ts'
import { decodeEntryLocation, decodeStoredAccumulator, decodeStoredHeader } from './store-records.ts'

export type StoreCheckMode = 'quick' | 'full'

export interface StoreCheckReport {
  readonly ok: boolean
  readonly mode: StoreCheckMode
  readonly directory: string
  /** No database there yet: nothing to check (a new node). */
  readonly fresh: boolean
  /** The stored head, when the headers could be read. */
  readonly height: number | null
  readonly logSize: number | null
  readonly tables: number
  /** Tables whose every data block checksum was verified in this run. */
  readonly tablesChecksummed: number
  readonly blocksChecked: number
  readonly entriesChecked: number
  readonly durationMs: number
  readonly findings: readonly StoreFinding[]
}

/** Where a node's data directory keeps its LevelDB store and the check's memory of verified tables. */
export function storeLayout(dataDir: string): { store: string, verifiedTables: string } {
  return { store: join(dataDir, 'store'), verifiedTables: join(dataDir, 'store-verified.json') }
}

class FindingsFull extends Error {}

/** Collects findings; past storeCheckFindingsMax it ends the check. */
class Findings {
  readonly list: StoreFinding[] = []
  add(code: string, detail: string): void {
    this.list.push({ code, detail })
    if (this.list.length >= NODE_LIMITS.storeCheckFindingsMax) throw new FindingsFull()
  }
}

interface ContentSummary {
  fresh: boolean
  height: number | null
  logSize: number | null
  blocksChecked: number
  entriesChecked: number
}

/** Perfect subtrees whose roots form the accumulator frontier of a log of `size` leaves, left to right. */
function frontierNodes(size: number): { level: number, k: number }[] {
  const out: { level: number, k: number }[] = []
  let start = 0
  for (let level = 52; level >= 0; level--) {
    const width = 2 ** level
    if (Math.floor(size / width) % 2 === 1) {
      out.push({ level, k: start / width })
      start += width
    }
  }
  return out
}

function sameState(a: MerkleAccumulatorState, b: MerkleAccumulatorState): boolean {
  return a.size === b.size && a.frontier.length === b.frontier.length && a.frontier.every((h, i) => bytesEqual(h, b.frontier[i]!))
}

/** The record-level checks over the key-value layer. */
class ContentChecker {
  readonly #kv: KvBackend
  readonly #findings: Findings
  readonly #full: boolean
  readonly summary: ContentSummary = { fresh: false, height: null, logSize: null, blocksChecked: 0, entriesChecked: 0 }
  /** Full mode: the highest seq seen per agent, to compare with the stored seqs. */
  readonly #seqs = new Map<string, number>()

  constructor(kv: KvBackend, findings: Findings, full: boolean) {
    this.#kv = kv
    this.#findings = findings
    this.#full = full
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
      this.#readAhead = await this.#kv.scan({ gte: keys.data(from), lt: keys.data(end), limit: end - from })
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

  #add(code: string, detail: string): void {
    this.#findings.add(code, detail)
  }

  async #lastKey(tag: number): Promise<Uint8Array | undefined> {
    const [row] = await this.#kv.scan({ gte: Uint8Array.of(tag), lt: Uint8Array.of(tag + 1), reverse: true, limit: 1 })
    return row?.[0]
  }

  async #header(height: number): Promise<BlockHeader | undefined> {
    const bytes = await this.#kv.get(keys.header(height))
    if (bytes === undefined) return undefined
    try {
      return decodeStoredHeader(bytes)
    } catch (err) {
      this.#add('header-corrupt', `the header at height ${height} does not decode: ${(err as Error).message}`)
      return undefined
    }
  }

  async #accumulator(height: number): Promise<MerkleAccumulatorState | undefined> {
    const bytes = await this.#kv.get(keys.accumulator(height))
    if (bytes === undefined) {
      this.#add('accumulator-missing', `no accumulator state is stored for height ${height}`)
      return undefined
    }
    try {
      return decodeStoredAccumulator(bytes)
    } catch (err) {
      this.#add('accumulator-corrupt', `the accumulator state at height ${height} does not decode: ${(err as Error).message}`)
      return undefined
    }
  }

  async run(): Promise<void> {
    const [genesis, version] = await this.#kv.getMany([keys.meta('genesis'), keys.meta('version')])
    if (genesis === undefined) {
      const [any] = await this.#kv.scan({ limit: 1 })
      if (any === undefined) {
        this.summary.fresh = true
        return
      }
      this.#add('meta-missing', 'the store holds records but not the genesis hash it belongs to')
      return
    }
    if (version === undefined) this.#add('meta-missing', 'the store has no schema version')
    const lastHeader = await this.#lastKey(TAG.header)
    if (lastHeader === undefined) {
      this.#add('header-missing', 'the store has no block headers, not even the genesis block')
      return
    }
    const height = readU64(lastHeader, 1)
    const head = await this.#header(height)
    if (head === undefined) return
    if (head.height !== height) this.#add('header-corrupt', `the header stored at height ${height} says height ${head.height}`)
    this.summary.height = height
    this.summary.logSize = head.logSize
    const genesisHeader = await this.#header(0)
    if (genesisHeader === undefined) this.#add('header-missing', 'the genesis block header (height 0) is missing')
    else if (!bytesEqual(genesisHeader.parent, genesis)) this.#add('header-corrupt', `the genesis block's parent is not the stored genesis hash ${toHex(genesis)}`)
    await this.#checkLogBounds(head)
    await this.#checkFrontier(head)
    const from = this.#full ? 1 : await this.#recentFrom(head)
    await this.#checkBlocks(from, height)
    await this.#checkCertificates(head)
    if (this.#full) {
      await this.#checkIndexCounts(head.logSize)
      await this.#checkSeqs()
    } else {
      await this.#sample(head)
    }
  }

  /** The first height of the quick check's recent window: at most storeCheckRecentBlocks
   * blocks, and no more blocks than hold storeCheckRecentEntries entries (at least one). */
  async #recentFrom(head: BlockHeader): Promise<number> {
    const rows = await this.#kv.scan({ gte: keys.header(1), lt: keys.header(head.height), reverse: true, limit: NODE_LIMITS.storeCheckRecentBlocks - 1 })
    let entries = head.entryCount
    let from = head.height
    for (const [k, v] of rows) {
      let count: number
      try {
        count = decodeStoredHeader(v).entryCount
      } catch {
        break // #checkBlocks reports it
      }
      if (entries + count > NODE_LIMITS.storeCheckRecentEntries) break
      entries += count
      from = readU64(k, 1)
    }
    return Math.max(1, from)
  }

  /** The log holds exactly indexes [0, logSize): the first and last stored ones say so. */
  async #checkLogBounds(head: BlockHeader): Promise<void> {
    const last = await this.#lastKey(TAG.data)
    const [first] = await this.#kv.scan({ gte: Uint8Array.of(TAG.data), lt: Uint8Array.of(TAG.data + 1), limit: 1 })
    if (head.logSize === 0) {
      if (last !== undefined) this.#add('entry-extra', `the log is empty at the head but entry ${readU64(last, 1)} is stored`)
      return
    }
    if (last === undefined || first === undefined) {
      this.#add('entry-missing', `the head declares ${head.logSize} entries and none is stored`)
      return
    }
    if (readU64(first[0], 1) !== 0) this.#add('entry-missing', `the first stored log index is ${readU64(first[0], 1)}, not 0: entries 0 to ${readU64(first[0], 1) - 1} are lost`)
    const lastIndex = readU64(last, 1)
    if (lastIndex < head.logSize - 1) this.#add('entry-missing', `the head declares ${head.logSize} entries; the last stored is ${lastIndex}`)
    if (lastIndex > head.logSize - 1) this.#add('entry-extra', `entry ${lastIndex} is stored beyond the head's log size ${head.logSize}`)
    const lastAcc = await this.#lastKey(TAG.accumulator)
    if (lastAcc !== undefined && readU64(lastAcc, 1) > head.height) this.#add('accumulator-extra', `an accumulator state is stored for height ${readU64(lastAcc, 1)}, above the head ${head.height}`)
  }

  /** The head's accumulator state is the head's log, and its frontier is made of stored subtree roots. */
  async #checkFrontier(head: BlockHeader): Promise<void> {
    const state = await this.#accumulator(head.height)
    if (state === undefined) return
    let root: Uint8Array
    try {
      root = MerkleAccumulator.fromState(state).root()
    } catch (err) {
      this.#add('accumulator-corrupt', `the accumulator state at the head does not restore: ${(err as Error).message}`)
      return
    }
    if (state.size !== head.logSize || !bytesEqual(root, head.logRoot)) {
      this.#add('accumulator-mismatch', `the head's accumulator state (size ${state.size}, root ${toHex(root)}) is not its header's log (size ${head.logSize}, root ${toHex(head.logRoot)})`)
      return
    }
    const nodes = frontierNodes(state.size)
    const stored = await this.#kv.getMany(nodes.map((n) => keys.tree(n.level, n.k)))
    nodes.forEach((n, i) => {
      const hash = stored[i]
      if (hash === undefined) this.#add('subtree-missing', `subtree (${n.level}, ${n.k}) of the head's frontier is not stored`)
      else if (!bytesEqual(hash, state.frontier[i]!)) this.#add('subtree-mismatch', `subtree (${n.level}, ${n.k}) differs from the head's frontier`)
    })
  }

  /** Blocks [from, to] in full: chained headers, entries, accumulator, indexes. */
  async #checkBlocks(from: number, to: number): Promise<void> {
    if (from > to) return
    let prev = await this.#header(from - 1)
    if (prev === undefined) {
      this.#add('header-missing', `the header at height ${from - 1} is missing`)
      return
    }
    let state = await this.#accumulator(from - 1)
    if (state === undefined) return
    let height = from
    while (height <= to) {
      const end = Math.min(to + 1, height + NODE_LIMITS.storeCheckPageMax)
      const rows = await this.#kv.scan({ gte: keys.header(height), lt: keys.header(end), limit: end - height })
      let r = 0
      for (; height < end; height++) {
        const row = rows[r]
        if (row === undefined || readU64(row[0], 1) !== height) {
          this.#add('header-missing', `the header at height ${height} is missing (the head is ${to})`)
          return
        }
        r++
        let header: BlockHeader
        try {
          header = decodeStoredHeader(row[1])
        } catch (err) {
          this.#add('header-corrupt', `the header at height ${height} does not decode: ${(err as Error).message}`)
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
    if (header.height !== height) this.#add('header-corrupt', `the header stored at height ${height} says height ${header.height}`)
    if (!bytesEqual(header.parent, blockHash(prev))) this.#add('chain-broken', `block ${height}'s parent is not the hash of block ${height - 1}`)
    const indexed = await this.#kv.get(keys.blockHash(hash))
    if (indexed === undefined || readU64(indexed, 0) !== height) this.#add('index-mismatch', `block ${height}'s hash ${toHex(hash)} is not indexed at its height`)
    const first = prev.logSize
    if (header.logSize !== first + header.entryCount) {
      this.#add('header-corrupt', `block ${height} holds ${header.entryCount} entries after a log of ${first} but declares log size ${header.logSize}`)
      return undefined
    }
    const rows = await this.#dataRows(first, header.logSize)
    if (rows.length !== header.entryCount) {
      this.#add('entry-missing', `block ${height} has ${rows.length} of its ${header.entryCount} entries (log indexes ${first} to ${header.logSize - 1})`)
      return undefined
    }
    const leaves: Uint8Array[] = []
    const ids: Uint8Array[] = []
    const entries: Entry[] = []
    for (let p = 0; p < rows.length; p++) {
      const [k, v] = rows[p]!
      const index = first + p
      if (readU64(k, 1) !== index) {
        this.#add('entry-missing', `log index ${index} of block ${height} is missing`)
        return undefined
      }
      if (v.length < 8 || readU64(v, 0) !== height) this.#add('entry-corrupt', `log entry ${index} is not marked as in block ${height}`)
      const bytes = v.subarray(8)
      try {
        entries.push(decodeEntry(bytes))
      } catch (err) {
        this.#add('entry-corrupt', `log entry ${index} does not decode: ${(err as Error).message}`)
        return undefined
      }
      ids.push(sha256(bytes))
      leaves.push(leafHash(bytes))
    }
    this.summary.entriesChecked += rows.length
    if (!bytesEqual(merkleRoot(leaves), header.entriesRoot)) this.#add('entries-mismatch', `block ${height}'s entries do not hash to its header's entries root`)
    const appended = appendLeaves(state, leaves)
    const root = MerkleAccumulator.fromState(appended.state).root()
    if (!bytesEqual(root, header.logRoot)) {
      this.#add('log-root-mismatch', `appending block ${height}'s entries gives log root ${toHex(root)}, not its header's ${toHex(header.logRoot)}`)
      return undefined
    }
    const stored = await this.#accumulator(height)
    if (stored !== undefined && !sameState(stored, appended.state)) this.#add('accumulator-mismatch', `the accumulator state stored at height ${height} is not the log after block ${height}`)
    await this.#checkEntryIndexes(height, first, entries, ids, appended.nodes)
    this.summary.blocksChecked++
    return appended.state
  }

  async #checkEntryIndexes(height: number, first: number, entries: readonly Entry[], ids: readonly Uint8Array[], nodes: readonly { level: number, k: number, hash: Uint8Array }[]): Promise<void> {
    // Leaf hashes are contiguous keys: one range read. The other nodes and indexes are point reads.
    const n = entries.length
    const inner = nodes.filter((node) => node.level > 0)
    const leafRows = n === 0 ? [] : await this.#kv.scan({ gte: keys.tree(0, first), lt: keys.tree(0, first + n), limit: n })
    const storedLeaves = new Map(leafRows.map(([k, v]) => [readU64(k, 2), v]))
    const lookups = [
      ...ids.map((id) => keys.entry(id)),
      ...entries.map((e, p) => indexed(keys.namespacePrefix(e.namespace), first + p)),
      ...entries.map((e, p) => indexed(keys.agentPrefix(e.agent), first + p)),
      ...inner.map((node) => keys.tree(node.level, node.k)),
    ]
    const found = await this.#kv.getMany(lookups)
    for (let p = 0; p < n; p++) {
      const index = first + p
      const location = found[p]
      if (location === undefined) this.#add('index-missing', `entry ${index}'s id ${toHex(ids[p]!)} is not indexed`)
      else {
        try {
          const at = decodeEntryLocation(location)
          if (at.index !== index || at.height !== height || at.position !== p) this.#add('index-mismatch', `entry ${index}'s id index says index ${at.index}, height ${at.height}, position ${at.position}`)
        } catch (err) {
          this.#add('index-corrupt', `entry ${index}'s id index does not decode: ${(err as Error).message}`)
        }
      }
      if (found[n + p] === undefined) this.#add('index-missing', `entry ${index} is missing from the index of namespace ${JSON.stringify(entries[p]!.namespace)}`)
      if (found[2 * n + p] === undefined) this.#add('index-missing', `entry ${index} is missing from its agent's index`)
      if (this.#full) {
        const agent = toHex(entries[p]!.agent)
        this.#seqs.set(agent, Math.max(this.#seqs.get(agent) ?? 0, entries[p]!.seq))
      }
    }
    for (const node of nodes) {
      if (node.level !== 0) continue
      const hash = storedLeaves.get(node.k)
      if (hash === undefined) this.#add('subtree-missing', `the leaf hash of log index ${node.k} is not stored`)
      else if (!bytesEqual(hash, node.hash)) this.#add('subtree-mismatch', `the leaf hash of log index ${node.k} is not its entry's`)
    }
    inner.forEach((node, i) => {
      const hash = found[3 * n + i]
      if (hash === undefined) this.#add('subtree-missing', `subtree (${node.level}, ${node.k}) is not stored`)
      else if (!bytesEqual(hash, node.hash)) this.#add('subtree-mismatch', `subtree (${node.level}, ${node.k}) does not hash its leaves`)
    })
  }

  /** The latest commit certificate (all of them in full mode) names a stored block. */
  async #checkCertificates(head: BlockHeader): Promise<void> {
    const ranges: [number, 'commit' | 'quorum'][] = [[TAG.cc, 'commit'], [TAG.qc, 'quorum']]
    for (const [tag, what] of ranges) {
      let from: Uint8Array = Uint8Array.of(tag)
      const end = Uint8Array.of(tag + 1)
      for (;;) {
        const rows = this.#full
          ? await this.#kv.scan({ gte: from, lt: end, limit: NODE_LIMITS.storeCheckPageMax })
          : await this.#kv.scan({ gte: from, lt: end, reverse: true, limit: 1 })
        for (const [k, v] of rows) {
          const height = readU64(k, 1)
          let block: Uint8Array
          try {
            const cert = what === 'commit' ? ccFromCbor(decodeCanonical(v)) : qcFromCbor(decodeCanonical(v))
            block = cert.block
            if (cert.height !== height) this.#add('certificate-corrupt', `the ${what} certificate stored at height ${height} says height ${cert.height}`)
          } catch (err) {
            this.#add('certificate-corrupt', `the ${what} certificate at height ${height} does not decode: ${(err as Error).message}`)
            continue
          }
          if (height > head.height) {
            this.#add('certificate-extra', `a ${what} certificate is stored for height ${height}, above the head ${head.height}`)
            continue
          }
          const header = await this.#header(height)
          if (header !== undefined && !bytesEqual(blockHash(header), block)) this.#add('certificate-mismatch', `the ${what} certificate at height ${height} names another block than the stored one`)
        }
        if (!this.#full || rows.length < NODE_LIMITS.storeCheckPageMax) break
        from = prefixEnd(rows.at(-1)![0])
      }
    }
  }

  async #countKeys(tag: number): Promise<number> {
    let count = 0
    let from: Uint8Array = Uint8Array.of(tag)
    const end = Uint8Array.of(tag + 1)
    for (;;) {
      const rows = await this.#kv.scan({ gte: from, lt: end, limit: NODE_LIMITS.storeCheckPageMax })
      count += rows.length
      if (rows.length < NODE_LIMITS.storeCheckPageMax) return count
      from = prefixEnd(rows.at(-1)![0])
    }
  }

  /** Full mode: every entry was found in each index; equal counts mean no index key points elsewhere. */
  async #checkIndexCounts(logSize: number): Promise<void> {
    for (const [tag, what] of [[TAG.entry, 'id'], [TAG.namespace, 'namespace'], [TAG.agent, 'agent'], [TAG.data, 'log']] as const) {
      const count = await this.#countKeys(tag)
      if (count !== logSize) this.#add(count > logSize ? 'index-extra' : 'index-missing', `the ${what} index holds ${count} keys for a log of ${logSize} entries`)
    }
  }

  async #checkSeqs(): Promise<void> {
    let from: Uint8Array = Uint8Array.of(TAG.seq)
    const end = Uint8Array.of(TAG.seq + 1)
    let stored = 0
    for (;;) {
      const rows = await this.#kv.scan({ gte: from, lt: end, limit: NODE_LIMITS.storeCheckPageMax })
      for (const [k, v] of rows) {
        stored++
        const agent = toHex(k.subarray(1))
        const seen = this.#seqs.get(agent)
        const seq = v.length === 8 ? readU64(v, 0) : -1
        if (seen !== seq) this.#add('seq-mismatch', `agent ${agent}'s stored seq is ${seq}; its highest committed entry has seq ${seen ?? 'none'}`)
      }
      if (rows.length < NODE_LIMITS.storeCheckPageMax) break
      from = prefixEnd(rows.at(-1)![0])
    }
    if (stored !== this.#seqs.size) this.#add('seq-missing', `${this.#seqs.size} agents have entries but ${stored} seqs are stored`)
  }

  /** Quick mode: evenly spaced log indexes and heights over the whole store, and the first keys of each index. */
  async #sample(head: BlockHeader): Promise<void> {
    const samples = NODE_LIMITS.storeCheckSamples
    const indexes = new Set<number>()
    for (let i = 0; i < Math.min(samples, head.logSize); i++) indexes.add(Math.floor((i * head.logSize) / Math.min(samples, head.logSize)))
    for (const index of indexes) await this.#sampleEntry(index)
    for (let i = 0; i < Math.min(samples, head.height); i++) {
      const height = Math.floor((i * head.height) / Math.min(samples, head.height))
      const header = await this.#header(height)
      if (header === undefined) {
        this.#add('header-missing', `the header at height ${height} (the head is ${head.height}) is missing`)
        continue
      }
      const state = await this.#accumulator(height)
      if (state !== undefined && (state.size !== header.logSize || !bytesEqual(MerkleAccumulator.fromState(state).root(), header.logRoot))) {
        this.#add('accumulator-mismatch', `the accumulator state at height ${height} is not its header's log`)
      }
    }
    for (const tag of [TAG.entry, TAG.namespace, TAG.agent]) {
      const rows = await this.#kv.scan({ gte: Uint8Array.of(tag), lt: Uint8Array.of(tag + 1), limit: samples })
      for (const [k, v] of rows) {
        if (tag === TAG.entry) {
          const at = decodeEntryLocation(v)
          const data = await this.#kv.get(keys.data(at.index))
          if (data === undefined || !bytesEqual(sha256(data.subarray(8)), k.subarray(1))) this.#add('index-dangling', `entry id ${toHex(k.subarray(1))} is indexed at ${at.index}, which holds ${data === undefined ? 'nothing' : 'another entry'}`)
        } else {
          const index = readU64(k, k.length - 8)
          if (index >= head.logSize || await this.#kv.get(keys.data(index)) === undefined) this.#add('index-dangling', `the ${tag === TAG.namespace ? 'namespace' : 'agent'} index points at log index ${index}, which is not stored`)
        }
      }
    }
  }

  async #sampleEntry(index: number): Promise<void> {
    const [data, leaf] = await this.#kv.getMany([keys.data(index), keys.tree(0, index)])
    if (data === undefined) {
      this.#add('entry-missing', `log index ${index} (of ${this.summary.logSize}) is not stored`)
      return
    }
    const bytes = data.subarray(8)
    if (leaf === undefined || !bytesEqual(leaf, leafHash(bytes))) this.#add('subtree-mismatch', `the leaf hash of log index ${index} is ${leaf === undefined ? 'missing' : 'not its entry\'s'}`)
    const location = await this.#kv.get(keys.entry(sha256(bytes)))
    if (location === undefined) this.#add('index-missing', `log entry ${index} is not in the id index`)
    else if (decodeEntryLocation(location).index !== index) this.#add('index-mismatch', `log entry ${index}'s id index says ${decodeEntryLocation(location).index}`)
    this.summary.entriesChecked++
  }
}

/** Checks the chain store's records through a key-value backend (any: memory or level). */
export async function checkStoreContents(kv: KvBackend, mode: StoreCheckMode): Promise<{ summary: ContentSummary, findings: StoreFinding[] }> {
  const findings = new Findings()
  const checker = new ContentChecker(kv, findings, mode === 'full')
  try {
    await checker.run()
  } catch (err) {
    if (!(err instanceof FindingsFull)) findings.list.push({ code: 'record-corrupt', detail: `reading the store failed: ${(err as Error).message}` })
  }
  return { summary: checker.summary, findings: findings.list }
}

interface VerifiedTable { readonly number: number, readonly size: number, readonly mtimeMs: number }

async function readVerified(file: string | undefined): Promise<Map<number, VerifiedTable>> {
  const out = new Map<number, VerifiedTable>()
  if (file === undefined) return out
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as { tables?: unknown }
    if (!Array.isArray(parsed.tables)) return out
    for (const t of parsed.tables as unknown[]) {
      const { number, size, mtimeMs } = (t ?? {}) as Record<string, unknown>
      if (typeof number === 'number' && typeof size === 'number' && typeof mtimeMs === 'number') out.set(number, { number, size, mtimeMs })
    }
  } catch {
    // Missing or unreadable: every table gets verified again.
  }
  return out
}

async function writeVerified(file: string, tables: readonly VerifiedTable[]): Promise<void> {
  const temporary = `${file}.tmp`
  await writeFile(temporary, JSON.stringify({ tables }) + '\n', { mode: 0o600 })
  await rename(temporary, file)
}

/**
 * Records every live table as verified. Called after a check passed (LevelDB's open may
 * have compacted the checked tables into new ones) and after the node closes its store
 * cleanly: the tables written since were written by this process, with fresh checksums,
 * from checked data. A table changed later changes its size or mtime and is checksummed
 * again at the next start; bit rot that changes neither is found by the full check.
 */
export async function rememberVerifiedTables(directory: string, file: string): Promise<void> {
  const files = await readLevelFiles(directory)
  if (!files.exists || files.findings.length > 0) return
  const tables: VerifiedTable[] = []
  for (const t of files.tables) tables.push({ number: t.number, size: t.size, mtimeMs: (await stat(t.file)).mtimeMs })
  await writeVerified(file, tables)
}

export interface StoreCheckOptions {
  readonly mode: StoreCheckMode
  /** A file remembering the tables whose data blocks were verified (quick mode skips them). */
  readonly verifiedTablesFile?: string
}

/** Checks a LevelDB chain store directory, offline (nothing else may have it open). */
export async function checkLevelStore(directory: string, options: StoreCheckOptions): Promise<StoreCheckReport> {
  const started = performance.now()
  let torn: StoreFinding | null = null
  const report = (fields: Partial<StoreCheckReport> & { findings: readonly StoreFinding[] }): StoreCheckReport => {
    // A torn MANIFEST tail explains damage found elsewhere; alone it is what a crash leaves.
    const findings = torn !== null && fields.findings.length > 0 ? [torn, ...fields.findings] : fields.findings
    return {
      mode: options.mode, directory, fresh: false, height: null, logSize: null,
      tables: 0, tablesChecksummed: 0, blocksChecked: 0, entriesChecked: 0, durationMs: Math.round(performance.now() - started), ...fields, findings, ok: findings.length === 0,
    }
  }
  const files = await readLevelFiles(directory)
  torn = files.tornManifest
  if (!files.exists) return report({ fresh: true, findings: [] })
  if (files.findings.length > 0) return report({ findings: files.findings })
  const verified = options.mode === 'full' ? new Map<number, VerifiedTable>() : await readVerified(options.verifiedTablesFile)
  const findings: StoreFinding[] = []
  let checksummed = 0
  for (const table of files.tables) {
    const mtimeMs = (await stat(table.file)).mtimeMs
    const known = verified.get(table.number)
    const full = known === undefined || known.size !== table.size || known.mtimeMs !== mtimeMs
    const problems = await checkTable(table, full)
    findings.push(...problems)
    if (full) checksummed++
  }
  const tableFields = { tables: files.tables.length, tablesChecksummed: checksummed }
  if (findings.length > 0) return report({ ...tableFields, findings })
  const kv = new LevelKv(directory, { createIfMissing: false })
  try {
    await kv.open()
  } catch (err) {
    if (err instanceof StoreDamagedError) return report({ ...tableFields, findings: err.findings })
    throw err
  }
  let contents: Awaited<ReturnType<typeof checkStoreContents>>
  try {
    contents = await checkStoreContents(kv, options.mode)
  } finally {
    await kv.close()
  }
  const { summary } = contents
  if (contents.findings.length === 0 && options.verifiedTablesFile !== undefined) await rememberVerifiedTables(directory, options.verifiedTablesFile)
  return report({ ...tableFields, fresh: summary.fresh, height: summary.height, logSize: summary.logSize, blocksChecked: summary.blocksChecked, entriesChecked: summary.entriesChecked, findings: contents.findings })
}

/** The check a node runs before it opens its store: quick, and damage is an error. */
export async function assertNodeStoreIntact(dataDir: string): Promise<StoreCheckReport> {
  const layout = storeLayout(dataDir)
  const report = await checkLevelStore(layout.store, { mode: 'quick', verifiedTablesFile: layout.verifiedTables })
  if (!report.ok) throw new StoreDamagedError(layout.store, report.findings)
  return report
}
