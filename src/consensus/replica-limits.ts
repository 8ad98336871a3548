// Default bounds of one replica. Each is a local resource limit, not a consensus rule:
// two replicas with different limits still agree on every block.
import { assert } from '../assert.ts'
import { LIMITS } from '../limits.ts'
import type { ReplicaLimits } from './types.ts'

export const DEFAULT_REPLICA_LIMITS: ReplicaLimits = {
  /** Enough for ~12 full default blocks (4000 entries): a leader always has a full
   * batch, and a burst of clients cannot use unbounded memory. Revisit when the
   * 'mempool-full' rejection count is non-zero under normal load. */
  mempoolEntriesMax: 50_000,
  /** Encoded entry bytes at most: 16 full default blocks (2 MiB each), so a leader still
   * always has a full batch. An entry held in memory costs 2-3x its encoding (its payload
   * as a string, its encoding, the objects around them: ~12 KB for a 4 KiB entry), so
   * this holds the pool under ~100 MB. Over it, entries are refused with
   * 'mempool-bytes-full' (HTTP 503 with Retry-After). */
  mempoolBytesMax: 32 * 1024 * 1024,
  /** Uncommitted blocks: a healthy chain has 2-3; forks and partitions add a few per
   * round. 1024 covers minutes of rounds without commits. */
  pendingBlocksMax: 1024,
  /** Proposals parked while their ancestors are fetched. */
  bufferedProposalsMax: 64,
  /** Blocks per sync message: 64 default-sized full blocks stay under messageBytesMax
   * only if blocks are small; the serving side also stops at the byte limit. */
  syncBlocksMax: 64,
  /** Fetch by hash up to this many heights behind; beyond, fetch committed ranges. */
  syncWindowHeights: 16,
  /** Each retry goes to another peer: n attempts reach every validator once for n <= 16. */
  syncRetriesMax: 16,
  /** About a round trip plus serving and verifying a response of a few MiB: a retry
   * sooner would have a range served twice. */
  syncRetryMs: 1000,
  /** Retries to a cluster that cannot help (its peers down or behind) settle at one
   * every 16 s: a few small messages, and catch-up starts at most that long after a
   * peer can serve again. */
  syncRetryMaxMs: 16_000,
  /** A status poll is n-1 small requests and answers: every 30 s costs nothing, and a
   * node behind on an idle chain notices within that (on start it asks at once). */
  statusIntervalMs: 30_000,
  /** Twice the mempool's entries: an entry is verified once between its first sighting
   * (submission, forward) and its commit. Cleared oldest-first. The cache holds each entry's
   * leaf hash and size, not the entry: ~460 bytes each (measured, Map included), so at
   * most ~46 MB whatever the entries' size. */
  verifiedEntriesMax: 100_000,
  verifiedCertificatesMax: 4096,
  /** Rounds ahead of ours we accept messages for (catch-up needs some slack). */
  futureRoundsMax: 1_000_000,
}

// --- Sync response sizes. A range response must carry at least one whole block and the
// proof that its last block is committed; a test (test/consensus/sync-limits.test.ts)
// checks that the bounds below fit in one message for the largest block a chain may have.

/** Largest encoded block header: its fixed fields and a justify QC signed by
 * LIMITS.validatorsMax validators (65 bytes per signature) is about 17 KiB. */
export const HEADER_BYTES_MAX = 20 * 1024
/** Largest encoded commit certificate, likewise (about 17 KiB). */
export const CERTIFICATE_BYTES_MAX = 20 * 1024
/** CBOR framing of a block around its header and entry encodings: the map head, its two
 * keys, and the entries array's head. */
const BLOCK_FRAMING_BYTES_MAX = 64

/** Largest encoded block of a chain whose blocks hold at most `blockBytesMax` bytes of
 * entry encodings (what block validation counts against the genesis blockBytesMax). */
export function encodedBlockBytesMax(blockBytesMax: number): number {
  return blockBytesMax + HEADER_BYTES_MAX + BLOCK_FRAMING_BYTES_MAX
}

/** What a sync response aims at. Far below the message limit on purpose: a node catching
 * up verifies one response while it has the next one read and sent (range requests are
 * pipelined), and the first one arrives sooner; per-response costs (a round trip, a
 * commit certificate) stay small next to a few thousand entries. */
export const SYNC_RESPONSE_BYTES_TARGET = 1024 * 1024

/** Bytes of blocks one sync response holds at most on a chain with this blockBytesMax:
 * the target, but never less than the largest block (so the first block of a response
 * always fits, and a block over the target is not a special case). */
export function syncResponseBytesMax(blockBytesMax: number): number {
  return Math.max(SYNC_RESPONSE_BYTES_TARGET, encodedBlockBytesMax(blockBytesMax))
}

/** The bound for any chain (its blockBytesMax is at most LIMITS.blockBytesMax). */
export const SYNC_RESPONSE_BYTES_MAX = syncResponseBytesMax(LIMITS.blockBytesMax)

// Relations, checked when the module loads (see also src/limits.ts and src/consensus/sync.ts).
/** A proposal's signature (64 bytes) and the CBOR framing around its block, signature
 * and certificates. */
const PROPOSAL_SIGNATURE_AND_FRAMING_BYTES_MAX = 256
// A proposal carries the largest block, its signature, a TC and a CC. The TC is taken at
// the CC's bound: its signatures plus one round per signer stay under CERTIFICATE_BYTES_MAX
// at LIMITS.validatorsMax (an estimate; the CC's bound is what the test measures).
assert(
  encodedBlockBytesMax(LIMITS.blockBytesMax) + 2 * CERTIFICATE_BYTES_MAX + PROPOSAL_SIGNATURE_AND_FRAMING_BYTES_MAX <= LIMITS.messageBytesMax,
  'the message limit covers the largest block plus its certificates',
)
assert(SYNC_RESPONSE_BYTES_MAX >= encodedBlockBytesMax(LIMITS.blockBytesMax), 'a sync response holds at least the largest block')
assert(DEFAULT_REPLICA_LIMITS.mempoolEntriesMax >= LIMITS.blockEntriesMax, 'the mempool holds a full block of entries')
assert(DEFAULT_REPLICA_LIMITS.mempoolBytesMax >= LIMITS.blockBytesMax, 'the mempool holds a full block of bytes')
assert(DEFAULT_REPLICA_LIMITS.verifiedEntriesMax >= DEFAULT_REPLICA_LIMITS.mempoolEntriesMax, 'the verified-entry cache covers the mempool')
assert(DEFAULT_REPLICA_LIMITS.syncRetryMs <= DEFAULT_REPLICA_LIMITS.syncRetryMaxMs, 'the sync retry backoff starts below its cap')
