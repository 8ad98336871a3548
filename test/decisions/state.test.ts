import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { toHex } from '../../src/crypto/hash.ts'
import { entryId, type Entry } from '../../src/log/entry.ts'
import { decisionPayloadText, readDecisionPayload, votePayloadText, type VoteKind } from '../../src/decisions/payload.ts'
import { DecisionLedger, decisionStates, type DecisionLogRecord, type DecisionState } from '../../src/decisions/state.ts'
import { seedOf } from '../support/chain-builder.ts'

// The ledger reads payloads, agents and refs only (signatures are the log's business,
// checked before an entry is committed), so these entries carry a zero signature.
const SIG = new Uint8Array(64)
let seqCounter = 0

function agentKey(label: string): Uint8Array {
  return seedOf(`decision-test/agent/${label}`)
}

function rawEntry(agent: Uint8Array, payload: string, refs: Uint8Array[] = []): Entry {
  seqCounter += 1
  return { agent, namespace: 'org/decisions', seq: seqCounter, payload, refs, idempotencyKey: '', sig: SIG }
}

const approvers = ['a', 'b', 'c', 'd', 'e'].map(agentKey)
const approverHex = approvers.map(toHex)
const outsider = agentKey('outsider')
const proposer = agentKey('proposer')

function decisionEntry(threshold: number, deadline: number, m = approvers.length): Entry {
  return rawEntry(proposer, decisionPayloadText({ approvers: approverHex.slice(0, m), threshold, deadline }, { plan: 'ship' }))
}

function voteEntry(agent: Uint8Array, kind: VoteKind, decision: Entry): Entry {
  return rawEntry(agent, votePayloadText(kind), [entryId(decision)])
}

/** Records for entries, one block per entry from height 1 unless heights are given. */
function records(entries: readonly Entry[], heights?: readonly number[]): DecisionLogRecord[] {
  return entries.map((entry, index) => ({ entry, index, height: heights?.[index] ?? index + 1 }))
}

function stateOf(entries: readonly Entry[], decision: Entry, heights?: readonly number[], height?: number): DecisionState | undefined {
  const recs = records(entries, heights)
  return decisionStates(recs, height ?? recs.at(-1)?.height ?? 0).get(toHex(entryId(decision)))
}

describe('decision payloads', () => {
  it('reads a decision and a vote, and leaves other payloads alone', () => {
    const d = decisionEntry(2, 10)
    expect(readDecisionPayload(d)).toMatchObject({ type: 'decision', spec: { threshold: 2, deadline: 10 } })
    expect(readDecisionPayload(voteEntry(approvers[0]!, 'reject', d))).toMatchObject({ type: 'vote', vote: { kind: 'reject' } })
    expect(readDecisionPayload(rawEntry(proposer, '{"plan":"ship"}'))).toEqual({ type: 'none' })
    expect(readDecisionPayload(rawEntry(proposer, '{"synod":"something-else"}'))).toEqual({ type: 'none' })
    expect(readDecisionPayload(rawEntry(proposer, '["synod"]'))).toEqual({ type: 'none' })
  })

  it.each([
    ['no approvers', '{"synod":"decision","approvers":[],"threshold":1,"deadline":5}'],
    ['threshold above m', `{"synod":"decision","approvers":["${approverHex[0]}"],"threshold":2,"deadline":5}`],
    ['threshold 0', `{"synod":"decision","approvers":["${approverHex[0]}"],"threshold":0,"deadline":5}`],
    ['fractional deadline', `{"synod":"decision","approvers":["${approverHex[0]}"],"threshold":1,"deadline":5.5}`],
    ['upper-case key', `{"synod":"decision","approvers":["${approverHex[0]!.toUpperCase()}"],"threshold":1,"deadline":5}`],
    ['repeated approver', `{"synod":"decision","approvers":["${approverHex[0]}","${approverHex[0]}"],"threshold":1,"deadline":5}`],
    ['unknown member', `{"synod":"decision","approvers":["${approverHex[0]}"],"threshold":1,"deadline":5,"x":1}`],
  ])('refuses a decision payload with %s', (_, payload) => {
    expect(readDecisionPayload(rawEntry(proposer, payload)).type).toBe('malformed')
  })

  it('refuses a vote without exactly one ref', () => {
    const d = decisionEntry(1, 5)
    expect(readDecisionPayload(rawEntry(approvers[0]!, votePayloadText('approve'))).type).toBe('malformed')
    expect(readDecisionPayload(rawEntry(approvers[0]!, votePayloadText('approve'), [entryId(d), entryId(d)])).type).toBe('malformed')
  })

  it('regression: a reserved name written with \\u escapes was not recognised (the cheap filter looked for "synod" only)', () => {
    const payload = `{"\\u0073ynod":"decision","approvers":["${approverHex[0]}"],"threshold":1,"deadline":5}`
    expect(JSON.parse(payload)).toHaveProperty('synod', 'decision')
    expect(readDecisionPayload(rawEntry(proposer, payload)).type).toBe('decision')
    expect(readDecisionPayload(rawEntry(proposer, '{"synod":"\\u0061pprove"}', [new Uint8Array(32)])).type).toBe('vote')
  })

  it('a member named __proto__ is a member like any other (unknown)', () => {
    const payload = `{"synod":"decision","approvers":["${approverHex[0]}"],"threshold":1,"deadline":5,"__proto__":{"threshold":9}}`
    expect(readDecisionPayload(rawEntry(proposer, payload))).toMatchObject({ type: 'malformed', problem: 'unknown member "__proto__"' })
  })
})

