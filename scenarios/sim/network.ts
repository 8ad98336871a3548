// The simulated network: per-link latency, jitter, loss, duplication (and so reordering),
// partitions (seed-derived random splits, scheduled groups, Twins sides, per-round
// partitions) and per-link overrides. Every draw comes from the run's one PRNG, in the
// order messages are sent.
import type { Message } from '../../src/consensus/types.ts'
import type { SimClock, SimMark } from './clock.ts'
import type { Assignments, Instance } from './instance.ts'
import type { SimOptions } from './options.ts'
import type { Prng } from './prng.ts'
import { instanceName, type InstanceRef, type LinkSettings, type SimSchedule } from './schedule.ts'

/** What happened to the network, for reports: counts per message type. */
export interface MessageCounts {
  /** Copies put on the wire (duplicates included). */
  sent: number
  /** Not sent: the two ends were partitioned. */
  partitioned: number
  /** Lost on a lossy link. */
  lost: number
  /** Extra copies from duplication. */
  duplicated: number
  /** Arrived at a running instance. */
  delivered: number
}

/** The round a message belongs to, when it names one. */
function messageRound(m: Message): number | null {
  switch (m.type) {
    case 'proposal': return m.block.header.round
    case 'vote': return m.round
    case 'timeout': return m.round
    default: return null
  }
}

/** Base latency of every directed link, [from identity][to identity]. */
export function drawLatency(rng: Prng, n: number, sched: SimSchedule | null): number[][] {
  if (sched === null) {
    // Per-link base latency: most links 2-30 ms, a few slow ones up to 150 ms.
    return Array.from({ length: n }, () => Array.from({ length: n }, () => (rng.chance(0.1) ? rng.range(30, 150) : rng.range(2, 30))))
  }
  const net = sched.network
  return Array.from({ length: n }, () => Array.from({ length: n }, () => rng.range(net.delayMinMs, net.delayMaxMs)))
}

/** Twin sides (seed-derived runs): honest identities alternate between the two sides
 * in a seeded order (so both sides hold honest nodes), then the Byzantine ones. */
export function twinSides(rng: Prng, n: number, assigned: Assignments): number[] {
  const sides: number[] = []
  const order = rng.shuffle([...Array(n).keys()])
  const honestFirst = [...order.filter((i) => !assigned.has(i)), ...order.filter((i) => assigned.has(i))]
  honestFirst.forEach((identity, i) => { sides[identity] = i % 2 })
  return sides
}

/** Instance id -> group index (-1 for instances no group lists). */
export function groupsOf(instances: readonly Instance[], groups: readonly (readonly InstanceRef[])[]): number[] {
  const out = instances.map(() => -1)
  groups.forEach((group, g) => {
    for (const ref of group) {
      const inst = instances.find((i) => i.identity === ref.node && i.copy === ref.copy)
      if (inst === undefined) throw new RangeError(`partition names instance ${instanceName(ref)}, which does not exist`)
      out[inst.id] = g
    }
  })
  return out
}

export interface NetworkParts {
  readonly options: SimOptions
  readonly schedule: SimSchedule | null
  readonly rng: Prng
  readonly clock: SimClock
  readonly instances: readonly Instance[]
  readonly latency: number[][]
  readonly sides: number[]
  /** The run's fault timeline (a random partition adds to it). */
  readonly marks: SimMark[]
}

export class SimNetwork {
  readonly #p: NetworkParts
  /** Per message type: what the network did with it. */
  readonly messageCounts = new Map<string, MessageCounts>()
  #messages = 0
  #partition: number[] | null = null // identity -> side (seed-derived partitions)
  #twinSplitUntilMs = 0
  /** Scheduled partition: instance id -> group (-1: not listed, the implicit group). */
  #groups: number[] | null = null
  /** Active link overrides, `${from}>${to}` -> settings. */
  readonly #links = new Map<string, LinkSettings>()
  /** Round partitions (Twins): [round - 1][instance id] -> group. */
  readonly #roundGroups: number[][] | null = null

  constructor(parts: NetworkParts) {
    this.#p = parts
    const sched = parts.schedule
    if (sched === null) {
      if (parts.instances.some((i) => i.behaviour.twins === true)) this.#twinSplitUntilMs = parts.options.faultsStopMs
    } else if (sched.roundPartitions !== null) {
      this.#roundGroups = sched.roundPartitions.map((groups) => groupsOf(parts.instances, groups))
    }
  }

  /** Messages put on the wire (copies included). */
  get messages(): number {
    return this.#messages
  }

