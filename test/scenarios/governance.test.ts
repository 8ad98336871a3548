// Namespace governance under the simulator (scenarios/sim/governance-workload.ts): with
// partitions, crashes and Byzantine validators, the honest nodes commit chains that keep
// every policy (the integrity checker re-verifies them with the auditor's ChainVerifier,
// governance included), agree on them, restart from the replayed state, and stay live.
import { describe, expect, it } from 'vitest'
import { readPolicyPayload } from '../../src/governance/policy-payload.ts'
import { governanceStateOf } from '../../src/governance/ledger.ts'
import { deriveOptions, Simulation } from '../../scenarios/sim/simulator.ts'
import { GOVERNED_NAMESPACE } from '../../scenarios/sim/governance-workload.ts'

const SEED = Number(process.env.SCENARIO_SEED ?? 31)
const RUNS = Number(process.env.SCENARIO_RUNS ?? 3)
const NODES = Number(process.env.SCENARIO_NODES ?? 4)

describe(`governance under faults (seeds ${SEED}..${SEED + RUNS - 1}, replay one with SCENARIO_SEED=<seed> SCENARIO_RUNS=1)`, () => {
  it('keeps safety and liveness, commits policies and governed entries, and refuses some', () => {
    let policies = 0
    let governed = 0
    let refused = 0
    let crashes = 0
    for (let seed = SEED; seed < SEED + RUNS; seed++) {
      const options = deriveOptions(seed, { nodes: NODES, faultsStopMs: 4000, crashes: 2, governance: { share: 0.5, policyShare: 0.3 } })
      const sim = new Simulation(options)
      const result = sim.run()
      const where = `seed ${seed}`
      expect(result.errors, where).toEqual([])
      expect(result.safetyViolations, where).toEqual([])
      expect(result.livenessFailures, where).toEqual([])
      expect(sim.genesis.governance, where).toBeDefined()
      const honest = sim.honestInstances()
      const chain = honest[0]!.storage.committed
      for (const block of chain) {
        for (const e of block.entries) {
          if (!e.namespace.startsWith(GOVERNED_NAMESPACE)) continue
          if (readPolicyPayload(e).type === 'policy') policies++
          else governed++
        }
      }
      // Every honest node's committed log gives the same governance state at the shortest one's height.
      const height = Math.min(...honest.map((i) => i.storage.committed.length - 1))
      const states = honest.map((inst) => {
        let index = 0
        const records = inst.storage.committed.slice(1, height + 1).flatMap((b) => b.entries.map((entry) => ({ entry, index: index++, height: b.header.height })))
        return JSON.stringify([...governanceStateOf(sim.genesis, records, height).records()].map((r) => [r.namespace, r.entry]))
      })
      expect(new Set(states).size, where).toBe(1)
      refused += [...sim.submitRefusals].filter(([k]) => k.startsWith('entry-governance')).reduce((n, [, c]) => n + c, 0)
      const restarts = sim.marks.filter((m) => m.kind === 'crash').length
      crashes += restarts
      console.log(`${where}: ${options.nodes} nodes, ${options.byzantine} byzantine, ${restarts} crashes, height ${height}, submit refusals ${JSON.stringify([...sim.submitRefusals])}`)
    }
    console.log(`governance under faults: ${policies} policy entries and ${governed} governed entries committed, ${refused} submissions refused by governance`)
    expect(policies).toBeGreaterThan(0)
    expect(governed).toBeGreaterThan(0)
    expect(refused).toBeGreaterThan(0)
    expect(crashes).toBeGreaterThan(0)
  }, 240_000)
})
