// crash: the node runs honestly, then stops for good at a random time in the safety
// phase (a fail-stop fault: it never sends again and never restarts).
import { Decorator, numberParam, type Behaviour } from './types.ts'
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
  description: 'honest until a random time in the fault phase (or atMs), then stops for good',
  params: { atMs: { type: 'number', min: 0, max: 86_400_000, description: 'virtual time of the crash (default: random in the fault phase)' } },
  create: (ctx) => {
    const random = ctx.rng.int(Math.max(1, ctx.faultsStopMs))
    return new Crash(ctx.honest(), numberParam(ctx, 'atMs', random))
  },
}
