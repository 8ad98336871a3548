// Bounds on what a scenario may ask for, each with why. A scenario beyond them is an
// error at definition time, not a run that never finishes.

export const DSL_LIMITS = {
  /** The protocol needs n >= 4; beyond 64 a simulated run takes minutes per seed. */
  nodesMin: 4,
  nodesMax: 64,
  /** Fault phases from 100 ms (a few rounds) to 10 minutes of virtual time. */
  durationMsMin: 100,
  durationMsMax: 600_000,
  /** The simulator's liveness bound (docs/protocol.md): 20 s of virtual time. */
  livenessBoundMsDefault: 20_000,
  /** Link delays up to 1 minute: more is a partition, and should be written as one. */
  delayMsMax: 60_000,
  /** Timer speed 10x slower to 10x faster: beyond, one node's rounds dwarf the others'. */
  skewRateMin: 0.1,
  skewRateMax: 10,
  /** A timeline of a thousand faults is already beyond what a report can draw legibly. */
  faultsMax: 1000,
  /** Twins-style round partitions: the Twins paper's schedules run a handful of rounds. */
  roundPartitionsMax: 64,
  agentsMax: 64,
  /** Entries per second of virtual time: more makes every block full and runs slow. */
  ratePerSecondMax: 5000,
  nameLengthMax: 64,
} as const
