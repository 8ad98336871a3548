// equivocate: as leader, sends one proposal to half of its peers and a conflicting one
// (same round and parent, different entries, validly signed with its key) to the other
// half. Otherwise honest.
import { signDomain } from '../../src/crypto/domain.ts'
import type { SignatureScheme } from '../../src/crypto/signature-scheme.ts'
import { toHex } from '../../src/crypto/hash.ts'
import { blockHash, type Block, type BlockHeader } from '../../src/log/block.ts'
import { EMPTY_ROOT } from '../../src/log/merkle.ts'
import type { Action, Event, ProposalMessage } from '../../src/consensus/types.ts'
import type { Replica } from '../../src/consensus/replica.ts'
import { Decorator, type Behaviour } from './types.ts'

/** Records headers the replica persisted or committed (to find a proposal's parent). */
export class HeaderBook {
  readonly #headers = new Map<string, BlockHeader>()
  note(actions: readonly Action[]): void {
    for (const a of actions) {
      if (a.type === 'persist-block') this.#headers.set(toHex(a.hash), a.block.header)
      if (a.type === 'commit') a.blocks.forEach((b, i) => this.#headers.set(toHex(a.hashes[i]!), b.header))
    }
    if (this.#headers.size > 4096) this.#headers.clear()
  }
  get(hash: Uint8Array): BlockHeader | undefined {
    return this.#headers.get(toHex(hash))
  }
}

/** The conflicting twin of a proposal: the same slot with no entries, or null if the
 * original is already empty (then there is nothing to vary). */
export function conflictingProposal(
  p: ProposalMessage, parent: BlockHeader, seed: Uint8Array, chainId: string, signatures: SignatureScheme,
): ProposalMessage | null {
  if (p.block.entries.length === 0) return null
  const header: BlockHeader = { ...p.block.header, entriesRoot: EMPTY_ROOT, entryCount: 0, logSize: parent.logSize, logRoot: parent.logRoot }
  const block: Block = { header, entries: [] }
  return { ...p, block, sig: signDomain(seed, 'proposal', chainId, { block: blockHash(header) }, signatures) }
}

class Equivocate extends Decorator {
  readonly #seed: Uint8Array
  readonly #signatures: SignatureScheme
  readonly #chainId: string
  readonly #halves: readonly number[][]
  readonly #book = new HeaderBook()
  constructor(inner: Replica, seed: Uint8Array, signatures: SignatureScheme, halves: number[][]) {
    super(inner)
    this.#seed = seed
    this.#signatures = signatures
    this.#chainId = inner.genesis.chainId
    this.#halves = halves
  }
  protected override output(_event: Event, actions: Action[]): Action[] {
    this.#book.note(actions)
    const out: Action[] = []
    for (const a of actions) {
      if (a.type !== 'broadcast' || a.message.type !== 'proposal') {
        out.push(a)
        continue
      }
      const parent = this.#book.get(a.message.block.header.parent)
      const other = parent === undefined ? null : conflictingProposal(a.message, parent, this.#seed, this.#chainId, this.#signatures)
      if (other === null) {
        out.push(a)
        continue
      }
      for (const to of this.#halves[0]!) out.push({ type: 'send', to, message: a.message })
      for (const to of this.#halves[1]!) out.push({ type: 'send', to, message: other })
    }
    return out
  }
}

export const equivocate: Behaviour = {
  name: 'equivocate',
  description: 'as leader, sends conflicting validly signed proposals to two halves of its peers',
  create: (ctx) => {
    const peers = ctx.rng.shuffle([...Array(ctx.genesis.validators.length).keys()].filter((i) => i !== ctx.index))
    const cut = Math.ceil(peers.length / 2)
    return new Equivocate(ctx.honest(), ctx.seed, ctx.signatures, [peers.slice(0, cut), peers.slice(cut)])
  },
}
