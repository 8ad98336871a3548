// replay: behaves honestly but also re-sends old messages it received (proposals,
// votes, timeouts, certificates) to random peers, long after they were current.
import type { Action, Event, Message } from '../../src/consensus/types.ts'
import type { Replica } from '../../src/consensus/replica.ts'
import type { Prng } from '../sim/prng.ts'
import { Decorator, type Behaviour } from './types.ts'

/** Messages remembered for replay (oldest dropped first). */
const REPLAY_BUFFER_MAX = 256

class Replay extends Decorator {
  readonly #rng: Prng
  readonly #old: Message[] = []
  constructor(inner: Replica, rng: Prng) {
    super(inner)
    this.#rng = rng
  }
  protected override output(event: Event, actions: Action[]): Action[] {
    if (event.type === 'message') {
      this.#old.push(event.message)
      if (this.#old.length > REPLAY_BUFFER_MAX) this.#old.shift()
    }
    if (this.#old.length > 0 && this.#rng.chance(0.3)) {
      const n = this.inner.set.n
      const to = this.#rng.int(n)
      if (to !== this.inner.index) actions.push({ type: 'send', to, message: this.#rng.pick(this.#old) })
    }
    return actions
  }
}

export const replay: Behaviour = { name: 'replay', description: 'honest, plus re-sends old messages it received to random peers', create: (ctx) => new Replay(ctx.honest(), ctx.rng.fork()) }
