// The store check's certificate layer: the latest commit and quorum certificates (all
// of them in full mode) decode, sit at or below the head, and name the stored block; every
// boundary certificate ('K', one per epoch change) decodes and fits its stored block.
import { bytesEqual, decodeCanonical } from '../../src/codec/cbor.ts'
import { blockHash, type BlockHeader } from '../../src/log/block.ts'
import { ccFromCbor, qcFromCbor } from '../../src/log/certificates.ts'
import { boundaryShapeProblem } from '../../src/log/epochs.ts'
import { NODE_LIMITS } from '../limits.ts'
import { prefixEnd, readU64, TAG } from './keys.ts'
import { type CheckContext } from './store-check-context.ts'
import { decodeStoredBoundary } from './store-records.ts'

/** The latest commit certificate (all of them in full mode) names a stored block. */
export async function checkCertificates(ctx: CheckContext, head: BlockHeader): Promise<void> {
  const ranges: [number, 'commit' | 'quorum'][] = [[TAG.cc, 'commit'], [TAG.qc, 'quorum']]
  for (const [tag, what] of ranges) {
    let from: Uint8Array = Uint8Array.of(tag)
    const end = Uint8Array.of(tag + 1)
    for (;;) {
      const rows = ctx.full
        ? await ctx.kv.scan({ gte: from, lt: end, limit: NODE_LIMITS.storeCheckPageMax })
        : await ctx.kv.scan({ gte: from, lt: end, reverse: true, limit: 1 })
      for (const [k, v] of rows) {
        const height = readU64(k, 1)
        let block: Uint8Array
        try {
          const cert = what === 'commit' ? ccFromCbor(decodeCanonical(v)) : qcFromCbor(decodeCanonical(v))
          block = cert.block
          if (cert.height !== height) ctx.add('certificate-corrupt', `the ${what} certificate stored at height ${height} says height ${cert.height}`)
        } catch (err) {
          ctx.add('certificate-corrupt', `the ${what} certificate at height ${height} does not decode: ${(err as Error).message}`)
          continue
        }
        if (height > head.height) {
          ctx.add('certificate-extra', `a ${what} certificate is stored for height ${height}, above the head ${head.height}`)
          continue
        }
        const header = await ctx.header(height)
        if (header !== undefined && !bytesEqual(blockHash(header), block)) ctx.add('certificate-mismatch', `the ${what} certificate at height ${height} names another block than the stored one`)
      }
      if (!ctx.full || rows.length < NODE_LIMITS.storeCheckPageMax) break
      from = prefixEnd(rows.at(-1)![0])
    }
  }
}

/** Every boundary certificate decodes, is for a committed height, and is one for the
 * block stored there (its shape: the replica verified its signatures before storing it).
 * Always all of them: there is one per epoch change. */
export async function checkBoundaryCertificates(ctx: CheckContext, head: BlockHeader): Promise<void> {
  let from: Uint8Array = Uint8Array.of(TAG.boundary)
  const end = Uint8Array.of(TAG.boundary + 1)
  for (;;) {
    const rows = await ctx.kv.scan({ gte: from, lt: end, limit: NODE_LIMITS.storeCheckPageMax })
    for (const [k, v] of rows) {
      const height = readU64(k, 1)
      if (height > head.height || height < 1) {
        ctx.add('certificate-extra', `a boundary certificate is stored for height ${height}, outside the committed heights 1..${head.height}`)
        continue
      }
      let problem: string | null
      try {
        const boundary = decodeStoredBoundary(v)
        const header = await ctx.header(height)
        if (header === undefined) continue
        problem = boundaryShapeProblem(boundary.cc, boundary.links, blockHash(header), header)
      } catch (err) {
        ctx.add('certificate-corrupt', `the boundary certificate at height ${height} does not decode: ${(err as Error).message}`)
        continue
      }
      if (problem !== null) ctx.add('certificate-mismatch', `the boundary certificate at height ${height} is not one for the stored block: ${problem}`)
    }
    if (rows.length < NODE_LIMITS.storeCheckPageMax) break
    from = prefixEnd(rows.at(-1)![0])
  }
}
