// flood: runs the honest protocol and, on top, sprays its peers with junk at a steady
// rate (default 200 messages per second of virtual time): timeouts and votes for stale
// rounds that carry its own valid signature, votes and entries with garbage signatures,
// proposals it is not the leader for, block requests for unknown hashes and range
// requests that make peers serve the whole log. Honest nodes must ignore or reject all
// of it and stay live. (The simulator models no bandwidth: this tests the protocol's
// handling of junk, not a node's resource limits under a real flood.)
import { signDomain } from '../../src/crypto/domain.ts'
import type { SignatureScheme } from '../../src/crypto/signature-scheme.ts'
import { genesisQc } from '../../src/log/block.ts'
import { timeoutDataToCbor, voteDataToCbor } from '../../src/log/certificates.ts'
import type { Entry } from '../../src/log/entry.ts'
import type { Action, Event, Message } from '../../src/consensus/types.ts'
import type { Replica } from '../../src/consensus/replica.ts'
import type { Prng } from '../sim/prng.ts'
import { Decorator, numberParam, stringParam, type Behaviour } from './types.ts'

/** Junk messages in one step at most (a long quiet gap does not release a burst of millions). */
const FLOOD_BURST_MAX = 200
const KINDS = ['stale-timeout', 'stale-vote', 'garbage-vote', 'garbage-entries', 'foreign-proposal', 'block-request', 'range-request'] as const
type Kind = (typeof KINDS)[number]

class Flood extends Decorator {
  readonly #seed: Uint8Array
  readonly #signatures: SignatureScheme
  readonly #rng: Prng
  readonly #ratePerSecond: number
  readonly #kinds: readonly Kind[]
  #lastMs = -1
  #credit = 0
  #lastProposal: Extract<Message, { type: 'proposal' }> | null = null

  constructor(inner: Replica, seed: Uint8Array, signatures: SignatureScheme, rng: Prng, ratePerSecond: number, kinds: readonly Kind[]) {
    super(inner)
    this.#seed = seed
    this.#signatures = signatures
    this.#rng = rng
    this.#ratePerSecond = ratePerSecond
    this.#kinds = kinds
  }

  protected override output(event: Event, actions: Action[]): Action[] {
    if (event.type === 'message' && event.message.type === 'proposal') this.#lastProposal = event.message
    if (this.#lastMs < 0) this.#lastMs = event.now
    this.#credit = Math.min(FLOOD_BURST_MAX, this.#credit + ((event.now - this.#lastMs) * this.#ratePerSecond) / 1000)
    this.#lastMs = event.now
    const count = Math.floor(this.#credit)
    this.#credit -= count
    const n = this.inner.set.n
    for (let i = 0; i < count; i++) {
      let to = this.#rng.int(n)
      if (to === this.inner.index) to = (to + 1) % n
      actions.push({ type: 'send', to, message: this.#junk(this.#rng.pick(this.#kinds)) })
    }
    return actions
  }

  #junk(kind: Kind): Message {
    const chainId = this.inner.genesis.chainId
    const staleRound = 1 + this.#rng.int(Math.max(1, this.inner.round - 1))
    switch (kind) {
      case 'stale-timeout': {
        const highQc = genesisQc(this.inner.genesis)
        const sig = signDomain(this.#seed, 'timeout', chainId, timeoutDataToCbor(staleRound, 0), this.#signatures)
        return { type: 'timeout', voter: this.inner.index, round: staleRound, highQc, highTc: null, sig }
      }
      case 'stale-vote': {
        const block = this.#rng.bytes(32)
        const sig = signDomain(this.#seed, 'vote', chainId, voteDataToCbor({ round: staleRound, height: staleRound, block }), this.#signatures)
        return { type: 'vote', voter: this.inner.index, round: staleRound, height: staleRound, block, sig, commit: null }
      }
      case 'garbage-vote': {
        const round = this.inner.round + this.#rng.int(3)
        return { type: 'vote', voter: this.#rng.int(this.inner.set.n), round, height: this.inner.committedHeight + 1, block: this.#rng.bytes(32), sig: this.#rng.bytes(64), commit: null }
      }
      case 'garbage-entries': {
        const entries: Entry[] = Array.from({ length: 1 + this.#rng.int(8) }, (_, i) => ({
          agent: this.#rng.bytes(32), namespace: 'flood/junk', seq: 1 + i, payload: '{"junk":true}', refs: [], idempotencyKey: '', sig: this.#rng.bytes(64),
        }))
        return { type: 'entries', entries }
      }
      case 'foreign-proposal': {
        // Someone else's proposal, replayed, or a stale-round timeout when there is none yet.
        if (this.#lastProposal !== null) return this.#lastProposal
        return this.#junk('stale-timeout')
      }
      case 'block-request':
        return { type: 'block-request', block: this.#rng.bytes(32), count: 1 + this.#rng.int(256) }
      case 'range-request':
        return { type: 'range-request', fromHeight: 1, toHeight: Math.min(256, Math.max(1, this.inner.committedHeight)) }
    }
  }
}

export const flood: Behaviour = {
  name: 'flood',
  description: 'honest, plus a steady spray of stale-round and garbage messages to its peers',
  params: {
    ratePerSecond: { type: 'number', min: 1, max: 10_000, description: 'junk messages per second of virtual time (default 200)' },
    kind: { type: 'string', values: ['all', ...KINDS], description: 'only this kind of junk (default all)' },
  },
  create: (ctx) => {
    const kind = stringParam(ctx, 'kind', 'all')
    const kinds = kind === 'all' ? KINDS : KINDS.filter((k) => k === kind)
    return new Flood(ctx.honest(), ctx.seed, ctx.signatures, ctx.rng.fork(), numberParam(ctx, 'ratePerSecond', 200), kinds)
  },
}
