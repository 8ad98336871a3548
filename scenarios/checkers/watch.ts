// What the simulator watches while a run goes on, as opposed to the checkers of the
// committed result: the conduct of honest replicas (conduct.ts), their safety state
// (safety-state.ts) and the exceptions their code throws. The simulator calls it at five
// points: an honest replica was built (start or restart), it is about to step an event,
// one of its actions is executed, its step ended, it crashed; and when replica code throws. Evidence is kept up to
// EVIDENCE_MAX records, then only counted.
import type { Genesis } from '../../src/log/genesis.ts'
import type { LeaderElection } from '../../src/log/leader-election.ts'
import type { SignatureScheme } from '../../src/crypto/signature-scheme.ts'
import type { Action, Event, SafetyState } from '../../src/consensus/types.ts'
import { ConductChecker, type Actor } from './conduct.ts'
import { EVIDENCE_MAX, thrownParts, type Evidence } from './run-evidence.ts'
import { SafetyStateChecker } from './safety-state.ts'

export class RunWatch {
  readonly #seed: number
  readonly evidence: Evidence[] = []
  /** Evidence records past EVIDENCE_MAX, not kept. */
  dropped = 0
  readonly conduct: ConductChecker
  readonly #safety: SafetyStateChecker

  /** `leaders` and `signatures` are the run's: the checks judge by the same election and
   * signature scheme the replicas were given (a Twins case's schedule, the stand-in). */
  constructor(genesis: Genesis, seed: number, leaders: LeaderElection, signatures: SignatureScheme) {
    this.#seed = seed
    const report = (e: Evidence): void => this.#add(e)
    this.conduct = new ConductChecker(genesis, report, leaders, signatures)
    this.#safety = new SafetyStateChecker(report)
  }

  /** An honest replica was built, at start or from storage after a crash. */
  built(actor: Actor, state: SafetyState): void {
    this.#safety.restarted(actor.node, actor.round, state)
  }

  /** An honest replica is about to step this event. */
  stepping(node: string, event: Event): void {
    this.conduct.received(node, event)
  }

  /** An honest replica's action, as the simulator executes it. */
  executed(actor: Actor, a: Action): void {
    if (a.type === 'persist-safety-state') this.#safety.persisted(actor.node, actor.round, a.state)
    this.conduct.executed(actor, a)
  }

  /** An honest replica's step ended (its actions were executed, or a prefix of them). */
  stepped(actor: Actor, state: SafetyState): void {
    this.conduct.stepEnded()
    this.#safety.stepped(actor.node, actor.round, state)
  }

  crashed(node: string): void {
    this.#safety.crashed(node)
  }

  /** Replica code threw: in step(), or while the replica was built (start or restore). */
  threw(node: string, phase: 'step' | 'restore', at: number, thrown: unknown): Evidence {
    const e: Evidence = { code: 'replica-error', node, seed: this.#seed, phase, at, ...thrownParts(thrown) }
    this.#add(e)
    return e
  }

  #add(e: Evidence): void {
    // Every replica error is kept (each one crashed the instance, so they are few); the
    // cap is for the checkers' records.
    if (e.code === 'replica-error' || this.evidence.length < EVIDENCE_MAX) this.evidence.push(e)
    else this.dropped++
  }
}
