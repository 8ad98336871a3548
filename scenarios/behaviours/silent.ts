// silent: a leader that never proposes (everything else honest), so its rounds time out.
import { Decorator, type Behaviour } from './types.ts'
import type { Action, Event } from '../../src/consensus/types.ts'

class Silent extends Decorator {
  protected override output(_event: Event, actions: Action[]): Action[] {
    return actions.filter((a) => !(a.type === 'broadcast' && a.message.type === 'proposal'))
  }
}

export const silent: Behaviour = { name: 'silent', description: 'a leader that never proposes (its rounds time out)', create: (ctx) => new Silent(ctx.honest()) }
