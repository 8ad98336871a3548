// Properties of the governance state over random logs (docs/formats.md section 13):
//   1. applying blocks one at a time (as validators do, each block node from its parent's
//      state) gives, at every height, the state a PolicyLedger recomputes from scratch
//      over the committed entries;
//   2. the ledger fed every candidate, valid or not, refuses exactly what the block
//      judges refused, with the same rule;
//   3. an entry refused at height h is refused by the auditor's replay (ChainVerifier
//      over a signed chain) at h, at its position, with the same code; the chain of the
//      accepted entries passes the audit and ends in the same state.
// Replay a failure with FC_SEED=<seed> (printed in the suite's name).
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { toHex } from '../../src/crypto/hash.ts'
import { entryId, type Entry } from '../../src/log/entry.ts'
import { ChainVerifier } from '../../src/log/verify.ts'
import { PolicyLedger } from '../../src/governance/ledger.ts'
import { GovernanceState, type GovernanceRule } from '../../src/governance/state.ts'
import type { TestAgent } from '../support/chain-builder.ts';
import { ChainBuilder } from '../support/chain-builder.ts'
import { governedNet, hexOf, policyPayloadText } from '../support/governance.ts'

const seed = Number(process.env.FC_SEED ?? 20261204)
const numRuns = Number(process.env.FC_RUNS ?? 40)

const g = governedNet('governed-prop')
const chainId = g.genesis.chainId
const AGENTS: readonly TestAgent[] = [g.acmeRoot, g.globexRoot, g.alice, g.bob, g.carol]
const NAMESPACES = ['acme', 'acme/a', 'acme/a/b', 'globex', 'globex/x', 'other']
const SCHEMAS: readonly unknown[] = [
  { type: 'object', required: ['action'] },
  { type: 'object', properties: { n: { type: 'integer', maximum: 5 } } },
  { type: 'string' },
]
const PAYLOADS: readonly unknown[] = [{ action: 'buy' }, { n: 3 }, { n: 9 }, 'text', [1, 2]]

type Candidate =
  | { kind: 'policy', agent: number, ns: number, writers: number[] | null, admins: number[], schema: number | null }
  | { kind: 'malformed', agent: number, ns: number }
  | { kind: 'plain', agent: number, ns: number, payload: number }

const agentIndex = fc.integer({ min: 0, max: AGENTS.length - 1 })
const nsIndex = fc.integer({ min: 0, max: NAMESPACES.length - 1 })
const agentSet = fc.uniqueArray(agentIndex, { maxLength: 3 })
const candidate: fc.Arbitrary<Candidate> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('policy' as const), agent: agentIndex, ns: nsIndex, writers: fc.option(agentSet, { nil: null }), admins: agentSet, schema: fc.option(fc.integer({ min: 0, max: SCHEMAS.length - 1 }), { nil: null }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('malformed' as const), agent: agentIndex, ns: nsIndex }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('plain' as const), agent: agentIndex, ns: nsIndex, payload: fc.integer({ min: 0, max: PAYLOADS.length - 1 }) }) },
)
const blocks = fc.array(fc.array(candidate, { maxLength: 6 }), { minLength: 1, maxLength: 7 })

function toEntry(c: Candidate): Entry {
  const agent = AGENTS[c.agent]!
  const ns = NAMESPACES[c.ns]!
  if (c.kind === 'plain') return agent.entry(chainId, ns, PAYLOADS[c.payload])
  if (c.kind === 'malformed') return agent.entryText(chainId, ns, '{"synod":"policy","writers":"everyone"}')
  return agent.entryText(chainId, ns, policyPayloadText({
    writers: c.writers === null ? 'any' : hexOf(...c.writers.map((i) => AGENTS[i]!)),
    admins: hexOf(...c.admins.map((i) => AGENTS[i]!)),
    ...(c.schema === null ? {} : { schema: SCHEMAS[c.schema] }),
  }))
}

