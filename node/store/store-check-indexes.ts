// The store check's whole-store index checks. Full mode counts the keys of each index
// (every entry was found in each one, so equal counts mean no key points elsewhere) and
// compares every agent's stored seq with its highest committed entry. Quick mode samples
// evenly spaced entries and heights over the whole log and the first keys of each index.
import { bytesEqual } from '../../src/codec/cbor.ts'
import { sha256, toHex } from '../../src/crypto/hash.ts'
import { type BlockHeader } from '../../src/log/block.ts'
import { leafHash, MerkleAccumulator } from '../../src/log/merkle.ts'
import { NODE_LIMITS } from '../limits.ts'
import { keys, prefixEnd, readU64, TAG } from './keys.ts'
import { type CheckContext } from './store-check-context.ts'
import { decodeEntryLocation } from './store-records.ts'

async function countKeys(ctx: CheckContext, tag: number): Promise<number> {
  let count = 0
  let from: Uint8Array = Uint8Array.of(tag)
  const end = Uint8Array.of(tag + 1)
  for (;;) {
    const rows = await ctx.kv.scan({ gte: from, lt: end, limit: NODE_LIMITS.storeCheckPageMax })
    count += rows.length
    if (rows.length < NODE_LIMITS.storeCheckPageMax) return count
    from = prefixEnd(rows.at(-1)![0])
  }
}

/** Full mode: every entry was found in each index; equal counts mean no index key points elsewhere. */
export async function checkIndexCounts(ctx: CheckContext, logSize: number): Promise<void> {
  for (const [tag, what] of [[TAG.entry, 'id'], [TAG.namespace, 'namespace'], [TAG.agent, 'agent'], [TAG.data, 'log']] as const) {
    const count = await countKeys(ctx, tag)
    if (count !== logSize) ctx.add(count > logSize ? 'index-extra' : 'index-missing', `the ${what} index holds ${count} keys for a log of ${logSize} entries`)
  }
}

export async function checkSeqs(ctx: CheckContext): Promise<void> {
  let from: Uint8Array = Uint8Array.of(TAG.seq)
  const end = Uint8Array.of(TAG.seq + 1)
  let stored = 0
  for (;;) {
    const rows = await ctx.kv.scan({ gte: from, lt: end, limit: NODE_LIMITS.storeCheckPageMax })
    for (const [k, v] of rows) {
      stored++
      const agent = toHex(k.subarray(1))
      const seen = ctx.seqs.get(agent)
      const seq = v.length === 8 ? readU64(v, 0) : -1
      if (seen !== seq) ctx.add('seq-mismatch', `agent ${agent}'s stored seq is ${seq}; its highest committed entry has seq ${seen ?? 'none'}`)
    }
    if (rows.length < NODE_LIMITS.storeCheckPageMax) break
    from = prefixEnd(rows.at(-1)![0])
  }
  if (stored !== ctx.seqs.size) ctx.add('seq-missing', `${ctx.seqs.size} agents have entries but ${stored} seqs are stored`)
}

/** Quick mode: evenly spaced log indexes and heights over the whole store, and the first keys of each index. */
export async function checkSamples(ctx: CheckContext, head: BlockHeader): Promise<void> {
  const samples = NODE_LIMITS.storeCheckSamples
  const indexes = new Set<number>()
  for (let i = 0; i < Math.min(samples, head.logSize); i++) indexes.add(Math.floor((i * head.logSize) / Math.min(samples, head.logSize)))
  for (const index of indexes) await sampleEntry(ctx, index)
  for (let i = 0; i < Math.min(samples, head.height); i++) {
    const height = Math.floor((i * head.height) / Math.min(samples, head.height))
    const header = await ctx.header(height)
    if (header === undefined) {
      ctx.add('header-missing', `the header at height ${height} (the head is ${head.height}) is missing`)
      continue
    }
    const state = await ctx.accumulator(height)
    if (state !== undefined && (state.size !== header.logSize || !bytesEqual(MerkleAccumulator.fromState(state).root(), header.logRoot))) {
      ctx.add('accumulator-mismatch', `the accumulator state at height ${height} is not its header's log`)
    }
  }
  for (const tag of [TAG.entry, TAG.namespace, TAG.agent]) {
    const rows = await ctx.kv.scan({ gte: Uint8Array.of(tag), lt: Uint8Array.of(tag + 1), limit: samples })
    for (const [k, v] of rows) {
      if (tag === TAG.entry) {
        const at = decodeEntryLocation(v)
        const data = await ctx.kv.get(keys.data(at.index))
        if (data === undefined || !bytesEqual(sha256(data.subarray(8)), k.subarray(1))) ctx.add('index-dangling', `entry id ${toHex(k.subarray(1))} is indexed at ${at.index}, which holds ${data === undefined ? 'nothing' : 'another entry'}`)
      } else {
        const index = readU64(k, k.length - 8)
        if (index >= head.logSize || await ctx.kv.get(keys.data(index)) === undefined) ctx.add('index-dangling', `the ${tag === TAG.namespace ? 'namespace' : 'agent'} index points at log index ${index}, which is not stored`)
      }
    }
  }
}

async function sampleEntry(ctx: CheckContext, index: number): Promise<void> {
  const [data, leaf] = await ctx.kv.getMany([keys.data(index), keys.tree(0, index)])
  if (data === undefined) {
    ctx.add('entry-missing', `log index ${index} (of ${ctx.summary.logSize}) is not stored`)
    return
  }
  const bytes = data.subarray(8)
  if (leaf === undefined || !bytesEqual(leaf, leafHash(bytes))) ctx.add('subtree-mismatch', `the leaf hash of log index ${index} is ${leaf === undefined ? 'missing' : 'not its entry\'s'}`)
  const location = await ctx.kv.get(keys.entry(sha256(bytes)))
  if (location === undefined) ctx.add('index-missing', `log entry ${index} is not in the id index`)
  else if (decodeEntryLocation(location).index !== index) ctx.add('index-mismatch', `log entry ${index}'s id index says ${decodeEntryLocation(location).index}`)
  ctx.summary.entriesChecked++
}
