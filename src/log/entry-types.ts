// The shape of an entry, apart from its encoding and checks (entry.ts), so that the
// direct encoder (entry-encoding.ts) and entry.ts both depend on it and not on each other.
export type Hash = Uint8Array

export interface EntryBody {
  /** The agent's Ed25519 public key. */
  readonly agent: Uint8Array
  /** Routing key for queries and write policy, e.g. "acme/planning". */
  readonly namespace: string
  /** Per-agent sequence number: strictly increasing in the committed log (gaps allowed). */
  readonly seq: number
  /** The decision itself: JSON text, kept byte for byte as the agent signed it. */
  readonly payload: string
  /** Ids of other entries this decision refers to: opaque 32-byte values (at most 16)
   * that no verifier checks name an entry (docs/formats.md section 4). */
  readonly refs: readonly Hash[]
  /** Optional client idempotency key ("" when absent). */
  readonly idempotencyKey: string
}

export interface Entry extends EntryBody {
  readonly sig: Uint8Array
}