describe('decision states', () => {
  it('is pending, then approved at the k-th approval', () => {
    const d = decisionEntry(2, 100)
    const a1 = voteEntry(approvers[0]!, 'approve', d)
    expect(stateOf([d, a1], d)?.status).toBe('pending')
    const a2 = voteEntry(approvers[1]!, 'approve', d)
    const s = stateOf([d, a1, a2], d)!
    expect(s.status).toBe('approved')
    expect(s.approvals.map((v) => v.id)).toEqual([a1, a2].map((e) => toHex(entryId(e))))
    expect(s.decidedBy?.id).toBe(toHex(entryId(a2)))
  })

  it('is rejected when more than m - k approvers reject', () => {
    const d = decisionEntry(4, 100) // m = 5, k = 4: a second rejection makes 4 unreachable
    const r1 = voteEntry(approvers[0]!, 'reject', d)
    expect(stateOf([d, r1], d)?.status).toBe('pending')
    const r2 = voteEntry(approvers[1]!, 'reject', d)
    expect(stateOf([d, r1, r2], d)?.status).toBe('rejected')
  })

  it('expires once a block above the deadline commits, and ignores votes there', () => {
    const d = decisionEntry(1, 3)
    expect(stateOf([d], d, [1], 3)?.status).toBe('pending')
    expect(stateOf([d], d, [1], 4)?.status).toBe('expired')
    const late = voteEntry(approvers[0]!, 'approve', d)
    expect(stateOf([d, late], d, [1, 4])?.status).toBe('expired')
    const onTime = voteEntry(approvers[0]!, 'approve', d)
    expect(stateOf([d, onTime], d, [1, 3], 9)?.status).toBe('approved')
  })

  it('counts only named approvers, and only their first vote', () => {
    const d = decisionEntry(2, 100)
    const entries = [d, voteEntry(outsider, 'approve', d), voteEntry(approvers[0]!, 'approve', d), voteEntry(approvers[0]!, 'approve', d)]
    expect(stateOf(entries, d)?.status).toBe('pending')
    const ledger = new DecisionLedger()
    for (const r of records(entries)) ledger.append(r)
    const { counts } = ledger.anomalies()
    expect(counts.get('vote-from-non-approver')).toBe(1)
    expect(counts.get('repeated-vote')).toBe(1)
  })

  it('first committed vote wins: a later conflicting vote is ignored and reported', () => {
    const d = decisionEntry(1, 100, 2)
    const entries = [d, voteEntry(approvers[0]!, 'reject', d), voteEntry(approvers[0]!, 'approve', d)]
    const ledger = new DecisionLedger()
    for (const r of records(entries)) ledger.append(r)
    expect(ledger.state(toHex(entryId(d)))?.status).toBe('pending')
    expect(ledger.anomalies().counts.get('conflicting-vote')).toBe(1)
  })

  it('ignores a vote committed before its decision', () => {
    const d = decisionEntry(1, 100)
    const early = voteEntry(approvers[0]!, 'approve', d)
    expect(stateOf([early, d], d)?.status).toBe('pending')
  })

  it('a partial ledger starts at the given log size', () => {
    const ledger = new DecisionLedger({ logSize: 7, height: 3 })
    const d = decisionEntry(1, 100)
    ledger.append({ entry: d, index: 7, height: 4 })
    expect(ledger.state(toHex(entryId(d)))?.index).toBe(7)
    expect(() => ledger.append({ entry: d, index: 9, height: 4 })).toThrow(/next one/)
  })
})

// --- properties ---

const seed = Number(process.env.FC_SEED ?? 20261203)
const numRuns = Number(process.env.FC_RUNS ?? 100)

/** A reference model of the rules, written independently of the ledger: for one
 * decision, from its votes in log order. */
function model(m: number, k: number, deadline: number, votes: readonly { who: number, kind: VoteKind, height: number }[], lastHeight: number): string {
  const voted = new Set<number>()
  let yes = 0
  let no = 0
  for (const v of votes) {
    if (v.who >= m || v.height > deadline || voted.has(v.who)) continue
    voted.add(v.who)
    if (v.kind === 'approve') yes++
    else no++
    if (yes >= k) return 'approved'
    if (no > m - k) return 'rejected'
  }
  return lastHeight > deadline ? 'expired' : 'pending'
}

