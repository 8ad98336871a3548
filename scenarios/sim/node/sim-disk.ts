// A node's simulated disk under the chain store (node/store/chain-store.ts), with
// storage faults drawn from the seeded PRNG. The store code is the production one; only
// the key-value backend is simulated, so a seed exercises the store's own ordering.
//
// The model, like LevelDB's: a write batch is applied (visible to reads, and durable when
// synced) at one virtual instant, and the caller learns of it later (the completion
// comes back through the event loop). Unsynced batches are visible at once and become
// durable with the next synced one. A crash keeps exactly the durable state: the
// incarnation's backend goes dead, its writes not yet applied are lost, and every call
// pending or later never settles (the process is gone). Reads see the visible state at
// the instant they are made; some resolve later in virtual time.
import type { KvBackend, KvOp, KvRange } from '../../../node/store/kv.ts'
import { MemoryKv } from '../../../node/store/kv.ts'
import type { Prng } from '../prng.ts'
import type { VirtualClock } from './virtual-clock.ts'

export interface DiskFaults {
  /** Chance that a backend call crashes the node at that await (when `mayCrash` allows). */
  readonly crashPerCallRate: number
  /** Chance that a write takes slowWriteMs instead of 0-1 ms. */
  readonly slowWriteRate: number
  readonly slowWriteMs: readonly [number, number]
  /** Chance that a read resolves 1-3 virtual ms late instead of at once. */
  readonly lateReadRate: number
}

export const NO_DISK_FAULTS: DiskFaults = { crashPerCallRate: 0, slowWriteRate: 0, slowWriteMs: [0, 0], lateReadRate: 0 }

/** A write refused because the simulated disk is full (like ENOSPC from LevelDB). */
export class DiskFullError extends Error {
  override readonly name = 'DiskFullError'
  readonly node: number
  constructor(node: number) {
    super(`simulated disk of node ${node} is full`)
    this.node = node
  }
}

/** The durable image of one node's disk: survives its crashes and restarts. */
export class SimDisk {
  readonly node: number
  /** What a restart finds. */
  readonly durable = new MemoryKv()
  /** While set, every write is refused with DiskFullError. */
  full = false
  /** Write batches applied (visible) in any incarnation, and those lost to a crash. */
  applied = 0
  lost = 0

  constructor(node: number) {
    this.node = node
  }

  async open(): Promise<void> {
    await this.durable.open()
  }
}

export interface IncarnationHooks {
  /** Whether a storage crash may happen now (the driver's fault budget). */
  readonly mayCrash: () => boolean
  /** The backend crashed the node at an await: the driver drops the incarnation. */
  readonly onCrash: () => void
}

const NEVER = new Promise<never>(() => {})

/** One incarnation's backend: the visible state over the disk's durable image. */
export class SimKv implements KvBackend {
  readonly #disk: SimDisk
  readonly #clock: VirtualClock
  readonly #rng: Prng
  readonly #faults: () => DiskFaults
  readonly #hooks: IncarnationHooks
  readonly #visible = new MemoryKv()
  /** Unsynced batches applied to the visible state, durable with the next synced one. */
  #unsynced: (readonly KvOp[])[] = []
  #dead = false

  constructor(disk: SimDisk, clock: VirtualClock, rng: Prng, faults: () => DiskFaults, hooks: IncarnationHooks) {
    this.#disk = disk
    this.#clock = clock
    this.#rng = rng
    this.#faults = faults
    this.#hooks = hooks
  }

  get dead(): boolean {
    return this.#dead
  }

  /** The process is gone: nothing of this incarnation runs again. */
  kill(): void {
    this.#dead = true
  }

  /** A crash at this await, when the fault plan draws one. */
  #crashHere(): boolean {
    if (this.#dead) return true
    const rate = this.#faults().crashPerCallRate
    if (rate > 0 && this.#rng.chance(rate) && this.#hooks.mayCrash()) {
      this.#dead = true
      this.#hooks.onCrash()
      return true
    }
    return false
  }

  async open(): Promise<void> {
    if (this.#dead) return NEVER
    await this.#visible.open()
    // A restart reads what is durable, and nothing else.
    const rows = await this.#disk.durable.scan({ limit: Number.MAX_SAFE_INTEGER })
    await this.#visible.write(rows.map(([key, value]) => ({ type: 'put', key, value })), true)
  }

  async close(): Promise<void> {
    if (this.#dead) return NEVER
    await this.#visible.close()
  }

  #read<T>(read: () => Promise<T>): Promise<T> {
    if (this.#crashHere()) return NEVER
    // Made now, against what is visible now; delivered now or a little later.
    const result = read()
    if (!this.#rng.chance(this.#faults().lateReadRate)) return result
    return new Promise<T>((resolve, reject) => {
      this.#clock.after(this.#rng.range(1, 3), () => { if (!this.#dead) result.then(resolve, reject) })
    })
  }

  get(key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.#read(() => this.#visible.get(key))
  }

  getMany(keys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    return this.#read(() => this.#visible.getMany(keys))
  }

  scan(range: KvRange): Promise<[Uint8Array, Uint8Array][]> {
    return this.#read(() => this.#visible.scan(range))
  }

  write(ops: readonly KvOp[], sync: boolean): Promise<void> {
    if (this.#crashHere()) return NEVER
    const faults = this.#faults()
    const slow = this.#rng.chance(faults.slowWriteRate)
    const applyMs = slow ? this.#rng.range(faults.slowWriteMs[0], faults.slowWriteMs[1]) : this.#rng.range(0, 1)
    const ackMs = this.#rng.range(0, 2)
    const copy = ops.slice()
    return new Promise<void>((resolve, reject) => {
      this.#clock.after(applyMs, () => {
        if (this.#dead) {
          this.#disk.lost++
          return
        }
        if (this.#disk.full) {
          this.#clock.after(ackMs, () => { if (!this.#dead) reject(new DiskFullError(this.#disk.node)) })
          return
        }
        this.#apply(copy, sync)
        this.#clock.after(ackMs, () => { if (!this.#dead) resolve() })
      })
    })
  }

  #apply(ops: readonly KvOp[], sync: boolean): void {
    // MemoryKv's methods finish synchronously; their promises carry no later work.
    this.#noted(this.#visible.write(ops, sync))
    this.#disk.applied++
    if (!sync) {
      this.#unsynced.push(ops)
      return
    }
    for (const batch of this.#unsynced) this.#noted(this.#disk.durable.write(batch, true))
    this.#unsynced = []
    this.#noted(this.#disk.durable.write(ops, true))
  }

  /** A write to a memory map cannot fail unless it is closed: a bug the run reports. */
  #noted(write: Promise<void>): void {
    write.catch((err: unknown) => this.#clock.errors.push(err as Error))
  }
}
