// The node daemon's bounds and tuning constants, in one place. The protocol's hard
// limits (message bytes, block size...) are in src/limits.ts; these bound the node's own
// queues, retries and caches. Each says why it has its value and which metric tells
// when to revisit it.
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
