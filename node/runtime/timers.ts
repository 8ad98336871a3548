// The real-time services the validator node uses (timers and a monotonic clock), behind
// one interface: production uses the process's own, the deterministic simulator
// (scenarios/sim/node-sim.ts) supplies virtual ones so a seed replays the node exactly.

/** Whatever setTimeout returned; only passed back to clearTimeout. */
export type TimerHandle = unknown

export interface RuntimeTimers {
  /** Monotonic milliseconds, for durations and batching (never for protocol time). */
  monotonicMs(): number
  setTimeout(callback: () => void, delayMs: number): TimerHandle
  clearTimeout(handle: TimerHandle): void
}

/** The process's timers and performance.now(). */
export const REAL_TIMERS: RuntimeTimers = {
  monotonicMs: () => performance.now(),
  setTimeout: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
}