/** The state as data, to compare two states for equality. */
function dump(state: GovernanceState): unknown {
  return {
    height: state.height,
    records: [...state.records()].map((r) => ({
      namespace: r.namespace, entry: r.entry, agent: r.agent, height: r.height,
      writers: r.writers === null ? 'any' : [...r.writers].sort(), admins: [...r.admins].sort(), schema: r.spec.schemaJson,
    })),
  }
}

interface Refusal {
  readonly height: number
  /** Its position in the block the auditor would see: after the block's accepted entries before it. */
  readonly position: number
  readonly entry: Entry
  readonly rule: GovernanceRule
}

describe(`governance state over random logs (fast-check seed ${seed}, replay with FC_SEED=${seed})`, () => {
  it('incremental = from scratch; the ledger refuses what the judges refused; the auditor refuses it at the same height and position', () => {
    // What the runs exercised, so that the properties are not vacuous.
    const seen = new Map<string, number>()
    const count = (key: string) => seen.set(key, (seen.get(key) ?? 0) + 1)
    fc.assert(fc.property(blocks, (shape) => {
      const entries = shape.map((b) => b.map(toEntry))
      // Validators: one block at a time, each judged against the state after its parent.
      let state = GovernanceState.initial(g.genesis)!
      const states: GovernanceState[] = [state]
      const accepted: Entry[][] = []
      const refusals: Refusal[] = []
      const candidateRules: (GovernanceRule | null)[] = []
      entries.forEach((block, i) => {
        const judge = state.blockJudge()
        const kept: Entry[] = []
        for (const e of block) {
          const problem = judge.judge(e, () => toHex(entryId(e)))
          candidateRules.push(problem?.rule ?? null)
          count(problem?.rule ?? 'accepted')
          if (problem === null) kept.push(e)
          else refusals.push({ height: i + 1, position: kept.length, entry: e, rule: problem.rule })
        }
        state = judge.finish(i + 1)
        if (state.recordCount > states.at(-1)!.recordCount) count('namespace newly governed')
        states.push(state)
        accepted.push(kept)
      })

      // 1. From scratch over the committed entries, checked at every height.
      const ledger = new PolicyLedger(g.genesis)
      let index = 0
      accepted.forEach((block, i) => {
        for (const entry of block) expect(ledger.append({ entry, index: index++, height: i + 1 })).toBeNull()
        ledger.advanceTo(i + 1)
        expect(dump(ledger.state)).toEqual(dump(states[i + 1]!))
      })

      // 2. The ledger over every candidate refuses the same ones with the same rule.
      const all = new PolicyLedger(g.genesis)
      let at = 0
      entries.forEach((block, i) => {
        for (const entry of block) {
          const rule = all.append({ entry, index: at, height: i + 1 })?.rule ?? null
          expect(rule).toBe(candidateRules[at])
          at++
        }
      })
      all.advanceTo(entries.length)
      expect(dump(all.state)).toEqual(dump(state))
      expect(all.rejected().count).toBe(refusals.length)

      // 3. The auditor: the accepted chain verifies and ends in the same state ...
      const chain = new ChainBuilder(g.net)
      for (const block of accepted) chain.add(block)
      const verifier = new ChainVerifier(g.genesis)
      for (const item of chain.items) expect(verifier.push(item)).toBeNull()
      expect(dump(verifier.governance!)).toEqual(dump(state))
      // ... and a chain with a refused entry put back where it was fails there.
      for (const r of refusals.slice(0, 2)) {
        const bad = new ChainBuilder(g.net)
        for (let h = 1; h < r.height; h++) bad.add(accepted[h - 1]!)
        bad.add([...accepted[r.height - 1]!.slice(0, r.position), r.entry])
        const audit = new ChainVerifier(g.genesis)
        let failure = null
        for (const item of bad.items) if ((failure = audit.push(item)) !== null) break
        expect(failure).toMatchObject({ code: r.rule, height: r.height, position: r.position })
      }
    }), { seed, numRuns })
    for (const key of ['accepted', 'namespace newly governed', 'policy-malformed', 'policy-not-admin', 'entry-not-writer', 'entry-schema-mismatch']) {
      expect(seen.get(key) ?? 0, `runs with ${key}`).toBeGreaterThan(0)
    }
  })
})
