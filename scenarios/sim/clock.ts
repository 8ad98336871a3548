// Virtual time and the event queue of a simulation run. Every event carries its virtual
// time; the queue hands them out in (time, scheduling order), so two runs of one seed
// see the same interleaving.
import type { Entry } from '../../src/log/entry.ts'
import type { Message, TimerKind } from '../../src/consensus/types.ts'
import { EventHeap } from './heap.ts'

export type SimEvent =
  | { kind: 'deliver', to: number, from: number, message: Message }
  | { kind: 'timer', inst: number, timerKind: TimerKind, round: number, token: number }
  | { kind: 'submit', inst: number, entries: Entry[] }
  | { kind: 'crash', inst: number, downMs: number }
  | { kind: 'restart', inst: number }
  | { kind: 'partition', durationMs: number }
  | { kind: 'heal' }
  | { kind: 'workload' }
  | { kind: 'faults-stop' }
  | { kind: 'probe' }
  | { kind: 'fault', index: number, phase: 'start' | 'end' }
  | { kind: 'sample' }

/** A fault as it actually happened (scheduled, seed-derived or a mid-step crash). */
export interface SimMark {
  readonly at: number
  until?: number
  readonly kind: string
  readonly label: string
}

/** The event loop's budget: a run that needs more is stuck in a message storm. */
const EVENTS_MAX = 20_000_000

export class SimClock {
  readonly #heap = new EventHeap<SimEvent>()
  #now = 0
  #timerToken = 0
  /** The safety phase: network faults, random crashes and mid-step crashes happen.
   * Cleared by the faults-stop event (not by the clock passing faultsStopMs: events
   * scheduled earlier for that same instant still run with faults on). */
  faultsOn = true

  get now(): number {
    return this.#now
  }

  /** Schedules `event` at virtual time `time`. */
  at(time: number, event: SimEvent): void {
    this.#heap.push(time, event)
  }

  /** A fresh token for a timer (a re-armed timer makes the older event stale). */
  nextTimerToken(): number {
    return ++this.#timerToken
  }

  /** Runs events in order until the queue is empty or the next one is past `deadline`,
   * or `stop(count)` says so after the count-th event. True when `stop` ended the run. */
  drain(deadline: number, handle: (event: SimEvent) => void, stop: (count: number) => boolean): boolean {
    let count = 0
    while (this.#heap.size > 0) {
      const next = this.#heap.pop()!
      if (next.time > deadline) break
      this.#now = next.time
      handle(next.item)
      if (++count > EVENTS_MAX) throw new Error('simulation event budget exhausted')
      if (stop(count)) return true
    }
    return false
  }
}
