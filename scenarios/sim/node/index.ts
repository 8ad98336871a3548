// Runs one seeded node simulation and judges it; what the sweep script and tests call.
import { NodeSimulation, type NodeSimOptions } from './node-sim.ts'
import { judgeNodeSim, type NodeSimVerdict } from './run-judges.ts'

export { calmNodeSimOptions, deriveNodeSimOptions, NODE_SIM_PARAMS, NodeSimulation, type NodeSimOptions, type NodeSimRun } from './node-sim.ts'
export { judgeNodeSim, type NodeSimVerdict } from './run-judges.ts'

export interface NodeSimResult extends NodeSimVerdict {
  readonly options: NodeSimOptions
  readonly trace: readonly string[]
  readonly convergenceMs: number
  readonly crashes: number
  readonly warnLines: readonly number[]
  readonly endMs: number
  readonly events: number
  readonly replay: string
}

export function nodeSimReplay(options: NodeSimOptions, calm = false): string {
  return `npx node scripts/node-sim.ts --seed ${options.seed} --nodes ${options.nodes}${calm ? ' --calm' : ''}`
}

export async function runNodeSim(options: NodeSimOptions, calm = false): Promise<NodeSimResult> {
  const simulation = new NodeSimulation(options)
  const run = await simulation.run()
  const verdict = await judgeNodeSim(run)
  return {
    ...verdict,
    options,
    trace: run.trace,
    convergenceMs: run.convergenceMs,
    crashes: run.slots.reduce((sum, s) => sum + s.crashes, 0),
    warnLines: run.slots.map((s) => s.log.warnLines),
    endMs: run.endMs,
    events: run.events,
    replay: nodeSimReplay(options, calm),
  }
}
