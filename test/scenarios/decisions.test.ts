// Decisions under the simulator: the decision workload commits decisions that end
// approved, rejected and expired while a node is partitioned, and the decision-agreement
// checker finds every honest node computing the same states; given two nodes whose
// chains disagree on a vote, it reports the decision they disagree on.
import { describe, expect, it } from 'vitest'
import { toHex } from '../../src/crypto/hash.ts'
import { ED25519 } from '../../src/crypto/signature-scheme.ts'
import { blockHash, genesisBlock } from '../../src/log/block.ts'
import { entryId } from '../../src/log/entry.ts'
import { checkDecisionAgreement, decisionSummary, type NodeChain, type RunRecord } from '../../scenarios/checkers/index.ts'
import { LIBRARY } from '../../scenarios/library/index.ts'
import { Simulation } from '../../scenarios/sim/simulator.ts'
import { simOptionsOf } from '../../scenarios/dsl/compile.ts'
import { recordOfSimulation, runScenarioSim } from '../../scenarios/run/sim-backend.ts'
import { decisionChain } from '../support/decision-chain.ts'

const SEED = Number(process.env.SCENARIO_SEED ?? 5)

describe(`decisions under a partition (seed ${SEED}, replay with SCENARIO_SEED=${SEED})`, () => {
  const scenario = LIBRARY.find((s) => s.name === 'decisions-under-partition')!

  it('meets its outcome, with decisions approved, rejected and expired on every honest node alike', () => {
    const run = runScenarioSim(scenario, SEED)
    expect(run.met, run.problems.join('\n')).toBe(true)
    expect(run.report.invariants.find((i) => i.name === 'decision-agreement')?.held).toBe(true)
    const sim = new Simulation(simOptionsOf(scenario, SEED))
    const record = recordOfSimulation(sim, sim.run())
    const summary = decisionSummary(record.honest[0]!)
    console.log(`decisions-under-partition seed ${SEED}: ${JSON.stringify(summary)}`)
    expect(summary.approved).toBeGreaterThan(0)
    expect(summary.rejected + summary.expired).toBeGreaterThan(0)
    expect(checkDecisionAgreement(record)).toEqual([])
  }, 120_000)
})

function nodeChain(name: string, c: ReturnType<typeof decisionChain>): NodeChain {
  const committed = [genesisBlock(c.net.genesis), ...c.chain.items.map((it) => it.block)]
  return {
    name, committed, hashes: committed.map((b) => toHex(blockHash(b.header))), ccs: new Map(),
    ids: new Set(c.entries.map((e) => toHex(entryId(e)))),
  }
}

describe('the decision-agreement checker', () => {
  it('reports a decision two nodes compute differently', () => {
    const a = decisionChain(10)
    const b = decisionChain(10)
    a.add([a.vote(a.approvers[2]!, 'approve')])
    b.add([b.vote(b.approvers[2]!, 'reject')])
    // Same decision at height 1 and the same approvals at height 2 on both: the same state.
    const record = (chains: NodeChain[]): RunRecord => ({ genesis: a.net.genesis, signatures: ED25519, honest: chains, submitted: new Set(), probes: new Set(), convergenceMs: 0, livenessBoundMs: 0 })
    expect(checkDecisionAgreement(record([nodeChain('node 0', a), nodeChain('node 1', b)]))).toEqual([])
    // A chain where the decision's second approval is a rejection instead: not approved.
    const c = decisionChain(10)
    const divergent = nodeChain('node 2', c)
    const blocks = [...divergent.committed]
    const changed = { ...blocks[2]!, entries: [blocks[2]!.entries[0]!, c.vote(c.approvers[1]!, 'reject')] }
    blocks[2] = changed
    const violations = checkDecisionAgreement(record([nodeChain('node 0', a), { ...divergent, committed: blocks }]))
    expect(violations).toHaveLength(1)
    expect(violations[0]).toMatch(/^decision-agreement: decision [0-9a-f]{12} at height 2: node 0 computes approved .* node 2 computes pending/)
  })
})

