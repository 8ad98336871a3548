// Per-seed digests of simulator runs, to show that a change to the simulator or a hot
// helper leaves every run exactly as it was (docs/mutation.md, "Volume").
//   npx node scripts/sim-digest.ts --record FILE [--layout sweep|n4] [--runs N] [--seed S]
//   npx node scripts/sim-digest.ts --check FILE       (the layout, runs and seed are the file's)
// A run's digest is SHA-256 over: its judged outcome (every figure, latency, violation,
// evidence record and error, with stack frames taken out, since those name source lines),
// each instance's committed block hashes, entry ids, commit times and statistics, the
// run's rejection and refusal counts, per-type message counts and fault marks, and the
// trace of every event each honest replica stepped and every action of its that was
// executed, in order (through the watching checkers' hooks, RunWatch). A different
// event order changes the trace, so the digest.
// Layouts: `sweep` is scripts/sim-sweep.ts's (60 configurations, runs split evenly, every
// 50th run in real Ed25519); `n4` is n = 4 runs cycling through the 12 behaviours
// (K = 1, K = 0 for honest), stand-in signatures, what scripts/sim-throughput.ts runs.
import { createHash, type Hash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { ED25519_EVERY_DEFAULT, signaturesOfRun } from '../cli/commands/simulate.ts'
import type { BehaviourName } from '../scenarios/behaviours/index.ts'
import { RunWatch } from '../scenarios/checkers/watch.ts'
import { judgeRun } from '../scenarios/runner.ts'
import type { SweepTask } from '../scenarios/run/sweep.ts'
import { deriveOptions, Simulation } from '../scenarios/sim/simulator.ts'
import { faultTolerance } from '../src/log/validator-set.ts'

const SIZES = [4, 7, 10, 13, 16] as const
const BEHAVIOURS: readonly BehaviourName[] = ['honest', 'crash', 'silent', 'equivocate', 'double-vote', 'withhold', 'forge', 'replay', 'twins', 'flood', 'lying-sync', 'mixed']
const LAYOUTS = ['sweep', 'n4'] as const
type Layout = (typeof LAYOUTS)[number]

/** Task i of a layout of `runs` runs from seed `first`. */
export function layoutTask(layout: Layout, runs: number, first: number, i: number): SweepTask {
  if (layout === 'n4') {
    const behaviour = BEHAVIOURS[i % BEHAVIOURS.length]!
    return { seed: first + i, config: { nodes: 4, byzantine: behaviour === 'honest' ? 0 : 1, behaviour }, signatures: 'standin', checkLive: true }
  }
  const configs = SIZES.flatMap((nodes) => BEHAVIOURS.map((behaviour) => ({ nodes, byzantine: behaviour === 'honest' ? 0 : faultTolerance(nodes), behaviour })))
  const perConfig = Math.ceil(runs / configs.length)
  return { seed: first + i, config: configs[Math.floor(i / perConfig)]!, signatures: signaturesOfRun('standin', ED25519_EVERY_DEFAULT, i), checkLive: true }
}

export function layoutTotal(layout: Layout, runs: number): number {
  return layout === 'n4' ? runs : Math.ceil(runs / (SIZES.length * BEHAVIOURS.length)) * SIZES.length * BEHAVIOURS.length
}

// --- the trace: every honest step's event and every executed action, by the watch's hooks ---

let trace: Hash | null = null

/** The primitive fields of an object, and one level into the nested objects `deep` names. */
function shallow(o: object, deep: boolean): string {
  const parts: string[] = []
  for (const [k, v] of Object.entries(o)) {
    if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' || typeof v === 'bigint') parts.push(`${k}=${String(v)}`)
    else if (v instanceof Uint8Array) parts.push(`${k}#${Buffer.from(v).toString('hex')}`)
    else if (Array.isArray(v)) parts.push(`${k}[${v.length}]`)
    else if (deep && v !== null && typeof v === 'object') parts.push(`${k}{${shallow(v as object, false)}}`)
  }
  return parts.join(',')
}

const stepping = RunWatch.prototype.stepping
RunWatch.prototype.stepping = function (this: RunWatch, node, event) {
  trace?.update(`S ${node} ${shallow(event, true)}\n`)
  return stepping.call(this, node, event)
}
const executed = RunWatch.prototype.executed
RunWatch.prototype.executed = function (this: RunWatch, actor, a) {
  trace?.update(`A ${actor.node} ${actor.round} ${shallow(a, true)}\n`)
  return executed.call(this, actor, a)
}

/** JSON with Maps, Sets and byte arrays spelled out, and stack frames (source lines) removed. */
function stable(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v instanceof Map) return { map: [...v.entries()] }
    if (v instanceof Set) return { set: [...v.values()] }
    if (v instanceof Uint8Array) return Buffer.from(v).toString('hex')
    if (typeof v === 'bigint') return `${v}n`
    if (typeof v === 'string') return v.replace(/\bat [^\n|]*?[\w./-]+:\d+:\d+\)?/g, 'at <frame>').replace(/"stackHead":"[^"]*"/g, '')
    return v
  })
}

