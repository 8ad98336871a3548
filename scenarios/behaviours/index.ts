// The registry of behaviours, by name.
import type { Prng } from '../sim/prng.ts'
import { Honest, type Behaviour } from './types.ts'
import { crash } from './crash.ts'
import { doubleVote } from './double-vote.ts'
import { equivocate } from './equivocate.ts'
import { forge } from './forge.ts'
import { replay } from './replay.ts'
import { silent } from './silent.ts'
import { twins } from './twins.ts'
import { withhold } from './withhold.ts'
import { flood } from './flood.ts'
import { lyingSync } from './lying-sync.ts'
import { censorVotes } from './censor-votes.ts'
import { ADVERSARIES, type AdversaryName } from './adversaries/index.ts'

export const BEHAVIOUR_NAMES = ['honest', 'crash', 'silent', 'equivocate', 'double-vote', 'withhold', 'forge', 'replay', 'twins', 'flood', 'lying-sync', 'censor-votes', 'mixed',
  'forged-tc', 'duplicated-signers', 'out-of-set-signer', 'quorum-short', 'cc-off-chain', 'justify-other', 'tc-high-qc-ignored', 'justify-sibling', 'seq-repeat', 'bad-signatures', 'replay-forged', 'adversaries', 'range-cc-sibling', 'range-unchained'] as const satisfies readonly (string | AdversaryName)[]
export type BehaviourName = (typeof BEHAVIOUR_NAMES)[number]

const honest: Behaviour = { name: 'honest', description: 'the protocol as written', create: (ctx) => new Honest(ctx.honest()) }

const REGISTRY: Partial<Record<BehaviourName, Behaviour>> = {
  honest, crash, silent, equivocate, 'double-vote': doubleVote, withhold, forge, replay, twins, flood, 'lying-sync': lyingSync, 'censor-votes': censorVotes,
  ...Object.fromEntries(ADVERSARIES),
}

/** The behaviour object registered under a name ('mixed' has none: it picks one per run). */
export function behaviourSpec(name: BehaviourName): Behaviour | undefined {
  return Object.hasOwn(REGISTRY, name) ? REGISTRY[name] : undefined
}

export const MIXED_DESCRIPTION = 'one of the other behaviours, picked from the seed per node'

/** The behaviour for one node; 'mixed' picks one of the others from the run's PRNG. */
export function behaviourNamed(name: BehaviourName, rng: Prng): Behaviour {
  if (name === 'mixed') {
    // Behaviours added after 'mixed' existed stay out of it (censor-votes; the
    // rule-targeting adversaries, which have 'adversaries'), so that a seed of a mixed run
    // names the same run as before they were added.
    const choices = BEHAVIOUR_NAMES.filter((b) => b !== 'mixed' && b !== 'honest' && b !== 'censor-votes' && !ADVERSARIES.has(b as AdversaryName) && REGISTRY[b] !== undefined)
    return REGISTRY[rng.pick(choices)]!
  }
  const b = behaviourSpec(name)
  if (b === undefined) throw new RangeError(`unknown behaviour '${name}'`)
  return b
}

export function isBehaviourName(name: string): name is BehaviourName {
  return (BEHAVIOUR_NAMES as readonly string[]).includes(name)
}
