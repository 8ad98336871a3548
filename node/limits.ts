// The node daemon's bounds and tuning constants, in one place. The protocol's hard
// limits (message bytes, block size...) are in src/limits.ts; these bound the node's own
// queues, retries and caches. Each says why it has its value and which metric tells
// when to revisit it.
import { assert } from '../src/assert.ts'
import { LIMITS } from '../src/limits.ts'
import { SEALED_KEY_BYTES } from '../src/sealed/payload.ts'
import { SEALED_OVERHEAD_BYTES } from '../src/sealed/sidecar.ts'

/** Bytes of the largest sealed blob: the largest plaintext, its nonce (12) and tag (16). */
const SEALED_BLOB_BYTES_MAX = LIMITS.sealedPlaintextBytesMax + SEALED_OVERHEAD_BYTES

export const NODE_LIMITS = {
  // --- transport (node/net) ---
  /** Frames queued for one peer's consensus stream before the oldest is dropped. Votes
   * and timeouts of old rounds are worthless, so dropping the oldest keeps the fresh
   * ones flowing. Revisit if `net_send_dropped_total` grows while peers are healthy. */
  sendQueueMessagesMax: 1024,
  /** Bytes queued for one peer before the oldest frames are dropped (a few full blocks). */
  sendQueueBytesMax: 32 * 1024 * 1024,
  /** Received messages held per peer until the driver takes them; a flooding peer fills
   * only its own queue (round-robin across peers). Revisit with `net_receive_dropped_total`. */
  receiveQueueMessagesMax: 4096,
  /** Received bytes held per peer (bounds memory under a flood of large frames). */
  receiveQueueBytesMax: 64 * 1024 * 1024,
  /** Concurrent inbound consensus streams one connection may open. We use one per peer;
   * a few more cover reconnect races. */
  streamsPerConnectionMax: 4,
  /** First and largest delay between redials of a disconnected validator. */
  redialDelayMsMin: 200,
  redialDelayMsMax: 10_000,
  /** Time allowed for one dial or one stream open before it counts as failed. */
  dialTimeoutMs: 5_000,
  /** Penalty points before a validator is disconnected for a cool-off; one point per
   * malformed frame or rejected message. */
  peerPenaltyMax: 20,
  /** Penalty points decay: all forgiven after this long without a new one. */
  peerPenaltyWindowMs: 60_000,
  /** How long a disconnected misbehaving peer is refused. Short: it is still a validator
   * whose votes liveness may need. */
  peerCooloffMs: 15_000,

  // --- sidecar replication (node/net/sidecar-exchange.ts, node/runtime/sidecar-replication.ts) ---
  /** The largest sidecar frame: a 'sidecar' frame with the largest blob (64 KiB + 28), a
   * 32-byte key and a 32-byte id, plus 256 bytes for the CBOR map around them (its member
   * names and length headers take 32). A frame over it is refused as oversized. */
  sidecarFrameBytesMax: SEALED_BLOB_BYTES_MAX + SEALED_KEY_BYTES + 32 + 256,
  /** Sidecar frames one peer may send us per second (token bucket, refilled evenly), and
   * the burst it may spend at once. A frame over the rate is ignored (not answered, not
   * checked): an honest peer sends one 'have' per upload and one 'want' per sidecar it
   * lacks, so 32 a second leaves room for a burst of uploads while a flooding peer costs
   * at most 32 * 64 KiB = 2 MiB/s of checks. Revisit if
   * `synod_sidecar_frames_refused_total{code="rate-limited"}` grows on a healthy chain. */
  sidecarFramesPerPeerPerSecond: 32,
  sidecarFramesPerPeerBurst: 64,
  /** Inbound sidecar streams of one connection open at once (one frame each). */
  sidecarStreamsPerConnectionMax: 8,
  /** Received sidecar frames being checked or answered at once, over all peers; beyond it
   * a frame is ignored (the peer asks again, or another peer answers). */
  sidecarInboundMax: 16,
  /** 'have' announcements waiting to be sent, over all peers; beyond it the oldest go (the
   * peers that miss one pull the sidecar from their wanted list instead). Revisit with
   * `synod_sidecar_replication_total{event="announce-dropped"}`. */
  sidecarAnnounceQueueMax: 1024,
  /** Wanted sidecars (committed sealed entries without one here) held in memory; the rest
   * wait in the store's wanted index and are loaded as these are settled. Revisit if
   * `synod_sidecars_wanted` sits at this bound. */
  sidecarWantedMax: 512,
  /** Wanted sidecars loaded from the store's index per read. */
  sidecarWantedPageMax: 128,
  /** Requests for sidecars in flight at once (each to one peer, one sidecar). */
  sidecarRequestsInFlightMax: 4,
  /** Time one request (stream open, frame out, answer in) may take before it fails. */
  sidecarRequestTimeoutMs: 5_000,
  /** Rounds of asking every connected peer for one wanted sidecar before this node stops
   * asking (until it restarts, or a peer announces it): with the delays below, about two
   * minutes, long enough for a writer that uploads a moment after the commit. */
  sidecarPullRoundsMax: 8,
  /** Delay before the first round (a fresh commit: let the uploader's announcement come
   * first) and between rounds, doubling up to the largest. */
  sidecarPullDelayMsMin: 1_000,
  sidecarPullDelayMsMax: 30_000,
  /** How often the pull tick runs (due requests, index reads). */
  sidecarPullTickMs: 250,

  // --- storage (node/store) ---
  /** Most items one paged query returns. */
  queryPageMax: 1000,
  /** Blocks at the head that the quick store check (at every start) re-verifies fully:
   * headers chained, entries hashed into the accumulator, every index. A crash can only
   * damage the last writes. */
  storeCheckRecentBlocks: 64,
  /** ... and no more of them than hold this many entries (the last block always): bounds
   * the start check when blocks are large (about 200 µs of CPU per entry fully checked). */
  storeCheckRecentEntries: 2048,
  /** Log indexes and heights the quick store check samples evenly over the whole store
   * (entry, its id index, its leaf; header and accumulator): finds lost tables, which hold
   * old data, at O(samples) reads. */
  storeCheckSamples: 256,
  /** Findings kept by one store check; past this it stops (the store is damaged anyway). */
  storeCheckFindingsMax: 50,
  /** Headers or index keys read per scan by the full store check (bounds its memory). */
  storeCheckPageMax: 1024,

  // --- runtime (node/runtime) ---
  /** Events waiting for the driver (messages, timers, submissions) before new network
   * messages are dropped; local submissions get back-pressure instead. */
  driverQueueMax: 16_384,
  /** Encoded bytes of relayed entry batches waiting for the driver; over it new batches
   * are dropped (their entries also travel in proposals). Decoded, an entry batch takes
   * 2-3x its encoding in memory, so this holds at most ~50 MB. Revisit with the
   * bulk-dropped count. */
  bulkQueueBytesMax: 16 * 1024 * 1024,
  /** Entries waiting to be handed to the replica in one event. */
  submitBatchMax: 1000,
  /** Most pending submissions the node remembers (for GET /v1/entries/:id and commit
   * latency), in count and in encoded bytes: the oldest record goes first. The entries are
   * mostly the mempool's own objects, but a record outlives an entry the mempool dropped,
   * so it has its own byte bound (same as the mempool's). */
  pendingSubmissionsMax: 50_000,
  /** Commit certificates kept while the block they certify is still being written (a
   * certificate can arrive while its commit is in flight); stored once the commit lands.
   * A few heights cover the commits of one step; more are ones a sync will bring again. */
  earlyCommitCertificatesMax: 64,
  /** Entries found superseded (a later seq of their agent committed first) that the node
   * remembers, to answer lookups and receipt waits for them with 'superseded' at once.
   * A record is an id and two seqs (~150 bytes), so this costs ~1.5 MB at most; beyond it
   * the oldest is forgotten and a lookup answers 'unknown' (a resubmission of the entry
   * still gets 'stale-seq', checked against the log). Clients learn within seconds. */
  supersededEntriesMax: 10_000,
  pendingSubmissionsBytesMax: 32 * 1024 * 1024,
  /** Time allowed for a clean shutdown before the process exits anyway. */
  shutdownMsMax: 10_000,
} as const

