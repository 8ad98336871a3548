// The store check's record layer (store-check.ts runs it after the file layer): the
// metadata, the head and the log's bounds, the head's accumulator frontier, then blocks
// (the recent window in quick mode, all in full: store-check-blocks.ts), certificates
// (store-check-certificates.ts) and the whole-store index checks (store-check-indexes.ts).
import { bytesEqual } from '../../src/codec/cbor.ts'
import { toHex } from '../../src/crypto/hash.ts'
import { type BlockHeader } from '../../src/log/block.ts'
import { MerkleAccumulator } from '../../src/log/merkle.ts'
import { NODE_LIMITS } from '../limits.ts'
import { type StoreFinding } from './errors.ts'
import { keys, readU64, TAG } from './keys.ts'
import { type KvBackend } from './kv.ts'
import { BlockChecker } from './store-check-blocks.ts'
import { checkBoundaryCertificates, checkCertificates } from './store-check-certificates.ts'
import { CheckContext, type ContentSummary, Findings, FindingsFull } from './store-check-context.ts'
import { checkIndexCounts, checkSamples, checkSeqs } from './store-check-indexes.ts'
import { checkSidecars } from './store-check-sidecars.ts'
import { decodeStoredHeader } from './store-records.ts'

export type StoreCheckMode = 'quick' | 'full'

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

/** Every record check, in this order; a finding past storeCheckFindingsMax ends the run (FindingsFull). */
async function run(ctx: CheckContext): Promise<void> {
  const [genesis, version] = await ctx.kv.getMany([keys.meta('genesis'), keys.meta('version')])
  if (genesis === undefined) {
    const [any] = await ctx.kv.scan({ limit: 1 })
    if (any === undefined) {
      ctx.summary.fresh = true
      return
    }
    ctx.add('meta-missing', 'the store holds records but not the genesis hash it belongs to')
    return
  }
  if (version === undefined) ctx.add('meta-missing', 'the store has no schema version')
  const lastHeader = await ctx.lastKey(TAG.header)
  if (lastHeader === undefined) {
    ctx.add('header-missing', 'the store has no block headers, not even the genesis block')
    return
  }
  const height = readU64(lastHeader, 1)
  const head = await ctx.header(height)
  if (head === undefined) return
  if (head.height !== height) ctx.add('header-corrupt', `the header stored at height ${height} says height ${head.height}`)
  ctx.summary.height = height
  ctx.summary.logSize = head.logSize
  const genesisHeader = await ctx.header(0)
  if (genesisHeader === undefined) ctx.add('header-missing', 'the genesis block header (height 0) is missing')
  else if (!bytesEqual(genesisHeader.parent, genesis)) ctx.add('header-corrupt', `the genesis block's parent is not the stored genesis hash ${toHex(genesis)}`)
  await checkLogBounds(ctx, head)
  await checkFrontier(ctx, head)
  const from = ctx.full ? 1 : await recentFrom(ctx, head)
  await new BlockChecker(ctx).checkBlocks(from, height)
  await checkCertificates(ctx, head)
  await checkBoundaryCertificates(ctx, head)
  if (ctx.full) {
    await checkIndexCounts(ctx, head.logSize)
    await checkSeqs(ctx)
    await checkSidecars(ctx, head.logSize, head.height)
  } else {
    await checkSamples(ctx, head)
  }
}

/** The first height of the quick check's recent window: at most storeCheckRecentBlocks
 * blocks, and no more blocks than hold storeCheckRecentEntries entries (at least one). */
async function recentFrom(ctx: CheckContext, head: BlockHeader): Promise<number> {
  const rows = await ctx.kv.scan({ gte: keys.header(1), lt: keys.header(head.height), reverse: true, limit: NODE_LIMITS.storeCheckRecentBlocks - 1 })
  let entries = head.entryCount
  let from = head.height
  for (const [k, v] of rows) {
    let count: number
    try {
      count = decodeStoredHeader(v).entryCount
    } catch {
      break // checkBlocks reports it
    }
    if (entries + count > NODE_LIMITS.storeCheckRecentEntries) break
    entries += count
    from = readU64(k, 1)
  }
  return Math.max(1, from)
}

/** The log holds exactly indexes [0, logSize): the first and last stored ones say so. */
async function checkLogBounds(ctx: CheckContext, head: BlockHeader): Promise<void> {
  const last = await ctx.lastKey(TAG.data)
  const [first] = await ctx.kv.scan({ gte: Uint8Array.of(TAG.data), lt: Uint8Array.of(TAG.data + 1), limit: 1 })
  if (head.logSize === 0) {
    if (last !== undefined) ctx.add('entry-extra', `the log is empty at the head but entry ${readU64(last, 1)} is stored`)
    return
  }
  if (last === undefined || first === undefined) {
    ctx.add('entry-missing', `the head declares ${head.logSize} entries and none is stored`)
    return
  }
  if (readU64(first[0], 1) !== 0) ctx.add('entry-missing', `the first stored log index is ${readU64(first[0], 1)}, not 0: entries 0 to ${readU64(first[0], 1) - 1} are lost`)
  const lastIndex = readU64(last, 1)
  if (lastIndex < head.logSize - 1) ctx.add('entry-missing', `the head declares ${head.logSize} entries; the last stored is ${lastIndex}`)
  if (lastIndex > head.logSize - 1) ctx.add('entry-extra', `entry ${lastIndex} is stored beyond the head's log size ${head.logSize}`)
  const lastAcc = await ctx.lastKey(TAG.accumulator)
  if (lastAcc !== undefined && readU64(lastAcc, 1) > head.height) ctx.add('accumulator-extra', `an accumulator state is stored for height ${readU64(lastAcc, 1)}, above the head ${head.height}`)
}

/** The head's accumulator state is the head's log, and its frontier is made of stored subtree roots. */
async function checkFrontier(ctx: CheckContext, head: BlockHeader): Promise<void> {
  const state = await ctx.accumulator(head.height)
  if (state === undefined) return
  let root: Uint8Array
  try {
    root = MerkleAccumulator.fromState(state).root()
  } catch (err) {
    ctx.add('accumulator-corrupt', `the accumulator state at the head does not restore: ${(err as Error).message}`)
    return
  }
  if (state.size !== head.logSize || !bytesEqual(root, head.logRoot)) {
    ctx.add('accumulator-mismatch', `the head's accumulator state (size ${state.size}, root ${toHex(root)}) is not its header's log (size ${head.logSize}, root ${toHex(head.logRoot)})`)
    return
  }
  const nodes = frontierNodes(state.size)
  const stored = await ctx.kv.getMany(nodes.map((n) => keys.tree(n.level, n.k)))
  nodes.forEach((n, i) => {
    const hash = stored[i]
    if (hash === undefined) ctx.add('subtree-missing', `subtree (${n.level}, ${n.k}) of the head's frontier is not stored`)
    else if (!bytesEqual(hash, state.frontier[i]!)) ctx.add('subtree-mismatch', `subtree (${n.level}, ${n.k}) differs from the head's frontier`)
  })
}

/** Checks the chain store's records through a key-value backend (any: memory or level). */
export async function checkStoreContents(kv: KvBackend, mode: StoreCheckMode): Promise<{ summary: ContentSummary, findings: StoreFinding[] }> {
  const findings = new Findings()
  const ctx = new CheckContext(kv, findings, mode === 'full')
  try {
    await run(ctx)
  } catch (err) {
    if (!(err instanceof FindingsFull)) findings.list.push({ code: 'record-corrupt', detail: `reading the store failed: ${(err as Error).message}` })
  }
  return { summary: ctx.summary, findings: findings.list }
}
