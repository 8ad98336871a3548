// The store check's sidecar layer (full mode; docs/formats.md section 14): every kept
// sidecar decodes, belongs to a committed sealed entry and matches its commitments, and
// none is kept for an entry whose erase is committed (that would be an erasure that did
// not happen: the tombstone and the delete are written in one batch); every tombstone
// names its erase by a 32-byte id or the height its retention ended at (8 bytes); every
// pending expiry is above the head (one at or below it was due and not applied); every
// wanted mark (sidecar replication) names a committed sealed entry that has neither a
// sidecar nor a tombstone here.
import { decodeCanonical } from '../../src/codec/cbor.ts'
import { toHex } from '../../src/crypto/hash.ts'
import { decodeEntry } from '../../src/log/entry.ts'
import { readSealedPayload } from '../../src/sealed/payload.ts'
import { checkSidecar, sidecarFromCbor } from '../../src/sealed/sidecar.ts'
import { NODE_LIMITS } from '../limits.ts'
import { keys, prefixEnd, readU64, TAG } from './keys.ts'
import { type CheckContext } from './store-check-context.ts'

export async function checkSidecars(ctx: CheckContext, logSize: number, headHeight: number): Promise<void> {
  for (const tag of [TAG.sidecar, TAG.erased, TAG.expiry, TAG.wanted]) {
    let from: Uint8Array = Uint8Array.of(tag)
    const end = Uint8Array.of(tag + 1)
    for (;;) {
      const rows = await ctx.kv.scan({ gte: from, lt: end, limit: NODE_LIMITS.storeCheckPageMax })
      for (const [k, v] of rows) {
        const id = k.subarray(1)
        if (tag === TAG.erased) {
          if (id.length !== 32 || (v.length !== 32 && v.length !== 8)) ctx.add('tombstone-corrupt', `the erasure tombstone under key ${toHex(k).slice(0, 80)} is not a 32-byte id naming a 32-byte erase id or an 8-byte height`)
          continue
        }
        if (tag === TAG.expiry) {
          if (k.length !== 41 || v.length !== 0) ctx.add('expiry-corrupt', `the retention expiry under key ${toHex(k).slice(0, 90)} is not a height and a 32-byte id with no value`)
          else if (readU64(k, 1) <= headHeight) ctx.add('expiry-not-applied', `the retention of ${toHex(k.subarray(9))} ended at height ${readU64(k, 1)}, at or below the head ${headHeight}, and is still pending`)
          continue
        }
        if (tag === TAG.wanted) {
          await checkWanted(ctx, id, v, logSize)
          continue
        }
        await checkOne(ctx, id, v, logSize)
      }
      if (rows.length < NODE_LIMITS.storeCheckPageMax) break
      from = prefixEnd(rows.at(-1)![0])
    }
  }
}

/** The committed sealed entry with this id, or the reason it is none. */
async function committedSealed(ctx: CheckContext, id: Uint8Array, logSize: number): Promise<ReturnType<typeof readSealedPayload> | 'no committed entry'> {
  const location = id.length === 32 ? await ctx.kv.get(keys.entry(id)) : undefined
  const index = location === undefined ? undefined : readU64(location, 0)
  const data = index === undefined || index >= logSize ? undefined : await ctx.kv.get(keys.data(index))
  return data === undefined ? 'no committed entry' : readSealedPayload(decodeEntry(data.subarray(8)))
}

async function checkWanted(ctx: CheckContext, id: Uint8Array, value: Uint8Array, logSize: number): Promise<void> {
  const idHex = toHex(id)
  const read = await committedSealed(ctx, id, logSize)
  if (value.length !== 0 || read === 'no committed entry' || read.type !== 'sealed') {
    ctx.add('wanted-orphan', `the wanted mark of ${idHex.slice(0, 80)} names no committed sealed entry (or holds a value)`)
    return
  }
  const [erased, kept] = await ctx.kv.getMany([keys.erased(id), keys.sidecar(id)])
  if (erased !== undefined || kept !== undefined) ctx.add('wanted-stale', `${idHex} is marked wanted although its ${erased !== undefined ? 'erase is committed' : 'sidecar is kept'}`)
}

async function checkOne(ctx: CheckContext, id: Uint8Array, value: Uint8Array, logSize: number): Promise<void> {
  const idHex = toHex(id)
  let sidecar
  try {
    sidecar = sidecarFromCbor(decodeCanonical(value))
  } catch (err) {
    ctx.add('sidecar-corrupt', `the sidecar of ${idHex} does not decode: ${(err as Error).message}`)
    return
  }
  if ((await ctx.kv.get(keys.erased(id))) !== undefined) {
    ctx.add('sidecar-not-erased', `a sidecar is kept for ${idHex}, whose erase is committed`)
    return
  }
  const read = await committedSealed(ctx, id, logSize)
  if (read === 'no committed entry') {
    ctx.add('sidecar-orphan', `a sidecar is kept for ${idHex}, which is no committed entry`)
    return
  }
  if (read.type !== 'sealed') {
    ctx.add('sidecar-orphan', `a sidecar is kept for ${idHex}, which is not a sealed entry`)
    return
  }
  const problem = checkSidecar(read.spec, sidecar)
  if (problem !== null) ctx.add('sidecar-mismatch', `the sidecar of ${idHex}: ${problem.reason}`)
}
