// crash: the node runs honestly, then stops for good at a random time in the safety
// phase (a fail-stop fault: it never sends again and never restarts).
import { Decorator, type Behaviour } from './types.ts'
import type { Event } from '../../src/consensus/types.ts'
import type { Replica } from '../../src/consensus/replica.ts'

class Crash extends Decorator {
  readonly #crashAtMs: number
  constructor(inner: Replica, crashAtMs: number) {
    super(inner)
    this.#crashAtMs = crashAtMs
  }
  protected override input(event: Event): Event | null {
    return event.now >= this.#crashAtMs ? null : event
  }
}

export const crash: Behaviour = {
  name: 'crash',
  create: (ctx) => new Crash(ctx.honest(), ctx.rng.int(Math.max(1, ctx.faultsStopMs))),
}