/** One run's digest (hex) and whether it was ok. */
export function runDigest(task: SweepTask): { digest: string, ok: boolean } {
  trace = createHash('sha256')
  const sim = new Simulation(deriveOptions(task.seed, { ...task.config, signatures: task.signatures }))
  const outcome = judgeRun(sim, sim.run(), task.checkLive)
  const h = createHash('sha256')
  h.update(trace.digest('hex'))
  trace = null
  const { evidence, ...rest } = outcome
  h.update(stable(rest))
  h.update(stable(evidence.map((e) => {
    const { stackHead: _s, ...kept } = e as typeof e & { stackHead?: string }
    return kept
  })))
  for (const inst of sim.instances) {
    const s = inst.storage
    h.update(stable({ id: inst.identity, honest: inst.honest, down: inst.permanentlyDown, hashes: s.committedHashes, ccs: s.ccs.size, ids: inst.ids, times: inst.commitTimes, stats: sim.statsOf(inst), logSize: s.log.size }))
  }
  h.update(stable({ rejections: sim.rejections, refusals: sim.submitRefusals, counts: sim.messageCounts, marks: sim.marks, now: sim.now, submitted: sim.submitted, probes: sim.probes }))
  return { digest: h.digest('hex'), ok: outcome.ok }
}

interface DigestFile { layout: Layout, runs: number, seed: number, digests: Record<string, string> }

function main(): void {
  const { values } = parseArgs({ options: { record: { type: 'string' }, check: { type: 'string' }, layout: { type: 'string', default: 'sweep' }, runs: { type: 'string', default: '360' }, seed: { type: 'string', default: '720000' } } })
  if ((values.record === undefined) === (values.check === undefined)) throw new Error('give --record FILE or --check FILE')
  const given: DigestFile | null = values.check === undefined ? null : JSON.parse(readFileSync(values.check, 'utf8')) as DigestFile
  const layout = (given?.layout ?? values.layout) as Layout
  if (!(LAYOUTS as readonly string[]).includes(layout)) throw new Error(`--layout must be one of ${LAYOUTS.join(', ')}, got '${layout}'`)
  const runs = given?.runs ?? Number(values.runs)
  const seed = given?.seed ?? Number(values.seed)
  if (!Number.isSafeInteger(runs) || runs < 1 || !Number.isSafeInteger(seed) || seed < 0) throw new Error(`--runs and --seed must be whole numbers, got ${runs}, ${seed}`)
  const total = layoutTotal(layout, runs)
  const digests: Record<string, string> = {}
  let differ = 0
  let failed = 0
  const start = process.cpuUsage()
  for (let i = 0; i < total; i++) {
    const task = layoutTask(layout, runs, seed, i)
    const { digest, ok } = runDigest(task)
    if (!ok) failed++
    digests[String(task.seed)] = digest
    const want = given?.digests[String(task.seed)]
    if (given !== null && want !== digest) {
      differ++
      console.log(`seed ${task.seed} (${task.config.nodes} ${task.config.behaviour} ${task.signatures}): digest ${digest.slice(0, 16)} differs from the recorded ${want?.slice(0, 16) ?? '(none)'}`)
    }
  }
  const cpu = process.cpuUsage(start)
  const cpuS = (cpu.user + cpu.system) / 1e6
  console.log(`${total} runs (layout ${layout}, seeds ${seed}..${seed + total - 1}), ${failed} not ok, ${cpuS.toFixed(1)} CPU-s with the trace`)
  if (values.record !== undefined) {
    writeFileSync(values.record, JSON.stringify({ layout, runs, seed, digests } satisfies DigestFile, null, 1) + '\n')
    console.log(`recorded ${total} digests in ${values.record}`)
  } else {
    console.log(differ === 0 ? `all ${total} digests as recorded` : `${differ} of ${total} digests differ`)
    process.exitCode = differ === 0 ? 0 : 1
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main()
