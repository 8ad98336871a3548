// double-vote: votes for every proposal it sees, outside the safety rules (so for two
// conflicting blocks of one round when a leader equivocates), and also sends a vote for
// a made-up block in the same round as each honest vote, sometimes before it.
import { signDomain } from '../../src/crypto/domain.ts'
import type { SignatureScheme } from '../../src/crypto/signature-scheme.ts'
import { blockHash } from '../../src/log/block.ts'
import { voteDataToCbor } from '../../src/log/certificates.ts'
import type { Action, Event, VoteMessage } from '../../src/consensus/types.ts'
import type { Replica } from '../../src/consensus/replica.ts'
import type { Prng } from '../sim/prng.ts'
import { Decorator, type Behaviour } from './types.ts'

class DoubleVote extends Decorator {
  readonly #seed: Uint8Array
  readonly #signatures: SignatureScheme
  readonly #rng: Prng
  constructor(inner: Replica, seed: Uint8Array, signatures: SignatureScheme, rng: Prng) {
    super(inner)
    this.#seed = seed
    this.#signatures = signatures
    this.#rng = rng
  }
  #vote(round: number, height: number, block: Uint8Array): VoteMessage {
    const sig = signDomain(this.#seed, 'vote', this.inner.genesis.chainId, voteDataToCbor({ round, height, block }), this.#signatures)
    return { type: 'vote', voter: this.inner.index, round, height, block, sig, commit: null }
  }
  protected override output(event: Event, actions: Action[]): Action[] {
    const out: Action[] = []
    if (event.type === 'message' && event.message.type === 'proposal') {
      const h = event.message.block.header
      const to = this.inner.leaders.leaderOf(h.round + 1)
      if (to !== this.inner.index) out.push({ type: 'send', to, message: this.#vote(h.round, h.height, blockHash(h)) })
    }
    for (const a of actions) {
      if (a.type === 'send' && a.message.type === 'vote') {
        const fake = { type: 'send' as const, to: a.to, message: this.#vote(a.message.round, a.message.height, this.#rng.bytes(32)) }
        if (this.#rng.chance(0.5)) out.push(fake, a)
        else out.push(a, fake)
        continue
      }
      out.push(a)
    }
    return out
  }
}

export const doubleVote: Behaviour = {
  name: 'double-vote',
  description: 'votes for every proposal it sees, outside the safety rules, plus a vote for a made-up block in each round',
  create: (ctx) => new DoubleVote(ctx.honest(), ctx.seed, ctx.signatures, ctx.rng.fork()),
}
