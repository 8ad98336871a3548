// When this node first saw each proposal, by block hash: a block's commit latency is
// measured from its first sighting. Bounded: the oldest sighting goes first.
import { toHex } from '../../src/crypto/hash.ts'
import { blockHash, type BlockHeader } from '../../src/log/block.ts'

/** Proposals whose first sighting is remembered for the commit latency metric. */
const PROPOSALS_SEEN_MAX = 1024

export class ProposalSightings {
  /** First sighting of proposals by block hash (hex), for commit latency. */
  readonly #seen = new Map<string, number>()

  note(header: BlockHeader, now: number): void {
    // The hash is computed once more by the replica; it is one SHA-256 of a header.
    const hash = toHex(blockHash(header))
    if (this.#seen.has(hash)) return
    if (this.#seen.size >= PROPOSALS_SEEN_MAX) {
      const oldest = this.#seen.keys().next().value
      if (oldest !== undefined) this.#seen.delete(oldest)
    }
    this.#seen.set(hash, now)
  }

  /** The first sighting of a block (hex hash), forgotten now that it is committed. */
  take(hashHex: string): number | undefined {
    const seen = this.#seen.get(hashHex)
    this.#seen.delete(hashHex)
    return seen
  }
}
