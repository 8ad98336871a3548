// Safety state: every honest replica's safety state (SafetyState, src/consensus/types.ts:
// last voted round, preferred round, observed QC round, highest timeout round, the rounds
// of its high QC and high TC) only moves forward, across restarts too. Recorded per
// instance at three moments:
//   persist  each persist-safety-state the simulator executes: never below what was
//            durably written before (a lower one would let a restart vote twice);
//   step     the replica's state after each step: never below what it held after its
//            previous step in this life (or, first in a life, what was durably written);
//   restart  the state a replica holds right after it is rebuilt from storage: never
//            below what was durably written before the crash.
// A crash in the middle of a step may drop a persist that the replica's memory was already
// past: what it held in memory then is not a floor for the next life, what was written is.
// A decrease is recorded as 'safety-state-regressed' evidence, once per field and moment
// for one value (a state that stays low is not reported again each step).
import type { SafetyState } from '../../src/consensus/types.ts'
import { SAFETY_FIELDS, type Evidence, type SafetyField, type SafetyMoment } from './run-evidence.ts'

type Rounds = Record<SafetyField, number>

function roundsOf(s: SafetyState): Rounds {
  return {
    lastVotedRound: s.lastVotedRound,
    preferredRound: s.preferredRound,
    oneChainRound: s.oneChainRound,
    highestTimeoutRound: s.highestTimeoutRound,
    highQcRound: s.highQc.round,
    highTcRound: s.highTc === null ? -1 : s.highTc.round,
  }
}

export class SafetyStateChecker {
  readonly #report: (e: Evidence) => void
  /** Per instance: the highest of each field durably written (field-wise maximum). */
  readonly #durable = new Map<string, Rounds>()
  /** Per instance: what its current replica held after its last step (none after a crash). */
  readonly #live = new Map<string, Rounds>()
  /** Per instance: the regressions already reported, as `field/moment/after`. */
  readonly #reported = new Map<string, Set<string>>()

  constructor(report: (e: Evidence) => void) {
    this.#report = report
  }

  persisted(node: string, round: number, state: SafetyState): void {
    const now = roundsOf(state)
    const durable = this.#durable.get(node)
    this.#compare(node, round, 'persist', durable, now)
    this.#durable.set(node, durable === undefined ? now : maxOf(durable, now))
  }

  stepped(node: string, round: number, state: SafetyState): void {
    const now = roundsOf(state)
    const live = this.#live.get(node)
    this.#compare(node, round, 'step', live ?? this.#durable.get(node), now)
    this.#live.set(node, live === undefined ? now : maxOf(live, now))
  }

  restarted(node: string, round: number, state: SafetyState): void {
    const now = roundsOf(state)
    this.#compare(node, round, 'restart', this.#durable.get(node), now)
    this.#live.set(node, now)
  }

  crashed(node: string): void {
    this.#live.delete(node)
  }

  #compare(node: string, round: number, moment: SafetyMoment, floor: Rounds | undefined, now: Rounds): void {
    if (floor === undefined) return
    for (const field of SAFETY_FIELDS) {
      if (now[field] >= floor[field]) continue
      let reported = this.#reported.get(node)
      if (reported === undefined) {
        reported = new Set()
        this.#reported.set(node, reported)
      }
      const key = `${field}/${moment}/${now[field]}`
      if (reported.has(key)) continue
      reported.add(key)
      this.#report({ code: 'safety-state-regressed', node, round, moment, field, before: floor[field], after: now[field] })
    }
  }
}

function maxOf(a: Rounds, b: Rounds | undefined): Rounds {
  if (b === undefined) return a
  const out = { ...a }
  for (const field of SAFETY_FIELDS) out[field] = Math.max(a[field], b[field])
  return out
}
