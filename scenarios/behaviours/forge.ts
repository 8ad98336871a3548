// forge: sends invalid and forged material: corrupted signatures on votes, timeouts and
// proposals, tampered entries, and certificates with made-up signatures claiming far
// higher rounds and heights. Every honest node must reject all of it.
import type { CommitCertificate, QuorumCertificate } from '../../src/log/certificates.ts'
import { bitmapOf } from '../../src/log/signer-bitmap.ts'
import type { Action, Event, Message } from '../../src/consensus/types.ts'
import type { Replica } from '../../src/consensus/replica.ts'
import type { Prng } from '../sim/prng.ts'
import { Decorator, type Behaviour } from './types.ts'

class Forge extends Decorator {
  readonly #rng: Prng
  constructor(inner: Replica, rng: Prng) {
    super(inner)
    this.#rng = rng
  }
  #flip(sig: Uint8Array): Uint8Array {
    const out = sig.slice()
    out[this.#rng.int(out.length)]! ^= 1 << this.#rng.int(8)
    return out
  }
  #fakeSigs(n: number, quorum: number): { signers: Uint8Array, sigs: Uint8Array[] } {
    const signers = this.#rng.shuffle([...Array(n).keys()]).slice(0, quorum).sort((a, b) => a - b)
    return { signers: bitmapOf(signers, n), sigs: signers.map(() => this.#rng.bytes(64)) }
  }
  #corrupt(m: Message): Message {
    switch (m.type) {
      case 'vote':
        return this.#rng.chance(0.5) || m.commit === null ? { ...m, sig: this.#flip(m.sig) } : { ...m, commit: { ...m.commit, sig: this.#flip(m.commit.sig) } }
      case 'timeout':
        return this.#rng.chance(0.5) ? { ...m, sig: this.#flip(m.sig) } : { ...m, highQc: { ...m.highQc, round: m.highQc.round + 1 } }
      case 'proposal': {
        if (m.block.entries.length > 0 && this.#rng.chance(0.5)) {
          const [first, ...rest] = m.block.entries
          return { ...m, block: { ...m.block, entries: [{ ...first!, payload: '{"forged":true}' }, ...rest] } }
        }
        return { ...m, sig: this.#flip(m.sig) }
      }
      default:
        return m
    }
  }
  #forgedCertificates(): Message {
    const set = this.inner.set
    const round = this.inner.round + 3
    const height = this.inner.committedHeight + 50
    const qc: QuorumCertificate = { round, height, block: this.#rng.bytes(32), ...this.#fakeSigs(set.n, set.quorum) }
    const cc: CommitCertificate = { height, block: this.#rng.bytes(32), logSize: 1000, logRoot: this.#rng.bytes(32), ...this.#fakeSigs(set.n, set.quorum) }
    return { type: 'sync-info', highQc: qc, highTc: null, highCc: this.#rng.chance(0.5) ? cc : null }
  }
  protected override output(_event: Event, actions: Action[]): Action[] {
    const out: Action[] = []
    for (const a of actions) {
      if ((a.type === 'send' || a.type === 'broadcast') && this.#rng.chance(0.5)) out.push({ ...a, message: this.#corrupt(a.message) })
      else out.push(a)
    }
    if (this.#rng.chance(0.05)) out.push({ type: 'broadcast', message: this.#forgedCertificates() })
    return out
  }
}

export const forge: Behaviour = { name: 'forge', description: 'corrupts signatures and entries, and broadcasts certificates with made-up signatures', create: (ctx) => new Forge(ctx.honest(), ctx.rng.fork()) }
