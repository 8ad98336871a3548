// Every bound and tuning constant of the SDK, in one place, each with why it has its
// value. SynodClientOptions may override the timing ones; the byte bounds protect the
// client from a node that sends too much and are fixed.

export const SDK_LIMITS = {
  /** Largest JSON answer read from a node (a query page of 200 entries of 64 KiB with
   * escaping fits; the API caps pages to ~15 MiB). A node sending more is cut off. */
  responseBytesMax: 24 * 1024 * 1024,
  /** Largest single SSE event (one log record: a 64 KiB payload escaped up to 6x, plus
   * hex fields). A longer event is a fault of the node. */
  sseEventBytesMax: 512 * 1024,
  /** How many items a query page asks for (the API caps pages at 200). */
  queryPageLimit: 100,
  /** Most times commit() re-signs an entry with a fresh seq after nodes refused its seq as
   * stale before any node accepted it (another process with the same identity, a clock
   * that went back). Beyond this the error is reported. */
  resequenceMax: 3,
  /** Most times one commit() signs its decision again after f+1 nodes said the signed
   * entry can never commit (a later seq of the agent committed first). Each new entry
   * has a seq above every one this client signed before, so only commits signed after
   * it can overtake it again; a few rounds are plenty. Beyond it: SeqSupersededError. */
  supersededResignMax: 5,
  /** Most uploads of a sealed entry's sidecar to one node. A node refuses it until it has
   * committed the entry itself; a node a few blocks behind catches up within a few
   * tries, and the commit deadline bounds the whole upload anyway. */
  sidecarUploadTriesMax: 12,
  /** Least wait between two uploads to a node that had not committed the entry: about
   * a block's time, so the tries span several blocks rather than a burst. */
  sidecarRetryMinMs: 100,
  /** Uploads to a node that does not answer at all: a down node would otherwise hold
   * commitSealed() to its deadline. The writer can upload again (uploadSealed). */
  sidecarUnreachableTriesMax: 2,
  /** The bound after which commit() waits for its receipt on every node is
   * receiptWidenFactor times the median of the last receiptWidenSamples receipt waits of
   * the client (from the entry's first acceptance to its verified receipt), within
   * [receiptWidenFloorMs, receiptWidenMs]: a node slower than twice the usual costs a
   * commit little, and most commits (those near the median) need one request. The
   * floor keeps a fast chain's jitter (a few ms) from widening every commit. */
  receiptWidenFactor: 2,
  receiptWidenSamples: 32,
  receiptWidenFloorMs: 25,
  /** A receipt request whose askers have all gone (their commit got its receipt from
   * another node) is left to finish for this long before it is aborted: that node's
   * answer usually follows within a frame and a write, and an answered request keeps
   * its keep-alive connection, where an abort closes it (the next request then opens a
   * new one). Its answer is dropped. A hung node's request is cut off after it. */
  receiptLingerMs: 250,
} as const

/** Timing defaults: each overridable per client (SynodClientOptions) or per call. */
export const SDK_DEFAULTS = {
  /** Whole commit(), from signing to a verified receipt. A block commits in tens of ms on
   * a healthy chain; 30 s rides out a few view changes (roundTimeoutMs 1 s doubling). */
  commitTimeoutMs: 30_000,
  /** One HTTP request to one node. Beyond it the node counts as unreachable for that try. */
  requestTimeoutMs: 10_000,
  /** Retry backoff: full jitter, uniformly in [0, min(backoffMaxMs, backoffBaseMs * 2^attempt)]
   * (the "full jitter" of the AWS architecture blog), so many clients retrying after one
   * outage spread out instead of stampeding. */
  backoffBaseMs: 25,
  backoffMaxMs: 1_000,
  /** Receipt polling: first poll after this, then growing by half up to receiptPollMaxMs.
   * Watch the commit latency: polls should rarely exceed one per block. */
  receiptPollMs: 20,
  receiptPollMaxMs: 500,
  /** commit() and awaitReceipt() wait for a receipt with long polls (commit() on one
   * node first, see receiptWidenMs; awaitReceipt() on every node) (GET
   * /v1/receipts/:id?wait=MS, at most 10 s on the server), asking again at once when a
   * wait ends without one: the receipt arrives when the node has it, with no polling
   * delay, in about one request per node asked. 0 turns long polls off (polling
   * with receiptPollMs). A node that does not support waiting is polled. */
  receiptWaitMs: 5_000,
  /** One receipt request in a polling round: short, so one hung node does not hold up a
   * round that the others answered. */
  receiptRequestTimeoutMs: 2_000,
  /** commit() waits for its receipt with one long poll on one node (the node that served
   * this client's last receipt, else the first that took the entry), and on every other
   * node only after a bound without one, or at once when that node errs, answers
   * without waiting or proves faulty. Any honest node has the receipt within a frame and
   * a write of the first (the commit certificate's former sends it on at once), so one
   * node is enough on the common path: 1 receipt request per commit instead of one per
   * node, none aborted. The bound is what a hung or slow node can add to a commit: twice
   * the median of the client's recent receipt waits (SDK_LIMITS.receiptWiden*), at most
   * this: a light-load commit's p99 on a loaded 2-core machine is 80-230 ms. */
  receiptWidenMs: 200,
  /** An accepted entry with no receipt after this long is submitted again (same signed
   * entry, so the same id: a node that has it answers 'duplicate'). Covers a node that
   * restarted and lost its mempool. */
  resubmitMs: 3_000,
  /** A node that served an invalid proof is asked last for this long (it is still asked
   * when every other node fails: trust comes from verification, not from reputation). */
  faultCooldownMs: 60_000,
  /** commit() batching (sdk/batching.ts): commits that arrive while this client's
   * submissions are in flight go out together in the next POST /v1/entries/batch, at
   * most this many entries (the API takes up to 256)... */
  batchEntriesMax: 128,
  /** ...and at most this many bytes of entry JSON per node request (the API's body limit
   * is 448 KiB; an entry larger than this goes alone, as a single submit). */
  batchBytesMax: 256 * 1024,
  /** After a batch answered, time to let more commits join the next one before it goes
   * (only when it is not full). Never on an idle client: a commit with nothing in flight
   * is sent at once. */
  batchLingerMs: 2,
  /** Most ids in one receipt request (POST /v1/receipts/batch; the API takes up to 256). */
  receiptBatchIdsMax: 128,
  /** Receipt requests open at once per node: a second one starts for new ids while one
   * waits, so that ids which settle late do not hold back ids that settle early. */
  receiptRequestsPerNodeMax: 2,
  /** subscribe(): wait before reconnecting to the next node after a stream ends. */
  reconnectMs: 100,
} as const
