// The wanted-sidecar index of one commit (keys.ts 'W'): every sealed entry the commit
// appends is marked wanted until its sidecar is kept here, and the entries it erases are
// unmarked in the same batch. Sidecar replication (node/runtime/sidecar-replication.ts)
// pulls what is marked, so a node that was down when a sidecar was uploaded elsewhere, or
// restarted since, still finds out what it lacks without scanning the log.
import { fromHex } from '../../src/crypto/hash.ts'
import type { Block } from '../../src/log/block.ts'
import { entryId } from '../../src/log/entry.ts'
import { readSealedPayload } from '../../src/sealed/payload.ts'
import { keys } from './keys.ts'
import type { KvOp } from './kv.ts'

const EMPTY = new Uint8Array(0)

/** Pushes the wanted marks of the sealed entries in `blocks`, then the unmarking of the
 * `erased` ones (id hex, from erasure-ops.ts): in one batch the later op wins. */
export function wantedSidecarOps(blocks: readonly Block[], erased: readonly string[], ops: KvOp[]): void {
  for (const block of blocks) {
    for (const entry of block.entries) {
      if (readSealedPayload(entry).type === 'sealed') ops.push({ type: 'put', key: keys.wanted(entryId(entry)), value: EMPTY })
    }
  }
  for (const hex of erased) ops.push({ type: 'del', key: keys.wanted(fromHex(hex)) })
}
