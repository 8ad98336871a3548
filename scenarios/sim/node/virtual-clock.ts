// Virtual time for running the node's own asynchronous code deterministically. Events
// (timer callbacks, message deliveries, disk completions) run one at a time in (time,
// sequence) order; after each, every microtask it caused runs to quiescence before the
// next event. So the interleaving of the node's awaits depends only on the seed.
//
// Quiescence: one setImmediate turn. Node runs a macrotask only once the microtask (and
// nextTick) queues are empty, and nothing under simulation does real I/O or sets real
// timers, so no other macrotask can run in between: the turn ends exactly when the
// promise chains started by the event are all blocked on later virtual events.
import { EventHeap } from '../heap.ts'
import type { RuntimeTimers, TimerHandle } from '../../../node/runtime/timers.ts'

/** Resolves once every pending microtask has run (see the file comment). */
export function quiesce(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

interface ClockEvent {
  readonly id: number
  readonly run: () => void
}

/** The clock ran more events than its budget: a run stuck in an event storm. */
export class EventBudgetError extends Error {
  override readonly name = 'EventBudgetError'
  readonly budget: number
  constructor(budget: number) {
    super(`more than ${budget} virtual-time events`)
    this.budget = budget
  }
}

export class VirtualClock {
  readonly #heap = new EventHeap<ClockEvent>()
  /** Ids scheduled and not yet run; a cancelled one is skipped when its time comes. */
  readonly #pending = new Set<number>()
  readonly #cancelled = new Set<number>()
  readonly #budget: number
  #now = 0
  #nextId = 1
  #events = 0
  /** Exceptions thrown by event callbacks (a bug in whoever scheduled them). */
  readonly errors: Error[] = []

  constructor(eventBudget: number) {
    this.#budget = eventBudget
  }

  get now(): number {
    return this.#now
  }

  get events(): number {
    return this.#events
  }

  /** Runs `run` at virtual time `atMs` (never in the past); returns an id for cancel. */
  at(atMs: number, run: () => void): number {
    const id = this.#nextId++
    this.#pending.add(id)
    this.#heap.push(Math.max(this.#now, atMs), { id, run })
    return id
  }

  after(delayMs: number, run: () => void): number {
    return this.at(this.#now + Math.max(0, delayMs), run)
  }

  cancel(id: number): void {
    if (this.#pending.delete(id)) this.#cancelled.add(id)
  }

  /** Runs every event due at or before `untilMs`, quiescing after each; time then
   * stands at `untilMs`. */
  async runUntil(untilMs: number): Promise<void> {
    await quiesce()
    for (let next = this.#heap.peekTime(); next !== undefined && next <= untilMs; next = this.#heap.peekTime()) {
      const event = this.#heap.pop()!
      if (this.#cancelled.delete(event.item.id)) continue
      this.#pending.delete(event.item.id)
      if (++this.#events > this.#budget) throw new EventBudgetError(this.#budget)
      this.#now = event.time
      try {
        event.item.run()
      } catch (err) {
        this.errors.push(err as Error)
      }
      await quiesce()
    }
    this.#now = Math.max(this.#now, untilMs)
  }

  /** Runs events until `promise` settles (or `limitMs` of virtual time pass); for
   * awaiting simulated work from outside the simulation (tests). */
  async drive<T>(promise: Promise<T>, limitMs = 60_000): Promise<T> {
    let settled = false
    const watched = promise.finally(() => { settled = true })
    watched.catch(() => {})
    const deadline = this.#now + limitMs
    await quiesce()
    while (!settled) {
      const next = this.#heap.peekTime()
      if (next === undefined || next > deadline) throw new Error(`simulated work did not settle within ${limitMs} virtual ms`)
      await this.runUntil(next)
    }
    return watched
  }

  /** Runs events as they come, in the background, until the returned stop function is
   * called: for tests that await simulated components from ordinary code. Waits a real
   * millisecond when nothing is scheduled. */
  runFree(): () => void {
    let stopped = false
    const loop = async (): Promise<void> => {
      while (!stopped) {
        const next = this.#heap.peekTime()
        if (next === undefined) await new Promise((resolve) => setTimeout(resolve, 1))
        else await this.runUntil(next)
      }
    }
    loop().catch((err: unknown) => this.errors.push(err as Error))
    return () => { stopped = true }
  }

  /** Timers for one owner (one incarnation of a node): killed with it. */
  scope(): TimerScope {
    return new TimerScope(this)
  }
}

/** A node incarnation's timers: the RuntimeTimers it is given. Killing the scope (the
 * node crashed) cancels its timers and ignores any it sets later. */
export class TimerScope implements RuntimeTimers {
  readonly #clock: VirtualClock
  readonly #ids = new Set<number>()
  #dead = false

  constructor(clock: VirtualClock) {
    this.#clock = clock
  }

  monotonicMs(): number {
    return this.#clock.now
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    if (this.#dead) return 0
    const id = this.#clock.after(delayMs, () => {
      this.#ids.delete(id)
      callback()
    })
    this.#ids.add(id)
    return id
  }

  clearTimeout(handle: TimerHandle): void {
    if (typeof handle !== 'number') return
    this.#ids.delete(handle)
    this.#clock.cancel(handle)
  }

  kill(): void {
    this.#dead = true
    for (const id of this.#ids) this.#clock.cancel(id)
    this.#ids.clear()
  }
}