const voteArb = fc.record({ who: fc.nat({ max: 6 }), kind: fc.constantFrom<VoteKind>('approve', 'reject'), gap: fc.nat({ max: 2 }) })
const scenarioArb = fc.record({
  m: fc.integer({ min: 1, max: 5 }),
  kFrac: fc.double({ min: 0, max: 1, noNaN: true }),
  deadline: fc.integer({ min: 1, max: 12 }),
  votes: fc.array(voteArb, { maxLength: 12 }),
  noise: fc.array(fc.nat({ max: 12 }), { maxLength: 6 }),
  tail: fc.nat({ max: 4 }),
})

type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never

/** Builds the log of a scenario: the decision at height 1, its votes at increasing
 * heights, unrelated entries inserted at the positions in `noise` (at the height of the
 * entry before them). Votes from index >= m are by agents the decision does not name. */
function buildLog(s: Scenario, noiseOn: boolean) {
  const k = Math.max(1, Math.ceil(s.kFrac * s.m))
  const decision = decisionEntry(k, s.deadline, s.m)
  const voters = [...approvers, outsider, agentKey('other')]
  const modelVotes: { who: number, kind: VoteKind, height: number }[] = []
  const main: { entry: Entry, height: number }[] = [{ entry: decision, height: 1 }]
  let height = 1
  for (const v of s.votes) {
    height += v.gap
    main.push({ entry: voteEntry(voters[v.who]!, v.kind, decision), height })
    modelVotes.push({ who: v.who, kind: v.kind, height })
  }
  const log: { entry: Entry, height: number }[] = []
  const noise = noiseOn ? [...s.noise].sort((a, b) => a - b) : []
  for (const [i, item] of main.entries()) {
    log.push(item)
    while (noise.length > 0 && noise[0]! <= i) {
      noise.shift()
      log.push({ entry: rawEntry(outsider, `{"note":${i}}`), height: item.height })
    }
  }
  const lastHeight = height + s.tail
  const recs = log.map((r, index) => ({ entry: r.entry, index, height: r.height }))
  return { k, decision, recs, lastHeight, modelVotes }
}

function summary(state: DecisionState | undefined): unknown {
  return state === undefined ? null : { status: state.status, approvals: state.approvals.map((v) => v.id), rejections: state.rejections.map((v) => v.id), decidedBy: state.decidedBy?.id ?? null }
}

describe(`decision state properties (fast-check seed ${seed}, replay with FC_SEED=${seed})`, () => {
  it('agrees with a reference model of the rules', () => {
    fc.assert(fc.property(scenarioArb, (s) => {
      const { k, decision, recs, lastHeight, modelVotes } = buildLog(s, false)
      const state = decisionStates(recs, lastHeight).get(toHex(entryId(decision)))!
      expect(state.status).toBe(model(s.m, k, s.deadline, modelVotes, lastHeight))
    }), { seed, numRuns })
  })

  it('does not depend on unrelated entries or where they are in the log', () => {
    fc.assert(fc.property(scenarioArb, (s) => {
      const plain = buildLog(s, false)
      const id = toHex(entryId(plain.decision))
      const before = summary(decisionStates(plain.recs, plain.lastHeight).get(id))
      // The same decision and votes (same entries) with unrelated entries in between.
      const noisy: DecisionLogRecord[] = []
      const noise = [...s.noise].sort((a, b) => a - b)
      for (const [i, r] of plain.recs.entries()) {
        noisy.push({ ...r, index: noisy.length })
        while (noise.length > 0 && noise[0]! <= i) {
          noise.shift()
          noisy.push({ entry: rawEntry(outsider, `{"note":${i}}`), index: noisy.length, height: r.height })
        }
      }
      expect(summary(decisionStates(noisy, plain.lastHeight).get(id))).toEqual(before)
    }), { seed, numRuns })
  })

  it('a terminal state, once reached in a prefix of the log, is the state of every longer prefix', () => {
    fc.assert(fc.property(scenarioArb, (s) => {
      const { decision, recs, lastHeight } = buildLog(s, true)
      const id = toHex(entryId(decision))
      const ledger = new DecisionLedger()
      let terminal: string | null = null
      for (const r of recs) {
        ledger.append(r)
        const status = ledger.state(id)?.status ?? null
        if (terminal !== null) expect(status).toBe(terminal)
        else if (status === 'approved' || status === 'rejected' || status === 'expired') terminal = status
      }
      ledger.advanceTo(lastHeight)
      if (terminal !== null) expect(ledger.state(id)?.status).toBe(terminal)
    }), { seed, numRuns })
  })

  it('ignores every vote after the decision is approved or rejected', () => {
    fc.assert(fc.property(scenarioArb, fc.array(voteArb, { minLength: 1, maxLength: 8 }), (s, extra) => {
      const { decision, recs, lastHeight } = buildLog(s, true)
      const id = toHex(entryId(decision))
      const before = decisionStates(recs, lastHeight).get(id)!
      fc.pre(before.status === 'approved' || before.status === 'rejected')
      const voters = [...approvers, outsider, agentKey('other')]
      const more = [...recs]
      for (const v of extra) more.push({ entry: voteEntry(voters[v.who]!, v.kind, decision), index: more.length, height: lastHeight })
      expect(summary(decisionStates(more, lastHeight).get(id))).toEqual(summary(before))
    }), { seed, numRuns })
  })
})
