// withhold: never sends votes or timeouts (proposes and syncs honestly), so quorums
// must form without it.
import { Decorator, type Behaviour } from './types.ts'
import type { Action, Event } from '../../src/consensus/types.ts'

class Withhold extends Decorator {
  protected override output(_event: Event, actions: Action[]): Action[] {
    return actions.filter((a) => !((a.type === 'send' || a.type === 'broadcast') && (a.message.type === 'vote' || a.message.type === 'timeout')))
  }
}

export const withhold: Behaviour = { name: 'withhold', description: 'never sends votes or timeouts (proposes and serves sync honestly)', create: (ctx) => new Withhold(ctx.honest()) }
