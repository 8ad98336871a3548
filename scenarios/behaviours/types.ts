// Byzantine behaviours are decorators over the honest Replica: they wrap its inputs or
// outputs, or override one rule, and otherwise run the real protocol code. A behaviour
// never forks the replica.
import type { Genesis } from '../../src/log/genesis.ts'
import type { Replica } from '../../src/consensus/replica.ts'
import type { Action, Event, ReplicaLimits, RestoredState } from '../../src/consensus/types.ts'
import type { Prng } from '../sim/prng.ts'

/** What the simulator drives: the honest Replica or a decorator around one. */
export interface SimReplica {
  step(event: Event): Action[]
  /** The honest replica inside (for statistics). */
  readonly inner: Replica
}

export interface BehaviourContext {
  readonly genesis: Genesis
  readonly index: number
  readonly seed: Uint8Array
  readonly limits: Partial<ReplicaLimits>
  readonly restored: RestoredState | undefined
  /** This node's own random stream (derived from the run's seed). */
  readonly rng: Prng
  /** Virtual time at which faults stop (the liveness phase starts). */
  readonly faultsStopMs: number
  /** Make an honest replica (the thing to decorate). */
  readonly honest: () => Replica
}

export interface Behaviour {
  readonly name: string
  /** Twins: the simulator runs two instances of this identity, each with its own state. */
  readonly twins?: boolean
  create(ctx: BehaviourContext): SimReplica
}

/** Base decorator: override `input` and/or `output`. */
export class Decorator implements SimReplica {
  readonly inner: Replica
  constructor(inner: Replica) {
    this.inner = inner
  }
  step(event: Event): Action[] {
    const input = this.input(event)
    const out = input === null ? [] : this.inner.step(input)
    return this.output(event, out)
  }
  protected input(event: Event): Event | null {
    return event
  }
  protected output(_event: Event, actions: Action[]): Action[] {
    return actions
  }
}

export class Honest extends Decorator {}
