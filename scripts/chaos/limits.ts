// Every bound and tuning value of the chaos run (npm run chaos), each with why it has
// its value. Every loop of the run is bounded by one of these, in count and in time.

export const CHAOS_LIMITS = {
  /** Validators: 4 is the smallest cluster that tolerates a fault (f = 1). */
  nodes: 4,
  /** SDK clients committing at once; each is one agent identity with its own seqs. */
  agents: 4,
  /** Shortest and longest run (seconds of load and faults). */
  durationSMin: 10,
  durationSMax: 3_600,
  /** Time for the validators to connect to each other before load starts. */
  peersWaitMs: 60_000,

  // --- load ---
  /** Chance that an agent's next action is a burst of concurrent commit() calls on its
   * one client (docs/sdk.md says they are fine) rather than one commit at a time. */
  burstChance: 0.3,
  /** Concurrent commits in a burst. */
  burstSizeMin: 2,
  burstSizeMax: 8,
  /** Pause between an agent's actions: the load is steady but not a flood (two shared
   * cores run 4 validators and this process). */
  pauseMsMin: 0,
  pauseMsMax: 150,
  /** Padding of a payload, in bytes: small and varied. */
  payloadPadMax: 512,
  /** commit() deadline: the SDK default, which rides out a few view changes. A commit
   * that takes longer is a finding (reported as a timed-out commit). */
  commitTimeoutMs: 30_000,
  /** Commits one run may start at most (a bound on the load loop's count). */
  commitsMax: 2_000_000,

  // --- faults ---
  /** Gap between the end of one kill-restart cycle and the next kill. */
  killGapMsMin: 2_000,
  killGapMsMax: 9_000,
  /** How long a killed validator stays down before its restart (0: at once). */
  downMsMax: 6_000,
  /** A 'burst' kill waits this long at most for the load's next burst, then kills anyway. */
  burstWaitMsMax: 10_000,
  /** A 'burst' kill comes this soon after the burst's commits start (entries in flight). */
  afterBurstMsMax: 50,
  /** Kills one run makes at most (the fault loop's count bound). */
  killsMax: 10_000,

  // --- settle and checks ---
  /** After load stops: time for commits still in flight to end before they are aborted
   * (their own deadline, commitTimeoutMs, plus a margin). */
  inFlightWaitMs: 35_000,
  /** Then: time for the cluster to go idle (same head everywhere, empty mempools). */
  settleMsMax: 30_000,
  /** Idle means this many polls in a row saw the same head on every node and no entry
   * in any mempool. */
  idlePolls: 3,
  /** Poll period while settling. */
  pollMs: 500,
  /** Largest export read from one node into memory for the checks (an hour of chaos load
   * is well below it). */
  exportBytesMax: 512 * 1024 * 1024,
  /** Time for one node's export to stream. */
  exportMsMax: 120_000,
  /** Problems listed per failed check (the count is always given). */
  examplesMax: 5,
  /** pino's level of error: a log line at this level or above fails the run. */
  errorLogLevel: 50,
  /** Largest node.log read for the error-line check. */
  logBytesMax: 256 * 1024 * 1024,
} as const
