// The replica's timers (one per kind: setting one replaces the previous), on the
// runtime's clock. A timer that fires becomes an input in the mailbox, handled in turn
// like any other.
import type { TimerKind } from '../../src/consensus/types.ts'
import type { RuntimeTimers, TimerHandle } from './timers.ts'

/** The longest delay setTimeout takes (a larger one fires at once). */
const TIMER_DELAY_MS_MAX = 2 ** 31 - 1

export class ReplicaTimers {
  readonly #clock: RuntimeTimers
  readonly #timers = new Map<TimerKind, TimerHandle>()
  readonly #stopping: () => boolean
  readonly #fire: (kind: TimerKind, round: number) => void

  constructor(clock: RuntimeTimers, stopping: () => boolean, fire: (kind: TimerKind, round: number) => void) {
    this.#clock = clock
    this.#stopping = stopping
    this.#fire = fire
  }

  set(kind: TimerKind, round: number, delayMs: number): void {
    const previous = this.#timers.get(kind)
    if (previous !== undefined) this.#clock.clearTimeout(previous)
    if (this.#stopping()) return
    const delay = Math.max(0, Math.min(delayMs, TIMER_DELAY_MS_MAX))
    this.#timers.set(kind, this.#clock.setTimeout(() => {
      this.#timers.delete(kind)
      this.#fire(kind, round)
    }, delay))
  }

  clearAll(): void {
    for (const timer of this.#timers.values()) this.#clock.clearTimeout(timer)
    this.#timers.clear()
  }
}
