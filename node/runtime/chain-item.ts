// One block of an export (docs/formats.md, the export format) as the store holds it.
import type { Block } from '../../src/log/block.ts'
import type { ChainItem } from '../../src/log/verify.ts'
import type { Store } from '../store/store.ts'

/** The block with its commit certificate; a reconfiguration block with its boundary
 * certificate instead (docs/formats.md section 15.3): its own CC, or a suffix block's
 * with the headers that link the block to it, which an auditor needs to move to the
 * next epoch's set. */
export async function chainItemOf(store: Store, block: Block): Promise<ChainItem> {
  const height = block.header.height
  const boundary = await store.boundaryCertificateAt(height)
  if (boundary === undefined) return { block, cc: (await store.commitCertificate(height)) ?? null }
  return boundary.links.length === 0 ? { block, cc: boundary.cc } : { block, cc: boundary.cc, links: boundary.links }
}
