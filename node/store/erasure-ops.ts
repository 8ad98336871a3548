// The erasures of one commit (docs/formats.md section 14): every erase entry the commit
// appends is judged by the core's one rule (src/sealed/erasure.ts), and an effective
// one deletes its sealed entry's sidecar and writes the tombstone that refuses every
// later upload, in the commit's own atomic, fsync'd batch. So erasure is as durable as
// the commit, deterministic across honest nodes (the same log gives the same deletes),
// and a crash leaves either both the erase committed and the sidecar gone, or neither.
import { toHex } from '../../src/crypto/hash.ts'
import type { Block } from '../../src/log/block.ts'
import { entryId, type Entry, type Hash } from '../../src/log/entry.ts'
import type { WritePolicy } from '../../src/log/genesis.ts'
import { judgeErase } from '../../src/sealed/erasure.ts'
import { readSealedPayload } from '../../src/sealed/payload.ts'
import { keys } from './keys.ts'
import type { KvOp } from './kv.ts'

/** What the judgement reads of the log committed before this batch. */
export interface ErasureReads {
  /** A committed entry by id (below the current head), or undefined. */
  entry(id: Hash): Promise<Entry | undefined>
  /** Whether a tombstone for this sealed entry is stored. */
  erased(id: Hash): Promise<boolean>
}

/** Pushes the deletes and tombstones of the effective erases in `blocks` (the blocks
 * this commit appends, in order); returns the ids (hex) of the sealed entries erased. */
export async function erasureOps(blocks: readonly Block[], policy: WritePolicy, reads: ErasureReads, ops: KvOp[]): Promise<string[]> {
  /** Sealed entries appended earlier in this batch: id hex -> entry. */
  const sealedHere = new Map<string, Entry>()
  const erasedHere = new Set<string>()
  for (const block of blocks) {
    for (const entry of block.entries) {
      const read = readSealedPayload(entry)
      if (read.type === 'sealed') sealedHere.set(toHex(entryId(entry)), entry)
      if (read.type !== 'erase') continue
      const targetHex = toHex(read.target)
      const targetEntry = sealedHere.get(targetHex) ?? await reads.entry(read.target)
      const target = targetEntry === undefined ? undefined : { entry: targetEntry, erased: erasedHere.has(targetHex) || await reads.erased(read.target) }
      if (judgeErase(entry, target, policy) !== null) continue
      ops.push({ type: 'del', key: keys.sidecar(read.target) })
      ops.push({ type: 'put', key: keys.erased(read.target), value: entryId(entry) })
      erasedHere.add(targetHex)
    }
  }
  return [...erasedHere]
}
