// censor-votes: drops every decision vote (docs/formats.md section 12) that reaches it,
// submitted by an agent or relayed by a validator, so votes never enter its mempool and
// never appear in its proposals; otherwise honest (it votes for others' blocks, votes
// included). Votes still commit through the other leaders when agents submit to f+1
// validators, as the SDK does; an agent that trusts only this node is censored.
import { readDecisionPayload } from '../../src/decisions/payload.ts'
import type { Entry } from '../../src/log/entry.ts'
import type { Event } from '../../src/consensus/types.ts'
import { Decorator, type Behaviour } from './types.ts'

function notVotes(entries: readonly Entry[]): Entry[] {
  return entries.filter((e) => readDecisionPayload(e).type !== 'vote')
}

class CensorVotes extends Decorator {
  protected override input(event: Event): Event | null {
    if (event.type === 'submit') {
      const kept = notVotes(event.entries)
      return kept.length === 0 ? null : { ...event, entries: kept }
    }
    if (event.type === 'message' && event.message.type === 'entries') {
      const kept = notVotes(event.message.entries)
      return kept.length === 0 ? null : { ...event, message: { ...event.message, entries: kept } }
    }
    return event
  }
}

export const censorVotes: Behaviour = {
  name: 'censor-votes',
  description: 'drops every decision vote submitted or relayed to it (never proposes one); otherwise honest',
  create: (ctx) => new CensorVotes(ctx.honest()),
}
