// TEST DOUBLE: one node's sidecars of sealed entries in memory (node/api/backend.ts
// SidecarSource), for the API's and the SDK's tests. The in-memory ledger
// (memory-backend.ts) tells every node's MemorySidecars of each erase it commits, as a
// validator's chain store deletes the sidecar in the commit of its erase.
import { toHex } from '../../src/crypto/hash.ts'
import type { Hash } from '../../src/log/entry.ts'
import type { Sidecar, SidecarLookup } from '../../src/sealed/sidecar.ts'
import type { SidecarSource } from '../../node/api/backend.ts'

export class MemorySidecars implements SidecarSource {
  readonly #kept = new Map<string, Sidecar>()
  readonly #erased = new Map<string, SidecarLookup & { status: 'erased' }>()

  /** Sidecars held now (for tests that look inside). */
  get size(): number {
    return this.#kept.size
  }

  async get(id: Hash): Promise<SidecarLookup> {
    const erased = this.#erased.get(toHex(id))
    if (erased !== undefined) return erased
    const kept = this.#kept.get(toHex(id))
    return kept === undefined ? { status: 'missing' } : { status: 'stored', sidecar: kept }
  }

  async put(id: Hash, sidecar: Sidecar): Promise<'stored' | 'duplicate' | 'erased'> {
    const idHex = toHex(id)
    if (this.#erased.has(idHex)) return 'erased'
    const kept = this.#kept.get(idHex)
    if (kept !== undefined && (sidecar.key === null || kept.key !== null)) return 'duplicate'
    this.#kept.set(idHex, { blob: Uint8Array.from(sidecar.blob), key: sidecar.key === null ? null : Uint8Array.from(sidecar.key) })
    return 'stored'
  }

  /** The commit of an erasure of `id`: by the erase entry `by`, or by its namespace's
   * retention at height `by`. */
  erase(id: Hash, by: Hash | number): void {
    this.#kept.delete(toHex(id))
    this.#erased.set(toHex(id), typeof by === 'number' ? { status: 'erased', erase: null, expiredAt: by } : { status: 'erased', erase: by, expiredAt: null })
  }
}
