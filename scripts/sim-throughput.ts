// Simulator throughput: seeded n = 4 runs per CPU-second of this process, one thread,
// the sweep's run configuration (runTask: stand-in signatures, every checker), cycling
// through the sweep's 12 behaviours (K = 1, K = 0 for honest) unless one is given.
// CPU time (process.cpuUsage, user + system), not wall time: on a shared machine wall
// time measures the other work. Target: 50 runs per CPU-second (docs/mutation.md, "Volume").
//   npx node scripts/sim-throughput.ts [--runs 300] [--seed 500000] [--behaviour forge] [--nodes 4]
import { parseArgs } from 'node:util'
import { isBehaviourName, type BehaviourName } from '../scenarios/behaviours/index.ts'
import { runTask, type SweepTask } from '../scenarios/run/sweep.ts'
import { faultTolerance } from '../src/log/validator-set.ts'

const TARGET_RUNS_PER_CPU_S = 50
const BEHAVIOURS: readonly BehaviourName[] = ['honest', 'crash', 'silent', 'equivocate', 'double-vote', 'withhold', 'forge', 'replay', 'twins', 'flood', 'lying-sync', 'mixed']

const { values } = parseArgs({ options: { runs: { type: 'string', default: '300' }, seed: { type: 'string', default: '500000' }, behaviour: { type: 'string' }, nodes: { type: 'string', default: '4' } } })
const runs = Number(values.runs)
const first = Number(values.seed)
const nodes = Number(values.nodes)
if (!Number.isSafeInteger(runs) || runs < 1 || !Number.isSafeInteger(first) || first < 0 || !Number.isSafeInteger(nodes) || nodes < 4) {
  throw new RangeError(`--runs, --seed and --nodes must be whole numbers (runs >= 1, nodes >= 4), got ${values.runs}, ${values.seed}, ${values.nodes}`)
}
if (values.behaviour !== undefined && !isBehaviourName(values.behaviour)) throw new RangeError(`unknown behaviour '${values.behaviour}'`)
const only = values.behaviour as BehaviourName | undefined
const f = faultTolerance(nodes)

function task(seed: number, i: number): SweepTask {
  const behaviour = only ?? BEHAVIOURS[i % BEHAVIOURS.length]!
  return { seed, config: { nodes, byzantine: behaviour === 'honest' ? 0 : f, behaviour }, signatures: 'standin', checkLive: true }
}

// One warm-up run (module loading, first compilation), not counted.
runTask(task(first - 1, 0))
const perBehaviour = new Map<BehaviourName, { runs: number, us: number }>()
let failed = 0
const start = process.cpuUsage()
let last = start
for (let i = 0; i < runs; i++) {
  const t = task(first + i, i)
  if (!runTask(t).ok) failed++
  const now = process.cpuUsage()
  const b = perBehaviour.get(t.config.behaviour) ?? { runs: 0, us: 0 }
  b.runs++
  b.us += now.user - last.user + now.system - last.system
  perBehaviour.set(t.config.behaviour, b)
  last = now
}
const cpu = process.cpuUsage(start)
const cpuS = (cpu.user + cpu.system) / 1e6
const rate = runs / cpuS
console.log(`n = ${nodes}, ${runs} runs (seeds ${first}..${first + runs - 1}, ${only ?? 'the 12 behaviours in turn'}, stand-in): ${cpuS.toFixed(2)} CPU-s (user ${(cpu.user / 1e6).toFixed(2)}, sys ${(cpu.system / 1e6).toFixed(2)}), ${failed} failed`)
for (const [b, { runs: r, us }] of perBehaviour) console.log(`  ${b.padEnd(12)} ${(us / 1000 / r).toFixed(1).padStart(6)} ms CPU per run`)
console.log(`${rate.toFixed(1)} runs per CPU-second, ${(rate / TARGET_RUNS_PER_CPU_S).toFixed(2)} of the target of ${TARGET_RUNS_PER_CPU_S}`)
