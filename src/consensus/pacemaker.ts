// The pacemaker: the current round, its timer, and how rounds advance.
//  - round = max(highQc.round, highTc.round) + 1: a QC or TC for round r moves every
//    replica that sees it to round r + 1;
//  - the timer of a round lasts roundTimeoutMs * (backoffPercent/100)^k, capped at
//    roundTimeoutMaxMs, where k counts consecutive rounds entered by timeout: after a
//    partition the timer grows until rounds are long enough for a quorum to meet;
//  - a round entered through a QC (progress) resets k to 0.
import { assert } from '../assert.ts'
import type { ProtocolParams } from '../log/genesis.ts'

/** Consecutive timeouts beyond which the timer no longer grows (it is capped anyway;
 * this only keeps the power from overflowing). */
const BACKOFF_EXPONENT_MAX = 64

export class Pacemaker {
  readonly #params: ProtocolParams
  #round: number
  #consecutiveTimeouts = 0

  constructor(params: ProtocolParams, round: number) {
    assert(Number.isSafeInteger(round), 'the pacemaker starts at a whole round')
    assert(round >= 0, 'the pacemaker starts at a round of at least 0')
    this.#params = params
    this.#round = round
  }

  get round(): number {
    return this.#round
  }

  get consecutiveTimeouts(): number {
    return this.#consecutiveTimeouts
  }

  /** The duration of the current round's timer. */
  timeoutMs(): number {
    return backoffMs(this.#params, this.#consecutiveTimeouts)
  }

  /** Moves to `round` if it is ahead; `byTimeout` says whether a TC (not a QC) took us there. */
  advanceTo(round: number, byTimeout: boolean): boolean {
    assert(Number.isSafeInteger(round), 'a round to advance to is a whole round')
    if (round <= this.#round) return false
    this.#round = round
    this.#consecutiveTimeouts = byTimeout ? Math.min(this.#consecutiveTimeouts + 1, BACKOFF_EXPONENT_MAX) : 0
    assert(this.#consecutiveTimeouts <= BACKOFF_EXPONENT_MAX, 'the backoff exponent stays bounded')
    assert(byTimeout || this.#consecutiveTimeouts === 0, 'progress resets the backoff')
    return true
  }
}

/** roundTimeoutMs * (backoffPercent/100)^k, capped at roundTimeoutMaxMs, in whole ms. */
export function backoffMs(params: ProtocolParams, k: number): number {
  let ms = params.roundTimeoutMs
  for (let i = 0; i < k && ms < params.roundTimeoutMaxMs; i++) ms = (ms * params.backoffPercent) / 100
  const timeoutMs = Math.min(Math.floor(ms), params.roundTimeoutMaxMs)
  assert(timeoutMs <= params.roundTimeoutMaxMs, 'a round timer is at most roundTimeoutMaxMs')
  assert(timeoutMs > 0 || params.roundTimeoutMs <= 0, 'a round timer of a positive base is positive')
  return timeoutMs
}