assert(SEALED_BLOB_BYTES_MAX === 65_536 + 28, 'the largest blob is 64 KiB + 28 (docs/formats.md section 14)')
// The CBOR map of the largest 'sidecar' frame: its header (1), four member names (t, id,
// key, blob: 2 + 3 + 4 + 5 bytes), the value of t (8), the id's and the key's 2-byte
// headers and the blob's 5-byte one: 32 bytes around blob, key and id (65,660 in all,
// test/node/sidecar-checks.test.ts); 64 leaves room.
assert(NODE_LIMITS.sidecarFrameBytesMax >= SEALED_BLOB_BYTES_MAX + SEALED_KEY_BYTES + 32 + 64, 'the largest sidecar (blob, key, id and its CBOR map) fits in a sidecar frame')
assert(NODE_LIMITS.sidecarFrameBytesMax <= LIMITS.messageBytesMax, 'a sidecar frame is no larger than a consensus message')
assert(NODE_LIMITS.sidecarFramesPerPeerBurst >= NODE_LIMITS.sidecarFramesPerPeerPerSecond, 'the burst holds at least one second of frames')
assert(NODE_LIMITS.sidecarWantedPageMax <= NODE_LIMITS.sidecarWantedMax, 'one read of the wanted index fits in memory')
assert(NODE_LIMITS.sidecarPullDelayMsMin <= NODE_LIMITS.sidecarPullDelayMsMax, 'the pull delay grows up to its largest')
assert(NODE_LIMITS.sidecarPullTickMs < NODE_LIMITS.sidecarPullDelayMsMin, 'the pull tick is finer than the shortest pull delay')
assert(NODE_LIMITS.sidecarRequestsInFlightMax <= NODE_LIMITS.sidecarInboundMax, 'a peer as busy as this node can answer all its requests at once')
