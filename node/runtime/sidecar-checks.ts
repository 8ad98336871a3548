// What a node does with a sidecar a peer sends it (docs/formats.md section 14, "Sidecar
// replication"): exactly the checks of an upload (node/api/routes/sealed.ts), in the same
// order and with the same codes, before the store keeps it. So a peer can withhold a
// sidecar but never substitute one: a blob or key that is not the one the committed entry
// commits to is refused, and the peer that sent it is penalised. Nothing is kept for an
// entry this node has not committed, nor for one whose erase it has committed.
import { toHex } from '../../src/crypto/hash.ts'
import type { Hash } from '../../src/log/entry.ts'
import { readSealedPayload } from '../../src/sealed/payload.ts'
import { checkSidecar, type Sidecar, type SidecarProblemCode } from '../../src/sealed/sidecar.ts'
import type { Store } from '../store/store.ts'

/** Refusals that prove the sender wrong whatever its view of the log: the committed
 * entry is not sealed, or the sidecar does not match its commitments. */
export type ReceivedSidecarRejectCode = 'not-sealed' | `sidecar-${SidecarProblemCode}`

/** Refusals that are no proof against the sender: this node has not committed the entry
 * yet (it is behind, or the entry is pending here), or has committed its erase (the
 * sender may not have yet). */
export type ReceivedSidecarIgnoreCode = 'entry-not-committed' | 'erased'

export type ReceivedSidecarOutcome =
  | { readonly verdict: 'accept', readonly code: 'stored' | 'duplicate' }
  | { readonly verdict: 'ignore', readonly code: ReceivedSidecarIgnoreCode, readonly reason: string }
  | { readonly verdict: 'reject', readonly code: ReceivedSidecarRejectCode, readonly reason: string }

/** Checks a sidecar received from a peer for entry `id` and keeps it if it passes. */
export async function receiveSidecar(store: Store, id: Hash, sidecar: Sidecar): Promise<ReceivedSidecarOutcome> {
  const stored = await store.entryById(id)
  if (stored === undefined) return { verdict: 'ignore', code: 'entry-not-committed', reason: `entry ${toHex(id)} is not committed here` }
  const read = readSealedPayload(stored.entry)
  if (read.type !== 'sealed') return { verdict: 'reject', code: 'not-sealed', reason: `entry ${toHex(id)} is not a sealed entry` }
  const problem = checkSidecar(read.spec, sidecar)
  if (problem !== null) return { verdict: 'reject', code: `sidecar-${problem.code}`, reason: `the sidecar of ${toHex(id)}: ${problem.reason}` }
  // The store refuses it when an erase is committed, serialised with the commits: a
  // sidecar racing its erase is either deleted by the erase's commit or refused after it.
  const result = await store.putSidecar(id, sidecar)
  if (result === 'erased') return { verdict: 'ignore', code: 'erased', reason: `sealed entry ${toHex(id)} is erased` }
  return { verdict: 'accept', code: result }
}
