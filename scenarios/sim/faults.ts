// The faults of a run's safety phase: seed-derived ones (random partitions and crashes
// at random times) or an explicit schedule's timeline of partitions, link changes,
// crashes and clock skews, each with its mark on the report's timeline.
import type { SimClock, SimMark } from './clock.ts'
import type { Instance } from './instance.ts'
import { groupsOf, type SimNetwork } from './network.ts'
import type { SimOptions } from './options.ts'
import type { Prng } from './prng.ts'
import { instanceName, type SimFault, type SimSchedule } from './schedule.ts'

export interface FaultParts {
  readonly options: SimOptions
  readonly schedule: SimSchedule | null
  readonly rng: Prng
  readonly clock: SimClock
  readonly instances: readonly Instance[]
  readonly network: SimNetwork
  /** The run's fault timeline. */
  readonly marks: SimMark[]
  /** Stops an instance's replica (its storage survives). */
  readonly crash: (inst: Instance, why: string) => void
  /** Rebuilds an instance's replica from its storage and starts it. */
  readonly restart: (inst: Instance) => void
}

type Phase = 'start' | 'end'

export class Faults {
  readonly #p: FaultParts
  /** Scheduled faults under way: index in the schedule -> its mark. */
  readonly #open = new Map<number, SimMark>()

  constructor(parts: FaultParts) {
    this.#p = parts
  }

  /** Puts the safety phase's faults on the event queue. */
  schedule(): void {
    const { options: o, rng, clock, instances } = this.#p
    const sched = this.#p.schedule
    if (sched === null) {
      for (let i = 0; i < o.partitions; i++) clock.at(rng.int(o.faultsStopMs), { kind: 'partition', durationMs: rng.range(200, 3000) })
      for (let i = 0; i < o.crashes; i++) {
        const inst = rng.pick(instances)
        clock.at(rng.int(o.faultsStopMs), { kind: 'crash', inst: inst.id, downMs: rng.range(100, 3000) })
      }
      return
    }
    sched.faults.forEach((fault, index) => {
      clock.at(fault.at, { kind: 'fault', index, phase: 'start' })
      if (fault.kind !== 'crash' || fault.until !== null) clock.at(fault.until!, { kind: 'fault', index, phase: 'end' })
    })
  }

  /** A scheduled fault starts or ends. */
  apply(index: number, phase: Phase): void {
    const fault = this.#p.schedule!.faults[index]!
    if (phase === 'end' && !this.#open.has(index)) return // already ended at faults-stop
    switch (fault.kind) {
      case 'partition': return this.#partition(index, fault, phase)
      case 'link': return this.#link(index, fault, phase)
      case 'crash': return this.#crash(index, fault, phase)
      case 'skew': return this.#skew(index, fault, phase)
    }
  }

  #partition(index: number, fault: Extract<SimFault, { kind: 'partition' }>, phase: Phase): void {
    if (phase === 'end') {
      this.#p.network.setGroups(null)
      this.#close(index)
      return
    }
    const groups = groupsOf(this.#p.instances, fault.groups)
    this.#p.network.setGroups(groups)
    const listed = fault.groups.map((g) => `{${g.map(instanceName).join(',')}}`)
    const rest = this.#p.instances.filter((_, i) => groups[i] === -1).map((i) => i.label)
    this.#mark(index, { at: this.#p.clock.now, kind: 'partition', label: [...listed, ...(rest.length > 0 ? [`{${rest.join(',')}}`] : [])].join(' | ') })
  }

  #link(index: number, fault: Extract<SimFault, { kind: 'link' }>, phase: Phase): void {
    for (const from of fault.from) {
      for (const to of fault.to) {
        if (from === to) continue
        this.#p.network.setLink(from, to, phase === 'start' ? fault.settings : null)
      }
    }
    if (phase === 'start') this.#mark(index, { at: this.#p.clock.now, kind: 'link', label: `${fault.from.join(',')} -> ${fault.to.join(',')}: ${JSON.stringify(fault.settings)}` })
    else this.#close(index)
  }

  #crash(index: number, fault: Extract<SimFault, { kind: 'crash' }>, phase: Phase): void {
    const inst = this.#instanceOf(fault.node.node, fault.node.copy)
    if (phase === 'start') {
      // Not on the timeline itself: the crash's own mark (with its reason) is.
      this.#open.set(index, { at: this.#p.clock.now, kind: 'crash', label: '' })
      inst.heldDown = true
      if (fault.until === null) inst.permanentlyDown = true
      if (inst.replica !== null) this.#p.crash(inst, fault.until === null ? 'crash (never restarts)' : 'crash')
    } else {
      this.#open.delete(index)
      inst.heldDown = false
      if (inst.replica === null) this.#p.restart(inst)
    }
  }

  #skew(index: number, fault: Extract<SimFault, { kind: 'skew' }>, phase: Phase): void {
    const inst = this.#instanceOf(fault.node.node, fault.node.copy)
    inst.timerRate = phase === 'start' ? fault.rate : 1
    if (phase === 'start') this.#mark(index, { at: this.#p.clock.now, kind: 'skew', label: `node ${inst.label} timers x${fault.rate}` })
    else this.#close(index)
  }

  #mark(index: number, mark: SimMark): void {
    this.#p.marks.push(mark)
    this.#open.set(index, mark)
  }

  #close(index: number): void {
    const mark = this.#open.get(index)
    if (mark !== undefined) mark.until = this.#p.clock.now
    this.#open.delete(index)
  }

  /** At faults-stop: whatever the schedule left open ends (permanent crashes stay). */
  endAll(): void {
    const sched = this.#p.schedule
    if (sched === null) return
    for (const index of [...this.#open.keys()]) {
      const fault = sched.faults[index]!
      if (fault.kind === 'crash' && fault.until === null) continue
      this.apply(index, 'end')
    }
    this.#p.network.endScheduled()
    for (const inst of this.#p.instances) inst.timerRate = 1
  }

  #instanceOf(node: number, copy: number): Instance {
    const inst = this.#p.instances.find((i) => i.identity === node && i.copy === copy)
    if (inst === undefined) throw new RangeError(`no instance ${node}${copy === 1 ? "'" : ''}`)
    return inst
  }
}
