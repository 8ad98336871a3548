// A validated scenario plus a seed -> the simulator's options. Everything the scenario
// leaves open (link latencies, jitter, loss draws, the workload's timing and content,
// the keys) comes from the seed.
import type { SignatureMode, SimOptions } from '../sim/simulator.ts'
import type { Scenario } from './types.ts'

/** `signatures`: real Ed25519 unless a caller asks for the stand-in (scenarios/sim/standin-signatures.ts). */
export function simOptionsOf(scenario: Scenario, seed: number, signatures: SignatureMode = 'ed25519'): SimOptions {
  return {
    seed,
    nodes: scenario.nodes,
    byzantine: scenario.byzantine.length,
    behaviour: 'honest',
    faultsStopMs: scenario.durationMs,
    livenessBoundMs: scenario.livenessBoundMs ?? 0,
    agents: scenario.workload.agents,
    entryIntervalMs: 0,
    lossRate: scenario.network.loss,
    duplicateRate: scenario.network.duplicate,
    partitions: 0,
    crashes: 0,
    midStepCrashRate: scenario.midStepCrashRate,
    wireEncoding: scenario.wireEncoding,
    signatures,
    params: scenario.params,
    schedule: {
      byzantine: scenario.byzantine,
      faults: scenario.faults,
      network: scenario.network,
      workload: scenario.workload,
      sampleIntervalMs: scenario.sampleIntervalMs,
      livenessPhase: scenario.livenessBoundMs !== null,
      roundPartitions: scenario.roundPartitions,
      leaders: scenario.leaders,
    },
  }
}
