// The erasures of one commit (docs/formats.md section 14): every erase entry the commit
// appends is judged by the core's one rule (src/sealed/erasure.ts), and every sealed
// entry whose retention ends at a height the commit reaches expires; each deletes its
// sealed entry's sidecar and writes the tombstone that refuses every later upload, in
// the commit's own atomic, fsync'd batch. So erasure is as durable as the commit,
// deterministic across honest nodes (the same log gives the same deletes), and a crash
// leaves either both the block committed and the sidecar gone, or neither.
import { toHex } from '../../src/crypto/hash.ts'
import type { GovernanceState } from '../../src/governance/state.ts'
import type { Block } from '../../src/log/block.ts'
import { entryId, type Entry, type Hash } from '../../src/log/entry.ts'
import type { WritePolicy } from '../../src/log/genesis.ts'
import { judgeErase, retentionOf } from '../../src/sealed/erasure.ts'
import { readSealedPayload } from '../../src/sealed/payload.ts'
import { keys, u64 } from './keys.ts'
import type { KvOp } from './kv.ts'

/** What the judgement reads of the log committed before this batch. */
export interface ErasureReads {
  /** A committed entry by id (below the current head), or undefined. */
  entry(id: Hash): Promise<Entry | undefined>
  /** Whether a tombstone for this sealed entry is stored. */
  erased(id: Hash): Promise<boolean>
  /** The sealed entries committed before this batch whose retention ends at `height`. */
  expiringAt(height: number): Promise<Hash[]>
}

/** Pushes the deletes and tombstones of the erasures in `blocks` (the blocks this commit
 * appends, in order); returns the ids (hex) of the sealed entries erased. `governance[b]`
 * is the state in force for `blocks[b]` (the state after its parent), null on a chain
 * without governance (then nothing has a retention). */
export async function erasureOps(
  blocks: readonly Block[], policy: WritePolicy, governance: readonly (GovernanceState | null)[], reads: ErasureReads, ops: KvOp[],
): Promise<string[]> {
  /** Sealed entries appended earlier in this batch: id hex -> entry. */
  const sealedHere = new Map<string, Entry>()
  /** Expiries set earlier in this batch: height -> ids. */
  const expiringHere = new Map<number, Hash[]>()
  const erasedHere = new Set<string>()
  const isErased = async (idHex: string, id: Hash): Promise<boolean> => erasedHere.has(idHex) || await reads.erased(id)
  for (const [b, block] of blocks.entries()) {
    const height = block.header.height
    const inForce = governance[b] ?? null
    // A block's expiries come before its entries (an erase in it of an expired entry is
    // a repeated erase), as in the ErasureLedger.
    if (inForce !== null) {
      for (const id of [...await reads.expiringAt(height), ...expiringHere.get(height) ?? []]) {
        const idHex = toHex(id)
        ops.push({ type: 'del', key: keys.expiry(height, id) })
        if (await isErased(idHex, id)) continue // erased before it expired
        ops.push({ type: 'del', key: keys.sidecar(id) })
        ops.push({ type: 'put', key: keys.erased(id), value: u64(height) })
        erasedHere.add(idHex)
      }
    }
    for (const entry of block.entries) {
      const read = readSealedPayload(entry)
      if (read.type === 'sealed') {
        const id = entryId(entry)
        sealedHere.set(toHex(id), entry)
        const retention = retentionOf(entry, inForce)
        if (retention !== null) {
          const at = height + retention
          ops.push({ type: 'put', key: keys.expiry(at, id), value: new Uint8Array(0) })
          const list = expiringHere.get(at)
          if (list === undefined) expiringHere.set(at, [id])
          else list.push(id)
        }
      }
      if (read.type !== 'erase') continue
      const targetHex = toHex(read.target)
      const targetEntry = sealedHere.get(targetHex) ?? await reads.entry(read.target)
      const target = targetEntry === undefined ? undefined : { entry: targetEntry, erased: await isErased(targetHex, read.target) }
      if (judgeErase(entry, target, policy, inForce) !== null) continue
      ops.push({ type: 'del', key: keys.sidecar(read.target) })
      ops.push({ type: 'put', key: keys.erased(read.target), value: entryId(entry) })
      erasedHere.add(targetHex)
    }
  }
  return [...erasedHere]
}
