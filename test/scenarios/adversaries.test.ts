// The rule-targeting adversaries (scenarios/behaviours/adversaries/): each alone at
// K = f keeps an honest cluster safe and live, makes its forgeries, and the honest
// replicas refuse every kind made with the typed rejection it names (a kind made and
// never refused is one of runAdversary's problems); composed on one node, and on
// colluding nodes (K = f of n = 7), likewise. Seeds are printed; a failure prints its replay.
import { describe, expect, it } from 'vitest'
import { ED25519 } from '../../src/crypto/signature-scheme.ts'
import { ADVERSARY_NAMES, expectedRejections, RANGE_ADVERSARIES, type AdversaryName } from '../../scenarios/behaviours/adversaries/index.ts'
import { runAdversary } from '../../scenarios/behaviours/adversaries/judge.ts'
import { broadcast, isForged, Tampered, type Tamper } from '../../scenarios/behaviours/adversaries/tamper.ts'
import { replayForged } from '../../scenarios/behaviours/adversaries/tampers.ts'
import { Prng } from '../../scenarios/sim/prng.ts'
import { Replica } from '../../src/consensus/replica.ts'
import type { Action } from '../../src/consensus/types.ts'
import { simGenesis, simSeeds, SIM_PARAMS } from '../../scenarios/sim/simulator.ts'

const SEED = 31

describe('rule-targeting adversaries', () => {
  // The range adversaries forge only for a replica range-syncing: catch-up.test.ts.
  for (const behaviour of ADVERSARY_NAMES.filter((b) => !RANGE_ADVERSARIES.includes(b))) {
    it(`${behaviour} (n=4, K=1, seed ${SEED}): safe, live, forgeries made, and every kind made refused`, () => {
      const r = runAdversary(SEED, behaviour, { nodes: 4, byzantine: 1 })
      console.log(`${behaviour} seed ${SEED}: made ${JSON.stringify([...r.made])}, refused ${JSON.stringify([...r.rejections])}`)
      expect(r.problems, r.replay).toEqual([])
      expect([...r.made.values()].some((count) => count > 0), `${behaviour} made no forgery (${r.replay})`).toBe(true)
      for (const [key, count] of r.made) if (count > 0) expect(r.rejections.get(key), `${key} (${r.replay})`).toBeGreaterThan(0)
    }, 120_000)
  }

  it(`colluding: 'adversaries' on K=2 of n=7 (seed ${SEED}) stays safe and live, with every rejection`, () => {
    const r = runAdversary(SEED, 'adversaries', { nodes: 7, byzantine: 2 })
    console.log(`adversaries n=7 K=2 seed ${SEED}: made ${JSON.stringify([...r.made])}, refused ${JSON.stringify([...r.rejections])}`)
    expect(r.problems, r.replay).toEqual([])
    expect([...r.rejections.keys()]).toEqual([...expectedRejections('adversaries')])
    for (const [key, count] of r.made) if (count > 0) expect(r.rejections.get(key), key).toBeGreaterThan(0)
    expect(r.made.get('sync-info: certificate-rejected/certificate-bad-signature'), 'certificate forgeries made').toBeGreaterThan(0)
  }, 120_000)

  // The adversaries that reach the rules of the injected bugs block-justify-any-block,
  // block-seq-not-checked and proposal-tc-high-qc-ignored (docs/mutation.md): the honest
  // cluster refuses each forgery with its code, in every one of a few seeds.
  const REACHING = new Map<AdversaryName, string>([
    ['justify-sibling', 'block: block-justify-not-parent'],
    ['seq-repeat', 'proposal: block-entry-seq'],
    ['tc-high-qc-ignored', 'proposal: proposal-qc-below-tc'],
  ])
  for (const [behaviour, key] of REACHING) {
    it(`${behaviour}: the honest cluster refuses its forgeries with ${key} (n=4, K=1, seeds 1-5)`, () => {
      for (let seed = 1; seed <= 5; seed++) {
        const r = runAdversary(seed, behaviour, { nodes: 4, byzantine: 1, signatures: 'standin' })
        expect(r.problems, r.replay).toEqual([])
        expect(r.made.get(key), `forgeries made (${r.replay})`).toBeGreaterThan(0)
        expect(r.rejections.get(key), `refusals (${r.replay})`).toBeGreaterThan(0)
      }
    }, 120_000)
  }

  it('tampers compose in order: replay-forged repeats what the tampers before it forged, and nothing else', () => {
    const seeds = simSeeds(1, 4)
    const genesis = simGenesis(seeds, SIM_PARAMS)
    const inner = new Replica({ genesis, validatorIndex: 0, seed: seeds[0]! })
    const syncInfo = (ctx: { inner: Replica }) => ({ type: 'sync-info' as const, highQc: ctx.inner.highQc!, highTc: null, highCc: null })
    const plain: Tamper = { name: 'plain', description: 'an unmarked extra message', expects: [], apply: (ctx, _e, actions) => [...actions, { type: 'broadcast', message: syncInfo(ctx) }] }
    const marked: Tamper = { name: 'marked', description: 'a forged extra message', expects: [], apply: (ctx, _e, actions) => [...actions, broadcast(syncInfo(ctx))] }
    const node = new Tampered(inner, { seed: seeds[0]!, signatures: ED25519 }, new Prng(1), [plain, marked, replayForged])
    const out: Action[] = node.step({ type: 'start', now: 0 })
    const infos = out.filter((a) => a.type === 'broadcast' && a.message.type === 'sync-info')
    expect(infos).toHaveLength(3)
    expect(infos.filter((a) => a.type === 'broadcast' && isForged(a.message))).toHaveLength(2)
    // The honest replica's own actions come first and are untouched.
    expect(out[0]).toEqual({ type: 'broadcast', message: { type: 'status-request' } })
  })
})
