// Running a scenario on the deterministic simulator: compile, run, judge, report.
// Pure computation: no I/O (the CLI writes the reports).
import { percentile, Simulation, type SignatureMode, type SimResult } from '../sim/simulator.ts'
import { simOptionsOf } from '../dsl/compile.ts'
import type { Scenario } from '../dsl/types.ts'
import type { NodeChain, RunRecord } from '../checkers/types.ts'
import type { FaultMark, ScenarioReport, Series } from '../report/types.ts'
import { judge, type Verdict } from './judge.ts'
import { replayCommand, type ScenarioRun } from './types.ts'

/** Rejection reasons kept in a report (the most frequent). */
const REJECTIONS_MAX = 20

export function recordOfSimulation(sim: Simulation, result: SimResult): RunRecord {
  const chain = (inst: ReturnType<Simulation['honestInstances']>[number]): NodeChain => ({
    name: `node ${inst.label}`,
    index: inst.identity,
    committed: inst.storage.committed,
    hashes: inst.storage.committedHashes,
    ccs: inst.storage.ccs,
    ids: inst.ids,
    commitTimes: inst.commitTimes,
  })
  return {
    genesis: sim.genesis,
    leaders: sim.leaders,
    signatures: sim.signatures,
    honest: sim.honestInstances().map(chain),
    correct: sim.correctInstances().map(chain),
    submitted: new Set(sim.submitted.keys()),
    probes: sim.probes,
    convergenceMs: result.convergenceMs,
    livenessBoundMs: result.options.livenessBoundMs,
  }
}

/** One seeded run of a scenario on the simulator. `source` names it in the replay command;
 * `signatures` is real Ed25519 unless the stand-in is asked for (docs/scenarios.md). */
export function runScenarioSim(scenario: Scenario, seed: number, source: string = scenario.name, signatures: SignatureMode = 'ed25519'): ScenarioRun {
  const sim = new Simulation(simOptionsOf(scenario, seed, signatures))
  const result = sim.run()
  const record = recordOfSimulation(sim, result)
  const verdict = judge({ scenario, record, errors: result.errors, submittedAt: sim.submitted, livenessPhase: scenario.livenessBoundMs !== null })
  const replay = replayCommand(source, seed, 'sim', signatures)
  const report = simReport(scenario, seed, sim, result, verdict, replay)
  return {
    scenario: scenario.name, seed, backend: 'sim', expected: scenario.expect.outcome,
    met: verdict.met, safe: verdict.safe, live: verdict.live, stalled: verdict.stalled,
    problems: verdict.problems, replay, report,
  }
}

/** The scenario's parameters as a report shows them. */
export function scenarioParams(scenario: Scenario): Record<string, unknown> {
  return {
    nodes: scenario.nodes,
    f: scenario.f,
    durationMs: scenario.durationMs,
    livenessBoundMs: scenario.livenessBoundMs,
    byzantine: scenario.byzantine.map((b) => ({ node: b.node, behaviour: b.behaviour, ...(Object.keys(b.params).length > 0 ? { params: b.params } : {}) })),
    faulty: scenario.faulty,
    network: scenario.network,
    workload: scenario.workload,
    protocol: scenario.params,
    ...(scenario.midStepCrashRate > 0 ? { midStepCrashRate: scenario.midStepCrashRate } : {}),
    ...(scenario.roundPartitions !== null ? { roundPartitions: scenario.roundPartitions.length } : {}),
  }
}

function simReport(scenario: Scenario, seed: number, sim: Simulation, result: SimResult, verdict: Verdict, replay: string): ScenarioReport {
  const heights: Series[] = sim.instances.map((i) => ({ node: i.identity, ...(i.copy > 0 ? { label: `node ${i.label}` } : {}), points: i.heights }))
  const rounds: Series[] = sim.instances.map((i) => ({ node: i.identity, ...(i.copy > 0 ? { label: `node ${i.label}` } : {}), points: i.rounds }))
  const faults: FaultMark[] = [
    ...scenario.byzantine.map((b) => ({ at: 0, until: scenario.durationMs, kind: 'byzantine', label: `node ${b.node}: ${b.behaviour}` })),
    ...sim.marks.map((m) => ({ at: m.at, ...(m.until === undefined ? {} : { until: m.until }), kind: m.kind, label: m.label })),
  ].sort((a, b) => a.at - b.at)
  const messages: Record<string, Record<string, number>> = {}
  for (const [type, c] of [...sim.messageCounts].sort((a, b) => a[0].localeCompare(b[0]))) messages[type] = { ...c }
  const rejections = Object.fromEntries([...sim.rejections].sort((a, b) => b[1] - a[1]).slice(0, REJECTIONS_MAX))
  const latencies = result.latencies
  return {
    scenario: scenario.name,
    description: scenario.description,
    seed,
    backend: 'sim',
    params: scenarioParams(scenario),
    expected: scenario.expect.outcome,
    outcome: { safe: verdict.safe, live: verdict.live === true, met: verdict.met },
    invariants: verdict.invariants,
    stats: {
      commits: result.entriesCommitted,
      blocks: result.blocksCommitted,
      rounds: result.rounds,
      timeouts: result.timeouts,
      messages: result.messages,
      latencyP50: latencies.length === 0 ? null : percentile(latencies, 0.5),
      latencyP99: latencies.length === 0 ? null : percentile(latencies, 0.99),
    },
    heights,
    rounds,
    faults,
    latencies,
    durationMs: result.endMs,
    replay,
    messages,
    convergenceMs: result.convergenceMs < 0 ? null : result.convergenceMs,
    rejections,
    problems: verdict.problems,
    entriesSubmitted: sim.submitted.size,
  }
}
