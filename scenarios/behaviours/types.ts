// Byzantine behaviours are decorators over the honest Replica: they wrap its inputs or
// outputs, or override one rule, and otherwise run the real protocol code. A behaviour
// never forks the replica.
import type { SignatureScheme } from '../../src/crypto/signature-scheme.ts'
import type { Genesis } from '../../src/log/genesis.ts'
import type { Replica } from '../../src/consensus/replica.ts'
import type { Action, Event, ReplicaLimits, RestoredState } from '../../src/consensus/types.ts'
import type { SyncStore } from '../../src/consensus/sync.ts'
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
  /** The scheme the run signs and verifies with (the replica from `honest` already has
   * it): a behaviour that signs by itself signs with this, as the holder of `seed`. */
  readonly signatures: SignatureScheme
  readonly limits: Partial<ReplicaLimits>
  readonly restored: RestoredState | undefined
  /** This node's own random stream (derived from the run's seed). */
  readonly rng: Prng
  /** Virtual time at which faults stop (the liveness phase starts). */
  readonly faultsStopMs: number
  /** Make an honest replica (the thing to decorate). */
  readonly honest: () => Replica
  /** The behaviour's parameters from the scenario (checked against `params` below). */
  readonly params: Readonly<Record<string, unknown>>
  /** The node's durable store, as the driver serves sync from it (read-only use). */
  readonly store: SyncStore
}

/** A behaviour parameter: its type, bounds and meaning (the DSL validates against it). */
export type ParamSpec =
  | { readonly type: 'number', readonly min: number, readonly max: number, readonly description: string }
  | { readonly type: 'string', readonly values: readonly string[], readonly description: string }

export interface Behaviour {
  readonly name: string
  /** Twins: the simulator runs two instances of this identity, each with its own state. */
  readonly twins?: boolean
  /** One line for `synod scenario` help and the docs. */
  readonly description?: string
  /** Parameters a scenario may set; any other key is an error. */
  readonly params?: Readonly<Record<string, ParamSpec>>
  create(ctx: BehaviourContext): SimReplica
}

/** A number parameter, or its default. */
export function numberParam(ctx: BehaviourContext, name: string, fallback: number): number {
  const v = ctx.params[name]
  return typeof v === 'number' ? v : fallback
}

/** A string parameter, or its default. */
export function stringParam(ctx: BehaviourContext, name: string, fallback: string): string {
  const v = ctx.params[name]
  return typeof v === 'string' ? v : fallback
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
