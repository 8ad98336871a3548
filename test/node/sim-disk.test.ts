// The simulated disk the node simulation runs the chain store on: it passes the store
// compliance suite, and a crash keeps exactly the writes that were durable.
import { afterAll, describe, expect, it } from 'vitest'
import { ChainStore } from '../../node/store/chain-store.ts'
import type { Store } from '../../node/store/store.ts'
import { Prng } from '../../scenarios/sim/prng.ts'
import { DiskFullError, NO_DISK_FAULTS, SimDisk, SimKv, type DiskFaults } from '../../scenarios/sim/node/sim-disk.ts'
import { VirtualClock } from '../../scenarios/sim/node/virtual-clock.ts'
import { storeComplianceSuite } from './store-compliance.ts'

const SLOW: DiskFaults = { ...NO_DISK_FAULTS, slowWriteRate: 0.2, slowWriteMs: [5, 50], lateReadRate: 0.3 }
const NO_CRASH = { mayCrash: () => false, onCrash: () => {} }

describe('simulated disk', () => {
  const clock = new VirtualClock(10_000_000)
  const stop = clock.runFree()
  const rng = new Prng(5)
  const disks = new Map<Store, SimDisk>()
  afterAll(() => stop())

  storeComplianceSuite('chain store on the simulated disk', {
    async create() {
      const disk = new SimDisk(0)
      await disk.open()
      const store = new ChainStore(new SimKv(disk, clock, rng, () => SLOW, NO_CRASH))
      disks.set(store, disk)
      return store
    },
    async reopen(store) {
      const disk = disks.get(store)!
      const again = new ChainStore(new SimKv(disk, clock, rng, () => SLOW, NO_CRASH))
      disks.set(again, disk)
      return again
    },
  })

  it('a crash keeps the applied writes and loses the rest; later calls never settle', async () => {
    const own = new VirtualClock(1000)
    const disk = new SimDisk(1)
    await disk.open()
    let crashed = 0
    const faults: DiskFaults = { ...NO_DISK_FAULTS, slowWriteRate: 1, slowWriteMs: [100, 100] }
    const kv = new SimKv(disk, own, new Prng(1), () => faults, { mayCrash: () => true, onCrash: () => { crashed++ } })
    await own.drive(kv.open())
    const key = (k: number) => Uint8Array.of(k)
    await own.drive(kv.write([{ type: 'put', key: key(1), value: key(1) }], true))
    const lost = kv.write([{ type: 'put', key: key(2), value: key(2) }], true)
    await own.runUntil(own.now + 50)
    kv.kill()
    await own.runUntil(own.now + 500)
    let settled = false
    lost.then(() => { settled = true }, () => { settled = true })
    await own.runUntil(own.now + 500)
    expect(settled).toBe(false)
    expect(disk.lost).toBe(1)
    const rows = await disk.durable.scan({ limit: 10 })
    expect(rows.map(([k]) => k[0])).toEqual([1])
    expect(crashed).toBe(0)
  })

  it('a crash drawn at an await ends the incarnation there', async () => {
    const own = new VirtualClock(1000)
    const disk = new SimDisk(2)
    await disk.open()
    let crashed = 0
    const kv = new SimKv(disk, own, new Prng(1), () => ({ ...NO_DISK_FAULTS, crashPerCallRate: 1 }), { mayCrash: () => true, onCrash: () => { crashed++ } })
    let settled = false
    kv.get(Uint8Array.of(1)).then(() => { settled = true }, () => { settled = true })
    await own.runUntil(100)
    expect(crashed).toBe(1)
    expect(kv.dead).toBe(true)
    expect(settled).toBe(false)
  })

  it('a full disk refuses writes with DiskFullError and keeps nothing of them', async () => {
    const own = new VirtualClock(1000)
    const disk = new SimDisk(3)
    await disk.open()
    const kv = new SimKv(disk, own, new Prng(1), () => NO_DISK_FAULTS, NO_CRASH)
    await own.drive(kv.open())
    disk.full = true
    await expect(own.drive(kv.write([{ type: 'put', key: Uint8Array.of(9), value: Uint8Array.of(9) }], true))).rejects.toBeInstanceOf(DiskFullError)
    expect(await disk.durable.scan({ limit: 10 })).toEqual([])
  })
})