describe(`an approver's node partitioned (seed ${SEED}, replay with SCENARIO_SEED=${SEED})`, () => {
  const scenario = LIBRARY.find((s) => s.name === 'approver-node-partitioned')!

  it('holds back exactly that approver\'s votes until the heal; every honest node computes the same states', () => {
    const run = runScenarioSim(scenario, SEED)
    expect(run.met, run.problems.join('\n')).toBe(true)
    const sim = new Simulation(simOptionsOf(scenario, SEED))
    const record = recordOfSimulation(sim, sim.run())
    expect(checkDecisionAgreement(record)).toEqual([])
    const node0 = record.honest.find((n) => n.index === 0)!
    // agent -> commit times (on node 0) of its votes submitted while node 3 was cut off
    const late = new Map<string, number[]>()
    node0.committed.forEach((block, h) => {
      for (const e of block.entries) {
        const at = sim.submitted.get(toHex(entryId(e)))
        if (at === undefined || at < 1100 || at > 3900 || !/"synod":"(approve|reject)"/.test(e.payload)) continue
        const agent = toHex(e.agent)
        late.set(agent, [...(late.get(agent) ?? []), node0.commitTimes![h]!])
      }
    })
    const heldBack = [...late].filter(([, times]) => times.every((t) => t >= 4000))
    const through = [...late].filter(([, times]) => times.some((t) => t < 4000))
    console.log(`approver-node-partitioned seed ${SEED}: ${JSON.stringify([...late].map(([a, t]) => [a.slice(0, 8), t.length, Math.min(...t)]))}`)
    expect(heldBack).toHaveLength(1) // agent 3, whose home is node 3
    expect(through.length).toBeGreaterThan(0)
  }, 120_000)
})

describe(`a validator censoring votes (seed ${SEED}, replay with SCENARIO_SEED=${SEED})`, () => {
  const scenario = LIBRARY.find((s) => s.name === 'censored-approvals')!

  it('never proposes a vote, yet votes commit through the others and decisions are decided alike', () => {
    const run = runScenarioSim(scenario, SEED)
    expect(run.met, run.problems.join('\n')).toBe(true)
    const sim = new Simulation(simOptionsOf(scenario, SEED))
    const record = recordOfSimulation(sim, sim.run())
    expect(checkDecisionAgreement(record)).toEqual([])
    const node0 = record.honest.find((n) => n.index === 0)!
    const isVote = (payload: string): boolean => /"synod":"(approve|reject)"/.test(payload)
    const votesBy = (proposer: number): number => node0.committed.filter((b, h) => h > 0 && b.header.proposer === proposer).reduce((n, b) => n + b.entries.filter((e) => isVote(e.payload)).length, 0)
    const blocksBy1 = node0.committed.filter((b, h) => h > 0 && b.header.proposer === 1).length
    console.log(`censored-approvals seed ${SEED}: ${blocksBy1} blocks by node 1, votes per proposer ${[0, 1, 2, 3].map(votesBy).join(',')}, ${JSON.stringify(decisionSummary(node0))}`)
    expect(blocksBy1).toBeGreaterThan(0)
    expect(votesBy(1)).toBe(0)
    expect(votesBy(0) + votesBy(2) + votesBy(3)).toBeGreaterThan(0)
    expect(decisionSummary(node0).approved).toBeGreaterThan(0)
  }, 120_000)
})

describe('workload.decisions in the DSL', () => {
  it('runs on the simulator only, and refuses bad values naming the field', async () => {
    const { defineScenario } = await import('../../scenarios/dsl/index.ts')
    const base = { name: 'd', description: 'decisions in the workload', cluster: { nodes: 4 }, durationMs: 1000, expect: { outcome: 'safe-and-live' as const } }
    expect(defineScenario({ ...base, workload: { agents: 3, decisions: { share: 0.5 } } }).backends).toEqual(['sim'])
    expect(defineScenario({ ...base, workload: { agents: 3 } }).backends).toEqual(['sim', 'net'])
    expect(() => defineScenario({ ...base, workload: { agents: 3, decisions: { share: 0, votesToHomeNode: 'yes' as unknown as boolean } } }))
      .toThrow(/workload\.decisions\.share: must be between 0\.01 and 1, got 0[\s\S]*workload\.decisions\.votesToHomeNode: must be true or false/)
  })
})
