// lying-sync: runs the honest protocol, but answers every sync request (block by hash,
// committed range) with forged or altered blocks instead of the truth: entries swapped
// under an unchanged header, headers with a changed log root, a chain with a foreign
// ancestor spliced in, a commit certificate with made-up signatures, a different block
// than the one asked for, a denial ('range-empty': nothing at that height, though it
// has it), or nothing at all. A node catching up must verify what it is
// given, refuse all of it, and get the truth from another peer.
import { blockHash } from '../../src/log/block.ts'
import { bitmapOf } from '../../src/log/signer-bitmap.ts'
import { serveSyncRequest } from '../../src/consensus/sync.ts'
import type { Action, BlockResponse, Event, Message, RangeResponse, SyncRequest } from '../../src/consensus/types.ts'
import type { Replica } from '../../src/consensus/replica.ts'
import type { SyncStore } from '../../src/consensus/sync.ts'
import type { Prng } from '../sim/prng.ts'
import { Decorator, stringParam, type Behaviour } from './types.ts'

const LIES = ['swap-entries', 'alter-header', 'splice-chain', 'forge-cc', 'wrong-block', 'deny', 'silence'] as const
type Lie = (typeof LIES)[number]

class LyingSync extends Decorator {
  readonly #store: SyncStore
  readonly #rng: Prng
  readonly #lies: readonly Lie[]
  /** How many answers were forged, by kind (for tests and reports). */
  readonly told = new Map<Lie, number>()

  constructor(inner: Replica, store: SyncStore, rng: Prng, lies: readonly Lie[]) {
    super(inner)
    this.#store = store
    this.#rng = rng
    this.#lies = lies
  }

  protected override output(_event: Event, actions: Action[]): Action[] {
    const out: Action[] = []
    for (const a of actions) {
      if (a.type !== 'serve-sync') {
        out.push(a)
        continue
      }
      const lie = this.#rng.pick(this.#lies)
      const forged = this.#forge(lie, a.request)
      this.told.set(lie, (this.told.get(lie) ?? 0) + 1)
      if (forged !== null) out.push({ type: 'send', to: a.to, message: forged })
    }
    return out
  }

  #forge(lie: Lie, request: SyncRequest): Message | null {
    const truth = serveSyncRequest(request, this.#store)
    if (lie === 'silence') return null
    if (lie === 'deny') {
      return request.type === 'block-request' ? null : { type: 'range-empty', fromHeight: request.fromHeight, height: request.fromHeight - 1, cc: null }
    }
    if (truth === null || truth.type === 'range-empty' || truth.blocks.length === 0) {
      // Nothing true to twist: answer with our head instead (a block nobody asked for).
      const head = this.#store.committedBlock(this.#store.committedHeight())!
      return request.type === 'block-request' ? { type: 'block-response', blocks: [head] } : { type: 'range-response', blocks: [head], links: [], cc: null }
    }
    const blocks = [...truth.blocks]
    switch (lie) {
      case 'swap-entries': {
        // Same header (so the same hash), different entries: the entries root no longer matches.
        const i = this.#rng.int(blocks.length)
        const b = blocks[i]!
        const other = blocks.find((x) => x.entries.length > 0 && x !== b)
        blocks[i] = { header: b.header, entries: b.entries.length > 1 ? b.entries.slice(1) : other?.entries ?? [] }
        if (blocks[i]!.entries.length === b.entries.length && b.entries.length === 0) blocks[i] = { header: { ...b.header, entryCount: 1 }, entries: [] }
        break
      }
      case 'alter-header': {
        const i = this.#rng.int(blocks.length)
        const b = blocks[i]!
        blocks[i] = { header: { ...b.header, logRoot: this.#rng.bytes(32), logSize: b.header.logSize + 1 }, entries: b.entries }
        break
      }
      case 'splice-chain': {
        // Keep the first block, replace an ancestor with a made-up block of that height.
        if (blocks.length < 2) {
          const b = blocks[0]!
          blocks[0] = { header: { ...b.header, parent: this.#rng.bytes(32) }, entries: b.entries }
        } else {
          const i = request.type === 'block-request' ? 1 + this.#rng.int(blocks.length - 1) : this.#rng.int(blocks.length - 1)
          const b = blocks[i]!
          blocks[i] = { header: { ...b.header, round: b.header.round + 1 }, entries: b.entries }
        }
        break
      }
      case 'forge-cc': {
        if (truth.type === 'range-response') {
          const last = blocks[blocks.length - 1]!
          const n = this.inner.set.n
          const signers = this.#rng.shuffle([...Array(n).keys()]).slice(0, this.inner.set.quorum).sort((a, b) => a - b)
          const cc = { height: last.header.height, block: blockHash(last.header), logSize: last.header.logSize, logRoot: last.header.logRoot, signers: bitmapOf(signers, n), sigs: signers.map(() => this.#rng.bytes(64)) }
          return { type: 'range-response', blocks, links: [], cc }
        }
        // No certificate in a block response: reverse the order instead (a broken chain).
        blocks.reverse()
        break
      }
      case 'wrong-block': {
        const head = this.#store.committedBlock(this.#store.committedHeight())!
        blocks[0] = head
        break
      }
    }
    return truth.type === 'block-response' ? ({ type: 'block-response', blocks } satisfies BlockResponse) : ({ type: 'range-response', blocks, links: truth.links, cc: truth.cc } satisfies RangeResponse)
  }
}

export const lyingSync: Behaviour = {
  name: 'lying-sync',
  description: 'honest, but answers every sync request with forged or altered blocks',
  params: {
    lie: { type: 'string', values: ['any', ...LIES], description: 'only this kind of lie (default any)' },
  },
  create: (ctx) => {
    const lie = stringParam(ctx, 'lie', 'any')
    return new LyingSync(ctx.honest(), ctx.store, ctx.rng.fork(), lie === 'any' ? LIES : LIES.filter((l) => l === lie))
  },
}

