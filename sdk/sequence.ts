// Per-agent sequence numbers. The log requires each agent's seq to be strictly increasing
// across its committed entries (gaps allowed), and a node refuses a seq that is not above
// the agent's highest seq it has seen ('stale-seq'). So a seq source must never go back,
// not even across a restart of the process.
//
// The default, ClockSequence, needs no storage: seq = max(previous + 1, wall clock in
// microseconds). Across restarts the clock has moved on (a restart takes far more than a
// microsecond per entry committed before it), and within a process the counter keeps it
// increasing even when many entries are signed in one microsecond or the clock steps
// back. If the clock is ever behind the agent's last seq (clock reset, or two processes
// sharing one identity), a node answers 'stale-seq' with the last seq it has; the client
// then calls observe() and signs again with a higher seq, which is safe because no node
// accepted the refused entry (see SynodClient.commit). Microseconds since 1970 stay below
// 2^53 (the largest seq JSON carries exactly) until the year 2255.
//
// Bring your own SequenceSource (e.g. a persisted counter, written before each use) when
// the clock cannot be trusted at all.

export interface SequenceSource {
  /** A seq strictly above every seq this source returned or observed before. */
  next(): number
  /** The agent is known to have used `seq` already: every later next() must be above it. */
  observe(seq: number): void
}

export class ClockSequence implements SequenceSource {
  readonly #nowMs: () => number
  #last = 0

  /** `nowMs`: wall-clock milliseconds (fractions welcome); default Date.now. */
  constructor(nowMs: () => number = () => Date.now()) {
    this.#nowMs = nowMs
  }

  next(): number {
    const micros = Math.floor(this.#nowMs() * 1000)
    const seq = Math.max(this.#last + 1, micros)
    if (!Number.isSafeInteger(seq)) throw new RangeError(`seq ${seq} is beyond 2^53 - 1`)
    this.#last = seq
    return seq
  }

  observe(seq: number): void {
    if (seq > this.#last) this.#last = seq
  }
}