  #count(type: string): MessageCounts {
    let c = this.messageCounts.get(type)
    if (c === undefined) {
      c = { sent: 0, partitioned: 0, lost: 0, duplicated: 0, delivered: 0 }
      this.messageCounts.set(type, c)
    }
    return c
  }

  /** A message of this type arrived at a running instance. */
  delivered(type: string): void {
    this.#count(type).delivered++
  }

  /** Sends to every instance of identity `to` (both copies of a twin) but the sender. */
  send(from: Instance, to: number, message: Message): void {
    const counts = this.#count(message.type)
    for (const target of this.#p.instances) {
      if (target.identity !== to || target.id === from.id) continue
      if (!this.#linked(from, target, message)) {
        counts.partitioned++
        continue
      }
      if (this.#partition !== null && this.#partition[from.identity] !== this.#partition[to]) {
        counts.partitioned++
        continue
      }
      if (this.#p.schedule !== null) this.#sendScheduled(from, target, message, counts)
      else this.#sendSeeded(from, target, message, counts)
    }
  }

  #sendSeeded(from: Instance, target: Instance, message: Message, counts: MessageCounts): void {
    const { rng, clock, options } = this.#p
    if (clock.faultsOn && rng.chance(options.lossRate)) {
      counts.lost++
      return
    }
    const copies = clock.faultsOn && rng.chance(options.duplicateRate) ? 2 : 1
    if (copies === 2) counts.duplicated++
    for (let c = 0; c < copies; c++) {
      const base = this.#p.latency[from.identity]![target.identity]!
      const jitter = rng.int(Math.max(1, Math.floor(base / 2) + 5))
      this.#messages++
      counts.sent++
      clock.at(clock.now + base + jitter, { kind: 'deliver', to: target.id, from: from.identity, message })
    }
  }

  #sendScheduled(from: Instance, target: Instance, message: Message, counts: MessageCounts): void {
    const { rng, clock } = this.#p
    const net = this.#p.schedule!.network
    const link = this.#links.get(`${from.identity}>${target.identity}`)
    const loss = link?.loss ?? net.loss
    const duplicate = link?.duplicate ?? net.duplicate
    if (clock.faultsOn && loss > 0 && rng.chance(loss)) {
      counts.lost++
      return
    }
    const copies = clock.faultsOn && duplicate > 0 && rng.chance(duplicate) ? 2 : 1
    if (copies === 2) counts.duplicated++
    const base = link?.delayMs ?? this.#p.latency[from.identity]![target.identity]!
    const jitterMs = link?.jitterMs ?? net.jitterMs
    for (let c = 0; c < copies; c++) {
      const jitter = jitterMs > 0 ? rng.int(jitterMs + 1) : 0
      this.#messages++
      counts.sent++
      clock.at(clock.now + base + jitter, { kind: 'deliver', to: target.id, from: from.identity, message })
    }
  }

  // --- Twins (seed-derived runs): copy 0 of a twin identity talks to one side of the
  // other identities, copy 1 to the other side; until twinSplitUntilMs (in the safety
  // phase) the two sides of honest nodes are also cut from each other, as in the Twins
  // paper's scenarios. Scheduled runs say who talks to whom with partitions instead.
  #twinSide(identity: number): number {
    return this.#p.sides[identity]!
  }

  #linked(from: Instance, to: Instance, message: Message): boolean {
    if (this.#p.schedule !== null) return this.#linkedScheduled(from, to, message)
    if (from.behaviour.twins === true && to.behaviour.twins === true) return from.identity === to.identity || from.copy === to.copy
    if (from.behaviour.twins === true && to.identity !== from.identity && this.#twinSide(to.identity) !== from.copy) return false
    if (to.behaviour.twins === true && from.identity !== to.identity && this.#twinSide(from.identity) !== to.copy) return false
    if (this.#p.clock.now < this.#twinSplitUntilMs && from.behaviour.twins !== true && to.behaviour.twins !== true && this.#twinSide(from.identity) !== this.#twinSide(to.identity)) return false
    return true
  }

  #linkedScheduled(from: Instance, to: Instance, message: Message): boolean {
    if (this.#groups !== null && this.#groups[from.id] !== this.#groups[to.id]) return false
    const rounds = this.#roundGroups
    if (rounds !== null && this.#p.clock.faultsOn) {
      const round = messageRound(message) ?? from.replica?.inner.round ?? 0
      const groups = round >= 1 ? rounds[round - 1] : undefined
      if (groups !== undefined && groups[from.id] !== groups[to.id]) return false
    }
    return true
  }

  // --- faults ---

  /** A seed-derived partition: every identity on a random side, healed after durationMs. */
  randomPartition(durationMs: number): void {
    const { rng, clock } = this.#p
    this.#partition = Array.from({ length: this.#p.options.nodes }, () => rng.int(2))
    const sides = [0, 1].map((s) => this.#partition!.flatMap((side, i) => (side === s ? [i] : [])).join(','))
    this.#p.marks.push({ at: clock.now, until: clock.now + durationMs, kind: 'partition', label: `{${sides[0]}} | {${sides[1]}} (random)` })
    clock.at(clock.now + durationMs, { kind: 'heal' })
  }

  heal(): void {
    this.#partition = null
  }

  /** A scheduled partition (instance id -> group, see groupsOf), or null when it ends. */
  setGroups(groups: number[] | null): void {
    this.#groups = groups
  }

  /** Overrides the settings of the directed link from -> to (identities), or (null) ends the override. */
  setLink(from: number, to: number, settings: LinkSettings | null): void {
    if (settings === null) this.#links.delete(`${from}>${to}`)
    else this.#links.set(`${from}>${to}`, settings)
  }

  /** At faults-stop: every scheduled partition and link override ends. */
  endScheduled(): void {
    this.#groups = null
    this.#links.clear()
  }
}
