// Rule-targeting adversaries: each tamper makes an otherwise valid message that breaks
// exactly one validation rule of the core, and names the typed rejection an honest
// replica must answer it with (`expects`, a key of the simulator's rejection counters:
// `message type: code path`). Each tamper records, per key, the forgeries it actually
// made (`ctx.made`): a run is judged only on forgeries made (judge.ts), since a tamper
// may never meet the conditions of its forgery. Tampers compose: one decorator runs
// several on a node, in order, each seeing the actions the previous ones left.
import { signDomain } from '../../../src/crypto/domain.ts'
import type { SignatureScheme } from '../../../src/crypto/signature-scheme.ts'
import { toHex } from '../../../src/crypto/hash.ts'
import { blockHash, type BlockHeader } from '../../../src/log/block.ts'
import { timeoutDataToCbor, voteDataToCbor } from '../../../src/log/certificates.ts'
import { bitmapOf } from '../../../src/log/signer-bitmap.ts'
import type { Genesis } from '../../../src/log/genesis.ts'
import type { MerkleAccumulatorState } from '../../../src/log/merkle.ts'
import type { Replica } from '../../../src/consensus/replica.ts'
import type { SyncStore } from '../../../src/consensus/sync.ts'
import type { Action, Event, Message } from '../../../src/consensus/types.ts'
import type { Prng } from '../../sim/prng.ts'
import { Decorator } from '../types.ts'

/** Headers this node saw in proposals, by hash (oldest forgotten first). */
const SEEN_HEADERS_MAX = 128

export interface TamperContext {
  readonly inner: Replica
  readonly seed: Uint8Array
  /** The scheme the run signs with (what `seed` signs under). */
  readonly signatures: SignatureScheme
  readonly rng: Prng
  /** Headers of blocks seen in proposals (its own and others'), by hex hash. */
  readonly headers: ReadonlyMap<string, BlockHeader>
  /** The node's own store (what its honest replica persisted and committed), read-only. */
  readonly store: SyncStore | null
  /** The log after the node's committed head, as its last commit left it (null until
   * the replica, since it was built, committed once). */
  readonly committedLog: () => MerkleAccumulatorState | null
  /** Records that a forgery drawing rejection `key` went out (to one or more peers). */
  made(key: string, count?: number): void
}

/** Forgeries made in a run, by expected rejection key, over all its tampered nodes and
 * their restarts: keyed by the run's genesis object (one per Simulation). */
const ledgers = new WeakMap<Genesis, Map<string, number>>()
export function forgeryLedger(genesis: Genesis): Map<string, number> {
  let ledger = ledgers.get(genesis)
  if (ledger === undefined) {
    ledger = new Map()
    ledgers.set(genesis, ledger)
  }
  return ledger
}

export interface TamperSigner {
  readonly seed: Uint8Array
  readonly signatures: SignatureScheme
  /** The node's store (absent: tampers that need it make nothing). */
  readonly store?: SyncStore
}

export interface Tamper {
  readonly name: string
  readonly description: string
  /** The rejection counter keys an honest replica answers this tamper's messages with. */
  readonly expects: readonly string[]
  /** Extra actions (or replacements) after the honest replica's `actions` for `event`. */
  apply(ctx: TamperContext, event: Event, actions: Action[]): Action[]
}

/** Runs tampers in order over a replica's outputs. */
export class Tampered extends Decorator {
  readonly #tampers: readonly Tamper[]
  readonly #ctx: TamperContext
  readonly #headers = new Map<string, BlockHeader>()
  #committedLog: MerkleAccumulatorState | null = null
  /** `ledger` receives the forgeries made (forgeryLedger of the run, or the caller's). */
  constructor(inner: Replica, signer: TamperSigner, rng: Prng, tampers: readonly Tamper[], ledger: Map<string, number> = new Map()) {
    super(inner)
    this.#tampers = tampers
    this.#ctx = {
      inner, seed: signer.seed, signatures: signer.signatures, rng, headers: this.#headers, store: signer.store ?? null,
      committedLog: () => this.#committedLog,
      made: (key, count = 1) => { ledger.set(key, (ledger.get(key) ?? 0) + count) },
    }
  }
  protected override output(event: Event, actions: Action[]): Action[] {
    if (event.type === 'message') this.#see(event.message)
    for (const a of actions) {
      if (a.type === 'broadcast' || a.type === 'send') this.#see(a.message)
      else if (a.type === 'commit') this.#committedLog = a.log
    }
    let out = actions
    for (const t of this.#tampers) out = t.apply(this.#ctx, event, out)
    return out
  }
  #see(m: Message): void {
    if (m.type !== 'proposal') return
    const h = m.block.header
    this.#headers.set(toHex(blockHashOf(h)), h)
    if (this.#headers.size > SEEN_HEADERS_MAX) this.#headers.delete(this.#headers.keys().next().value as string)
  }
}

// A header's hash, computed once per header object.
const hashes = new WeakMap<BlockHeader, Uint8Array>()
export function blockHashOf(h: BlockHeader): Uint8Array {
  let hash = hashes.get(h)
  if (hash === undefined) {
    hash = blockHash(h)
    hashes.set(h, hash)
  }
  return hash
}

/** `quorum` signer indexes that include `self`, preferring those above it (so that
 * `self` is the lowest where the set allows). */
export function signersWith(self: number, n: number, quorum: number): number[] {
  const above = Array.from({ length: n - self - 1 }, (_, i) => self + 1 + i)
  const below = Array.from({ length: self }, (_, i) => self - 1 - i)
  return [self, ...above, ...below].slice(0, quorum).sort((a, b) => a - b)
}

/** Signatures for `signers` where every slot holds this node's own signature. */
export function ownSignatureEverywhere(signers: readonly number[], n: number, sig: Uint8Array): { signers: Uint8Array, sigs: Uint8Array[] } {
  return { signers: bitmapOf(signers, n), sigs: signers.map(() => sig) }
}

export function voteSig(ctx: TamperContext, round: number, height: number, block: Uint8Array): Uint8Array {
  return signDomain(ctx.seed, 'vote', ctx.inner.genesis.chainId, voteDataToCbor({ round, height, block }), ctx.signatures)
}

export function timeoutSig(ctx: TamperContext, round: number, highQcRound: number): Uint8Array {
  return signDomain(ctx.seed, 'timeout', ctx.inner.genesis.chainId, timeoutDataToCbor(round, highQcRound), ctx.signatures)
}

/** Random 64-byte signatures for `signers` (made up: none verifies). */
export function madeUp(rng: Prng, signers: readonly number[], n: number): { signers: Uint8Array, sigs: Uint8Array[] } {
  return { signers: bitmapOf(signers, n), sigs: signers.map(() => rng.bytes(64)) }
}

/** Messages a tamper made, so that a later tamper (replay-forged) can find them. */
const forgedMessages = new WeakSet<Message>()
export function forged<M extends Message>(m: M): M {
  forgedMessages.add(m)
  return m
}
export function isForged(m: Message): boolean {
  return forgedMessages.has(m)
}

/** A broadcast of a tampered message. */
export function broadcast(m: Message): Action {
  return { type: 'broadcast', message: forged(m) }
}

/** A broadcast of a tampered message whose forgery draws rejection `key`, recorded as made. */
export function broadcastMade(ctx: TamperContext, key: string, m: Message): Action {
  ctx.made(key)
  return broadcast(m)
}
