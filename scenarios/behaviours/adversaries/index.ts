// The rule-targeting adversaries as behaviours: one per tamper, and 'adversaries',
// all of them composed on one node. K such nodes in one run collude only in that each
// attacks the same rules at once; they share no state.
import type { Behaviour } from '../types.ts'
import { forgeryLedger, Tampered, type Tamper } from './tamper.ts'
import {
  badSignatures, ccOffChain, duplicatedSigners, forgedTc, justifyOther, outOfSetSigner, quorumShort, replayForged, tcHighQcIgnored,
} from './tampers.ts'
import { justifySibling, seqRepeat } from './chain-tampers.ts'
import { rangeCcSibling, rangeUnchained } from './range-tampers.ts'

/** A behaviour's tampers are made per node (some keep state). */
const TAMPERS = new Map<string, () => readonly Tamper[]>([
  ['forged-tc', () => [forgedTc]],
  ['duplicated-signers', () => [duplicatedSigners]],
  ['out-of-set-signer', () => [outOfSetSigner]],
  ['quorum-short', () => [quorumShort()]],
  ['cc-off-chain', () => [ccOffChain]],
  ['justify-other', () => [justifyOther]],
  ['tc-high-qc-ignored', () => [tcHighQcIgnored]],
  ['justify-sibling', () => [justifySibling()]],
  ['seq-repeat', () => [seqRepeat()]],
  ['bad-signatures', () => [badSignatures()]],
  ['range-cc-sibling', () => [rangeCcSibling()]],
  ['range-unchained', () => [rangeUnchained()]],
  ['replay-forged', () => [forgedTc, ccOffChain, duplicatedSigners, replayForged]],
  // The two that replace its proposal come last (the leader tampers before them see it),
  // justify-sibling in a third of its rounds, seq-repeat in half of the others, so that
  // the composition still proposes in some. The range tampers (range-cc-sibling,
  // range-unchained) are not in it: they forge only for a replica range-syncing, and under
  // the composition the others commit too slowly while one is down (its proposal-replacing
  // tampers time out its rounds) for it to fall behind by more than the sync window.
  ['adversaries', () => [forgedTc, duplicatedSigners, outOfSetSigner, quorumShort(), ccOffChain, justifyOther, tcHighQcIgnored, badSignatures(), replayForged, justifySibling(1 / 3), seqRepeat(1 / 2)]],
])

export const ADVERSARY_NAMES = [...TAMPERS.keys()] as readonly AdversaryName[]
export type AdversaryName = 'forged-tc' | 'duplicated-signers' | 'out-of-set-signer' | 'quorum-short' | 'cc-off-chain' | 'justify-other' | 'tc-high-qc-ignored' | 'justify-sibling' | 'seq-repeat' | 'bad-signatures' | 'range-cc-sibling' | 'range-unchained' | 'replay-forged' | 'adversaries'

/** The adversaries that forge only what a replica range-syncing asks for: their runs are
 * the catch-up schedule's (scenarios/run/catch-up.ts); in a seed-derived run no replica
 * falls far enough behind, and they make nothing. */
export const RANGE_ADVERSARIES: readonly AdversaryName[] = ['range-cc-sibling', 'range-unchained']

/** The rejection counter keys of `name`'s forgeries: a run in which one of them was made
 * must show that key (the forgery was refused); judge.ts. */
export function expectedRejections(name: AdversaryName): readonly string[] {
  return [...new Set(TAMPERS.get(name)!().flatMap((t) => t.expects))]
}

function behaviourOf(name: AdversaryName): Behaviour {
  const make = TAMPERS.get(name)!
  const tampers = make()
  return {
    name,
    description: tampers.map((t) => t.description).join('; '),
    create: (ctx) => new Tampered(ctx.honest(), ctx, ctx.rng.fork(), make(), forgeryLedger(ctx.genesis)),
  }
}

export const ADVERSARIES: ReadonlyMap<AdversaryName, Behaviour> = new Map(ADVERSARY_NAMES.map((n) => [n, behaviourOf(n)]))
