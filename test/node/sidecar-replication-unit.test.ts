// Sidecar replication's rules on one node, with a scripted wire and a manual clock
// (node/runtime/sidecar-replication.ts): what it answers, what it ignores and what it
// refuses with a penalty (ignore vs reject), the per-peer rate, the bounded pull rounds,
// and that a forged answer keeps nothing.
import { describe, expect, it } from 'vitest'
import { pino } from 'pino'
import { blockHash } from '../../src/log/block.ts'
import { encodeEntry, entryId, type Hash } from '../../src/log/entry.ts'
import { leafHash, MerkleAccumulator } from '../../src/log/merkle.ts'
import { NODE_LIMITS } from '../../node/limits.ts'
import { decodeSidecarFrame, encodeSidecarFrame, type SidecarFrame } from '../../node/net/sidecar-frames.ts'
import type { SidecarServer, SidecarWire } from '../../node/net/sidecar-wire.ts'
import type { PenaltyCause } from '../../node/net/transport.ts'
import { SidecarReplication } from '../../node/runtime/sidecar-replication.ts'
import type { RuntimeTimers } from '../../node/runtime/timers.ts'
import { MemoryStore } from '../../node/store/index.ts'
import { ChainBuilder, TestAgent, testNet } from '../support/chain-builder.ts'
import { eraseEntry, sealedEntry, sealFixture } from '../support/sealed-entries.ts'

class ManualTimers implements RuntimeTimers {
  now = 0
  #timers: { at: number, callback: () => void }[] = []
  monotonicMs(): number {
    return this.now
  }
  setTimeout(callback: () => void, delayMs: number): unknown {
    const timer = { at: this.now + delayMs, callback }
    this.#timers.push(timer)
    return timer
  }
  clearTimeout(handle: unknown): void {
    this.#timers = this.#timers.filter((t) => t !== handle)
  }
  /** Moves the clock on by `ms`, firing due timers in order, letting their promises run. */
  async advance(ms: number): Promise<void> {
    const end = this.now + ms
    for (;;) {
      const due = this.#timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0]
      if (due === undefined) break
      this.#timers = this.#timers.filter((t) => t !== due)
      this.now = due.at
      due.callback()
      await settle()
    }
    this.now = end
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r))
}

class ScriptedWire implements SidecarWire {
  server: SidecarServer | null = null
  readonly sent: { to: number, frame: SidecarFrame }[] = []
  readonly requests: { to: number, frame: SidecarFrame }[] = []
  answer: (to: number, frame: SidecarFrame) => Uint8Array | Error = () => new Error('no answer')
  send(to: number, frame: Uint8Array): Promise<void> {
    this.sent.push({ to, frame: decodeSidecarFrame(frame) })
    return Promise.resolve()
  }
  request(to: number, frame: Uint8Array): Promise<Uint8Array> {
    const decoded = decodeSidecarFrame(frame)
    this.requests.push({ to, frame: decoded })
    const answer = this.answer(to, decoded)
    return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer)
  }
  serve(server: SidecarServer): void {
    this.server = server
  }
}

async function setup() {
  const net = testNet(4, 'sidecar-replication-unit')
  const author = new TestAgent('sidecar-replication-unit/author')
  const f = sealFixture('unit/1', '{"a":1}')
  const sealed = sealedEntry(author, net.genesis.chainId, 'org/notes', f)
  const plain = author.entry(net.genesis.chainId, 'org/notes', { b: 2 })
  const chain = new ChainBuilder(net)
  chain.add([sealed, plain])
  chain.add([eraseEntry(author, net.genesis.chainId, 'org/notes', sealed)])
  const store = new MemoryStore()
  await store.open(net.genesis)
  const log = new MerkleAccumulator()
  for (const e of chain.items[0]!.block.entries) log.append(leafHash(encodeEntry(e)))
  const block = chain.items[0]!.block
  await store.commit({ blocks: [block], hashes: [blockHash(block.header)], qc: null, cc: chain.items[0]!.cc ?? null, log: log.toState() })
  const wire = new ScriptedWire()
  const timers = new ManualTimers()
  const penalties: { peer: number, cause: PenaltyCause }[] = []
  const replication = new SidecarReplication({
    selfIndex: () => 0, validators: () => 4, store, wire, connectedPeers: () => [1, 2, 3],
    penalise: (peer, cause) => penalties.push({ peer, cause }), logger: pino({ level: 'silent' }), timers,
  })
  const serve = (from: number, frame: SidecarFrame | Uint8Array): Promise<Uint8Array | null> =>
    wire.server!(from, frame instanceof Uint8Array ? frame : encodeSidecarFrame(frame))
  /** Commits the second block: the erase of the sealed entry. */
  const commitErase = async (): Promise<void> => {
    const erase = chain.items[1]!.block
    for (const e of erase.entries) log.append(leafHash(encodeEntry(e)))
    await store.commit({ blocks: [erase], hashes: [blockHash(erase.header)], qc: null, cc: chain.items[1]!.cc ?? null, log: log.toState() })
  }
  return { store, wire, timers, penalties, replication, serve, commitErase, f, sealed, plain, id: entryId(sealed), block }
}

const sidecarAnswer = (id: Hash, blob: Uint8Array, key: Uint8Array | null): Uint8Array => encodeSidecarFrame({ t: 'sidecar', id, sidecar: { blob, key } })

describe('sidecar replication on one node', () => {
  it('answers a want with what it holds, and refuses unsolicited answers and malformed frames with a penalty', async () => {
    const { store, penalties, replication, serve, f, id } = await setup()
    expect(decodeSidecarFrame((await serve(1, { t: 'want', id }))!)).toEqual({ t: 'none', id, held: 'missing' })
    await store.putSidecar(id, { blob: f.blob, key: null })
    expect(decodeSidecarFrame((await serve(1, { t: 'want', id }))!)).toEqual({ t: 'sidecar', id, sidecar: { blob: f.blob, key: null } })
    expect(penalties).toEqual([])
    expect(await serve(2, { t: 'sidecar', id, sidecar: { blob: f.blob, key: null } })).toBeNull()
    expect(await serve(2, Uint8Array.of(0xa1, 0x61))).toBeNull()
    expect(penalties).toEqual([{ peer: 2, cause: 'invalid' }, { peer: 2, cause: 'malformed' }])
    expect(Object.fromEntries(replication.stats.rejected)).toEqual({ unsolicited: 1, malformed: 1 })
  })

  it('never serves nor keeps the sidecar of an erased entry', async () => {
    const { store, wire, penalties, replication, serve, commitErase, f, id } = await setup()
    await store.putSidecar(id, { blob: f.blob, key: f.key })
    await commitErase()
    expect(decodeSidecarFrame((await serve(1, { t: 'want', id }))!)).toEqual({ t: 'none', id, held: 'erased' })
    // Announced by a peer that has not committed the erase yet: not asked for, not kept.
    replication.start()
    wire.answer = () => sidecarAnswer(id, f.blob, f.key)
    await serve(2, { t: 'have', id, key: false })
    await settle()
    expect(wire.requests).toEqual([])
    expect((await store.sidecar(id)).status).toBe('erased')
    expect(penalties).toEqual([])
    replication.stop()
  })

  it('ignores, without a penalty, frames over a peer\'s rate; the rate comes back with time', async () => {
    const { timers, penalties, replication, serve, id } = await setup()
    const answers = []
    for (let i = 0; i < NODE_LIMITS.sidecarFramesPerPeerBurst + 5; i++) answers.push(await serve(3, { t: 'want', id }))
    expect(answers.filter((a) => a !== null)).toHaveLength(NODE_LIMITS.sidecarFramesPerPeerBurst)
    expect(replication.stats.ignored.get('rate-limited')).toBe(5)
    // Another peer is not limited by this one's frames.
    expect(await serve(1, { t: 'want', id })).not.toBeNull()
    timers.now += 1000
    expect(await serve(3, { t: 'want', id })).not.toBeNull()
    expect(penalties).toEqual([])
  })

  it('a have of a sidecar it lacks is pulled from the announcer; a forged answer keeps nothing and penalises it, the next peer\'s genuine one is kept', async () => {
    const { store, wire, timers, penalties, replication, serve, f, id } = await setup()
    replication.start()
    const forged = new Uint8Array(f.blob)
    forged[15] = forged[15]! ^ 0x80
    wire.answer = (to) => to === 2 ? sidecarAnswer(id, forged, null) : sidecarAnswer(id, f.blob, f.key)
    expect(await serve(2, { t: 'have', id, key: false })).toBeNull()
    await settle()
    // Asked of the announcer at once, before any tick.
    expect(timers.now).toBe(0)
    expect(wire.requests[0]).toEqual({ to: 2, frame: { t: 'want', id } })
    expect(penalties).toEqual([{ peer: 2, cause: 'invalid' }])
    expect(replication.stats.rejected.get('sidecar-blob-commitment')).toBe(1)
    expect((await store.sidecar(id)).status).toBe('missing')
    await timers.advance(NODE_LIMITS.sidecarPullTickMs)
    expect(wire.requests[1]!.to).not.toBe(2)
    expect(await store.sidecar(id)).toEqual({ status: 'stored', sidecar: { blob: f.blob, key: f.key } })
    expect(replication.wantedCount).toBe(0)
    replication.stop()
  })

  it('a have from a peer that answered none earlier in the round has it asked again at once', async () => {
    const { store, wire, replication, serve, f, id } = await setup()
    let holds = false
    wire.answer = (to) => to === 1 && holds ? sidecarAnswer(id, f.blob, null) : encodeSidecarFrame({ t: 'none', id, held: 'missing' })
    replication.start()
    // Announced by 1, asked of 1 at once, which says none (it announced before keeping it).
    await serve(1, { t: 'have', id, key: false })
    await settle()
    expect(wire.requests.map((r) => r.to)).toEqual([1])
    holds = true
    await serve(1, { t: 'have', id, key: false })
    await settle()
    expect(wire.requests.map((r) => r.to)).toEqual([1, 1])
    expect((await store.sidecar(id)).status).toBe('stored')
    replication.stop()
  })

  it('a sidecar held without its key is asked for again when a peer announces one with it, and not otherwise', async () => {
    const { store, wire, replication, serve, f, id } = await setup()
    await store.putSidecar(id, { blob: f.blob, key: null })
    wire.answer = (to) => to === 3 ? sidecarAnswer(id, f.blob, f.key) : sidecarAnswer(id, f.blob, null)
    replication.start()
    await serve(1, { t: 'have', id, key: false })
    await settle()
    expect(wire.requests).toEqual([])
    await serve(3, { t: 'have', id, key: true })
    await settle()
    expect(wire.requests.map((r) => r.to)).toEqual([3])
    expect(await store.sidecar(id)).toEqual({ status: 'stored', sidecar: { blob: f.blob, key: f.key } })
    // Held with the key now: a further announcement asks nobody.
    await serve(2, { t: 'have', id, key: true })
    await settle()
    expect(wire.requests).toHaveLength(1)
    replication.stop()
  })

  it('a have of an unsealed entry is refused with a penalty; of an entry not committed here, ignored', async () => {
    const { penalties, replication, serve, plain } = await setup()
    await serve(1, { t: 'have', id: entryId(plain), key: false })
    await serve(1, { t: 'have', id: new Uint8Array(32).fill(9), key: false })
    expect(penalties).toEqual([{ peer: 1, cause: 'invalid' }])
    expect(replication.stats.ignored.get('entry-not-committed')).toBe(1)
    expect(replication.wantedCount).toBe(0)
  })

  it('asks every peer once a round, for a bounded number of rounds with growing delays, then stops asking', async () => {
    const { wire, timers, replication } = await setup()
    wire.answer = (_to, frame) => encodeSidecarFrame({ t: 'none', id: frame.id, held: 'missing' })
    replication.start()
    // The wanted index (the store marked the sealed entry at its commit) is read at the first tick.
    let spentMs = 0
    while (replication.stats.givenUp === 0 && spentMs < 10 * 60_000) {
      await timers.advance(NODE_LIMITS.sidecarPullTickMs)
      spentMs += NODE_LIMITS.sidecarPullTickMs
    }
    expect(replication.stats.givenUp).toBe(1)
    expect(wire.requests).toHaveLength(3 * NODE_LIMITS.sidecarPullRoundsMax)
    for (let round = 0; round < NODE_LIMITS.sidecarPullRoundsMax; round++) {
      expect(new Set(wire.requests.slice(3 * round, 3 * round + 3).map((r) => r.to))).toEqual(new Set([1, 2, 3]))
    }
    expect(replication.wantedCount).toBe(0)
    // Stopped asking: nothing more however long it waits.
    await timers.advance(5 * 60_000)
    expect(wire.requests).toHaveLength(3 * NODE_LIMITS.sidecarPullRoundsMax)
    replication.stop()
  })

  it('announces a kept sidecar to every connected validator but itself', async () => {
    const { wire, replication, id } = await setup()
    replication.announce(id, true)
    await settle()
    expect(wire.sent.map((s) => s.to).sort()).toEqual([1, 2, 3])
    expect(wire.sent.every((s) => s.frame.t === 'have')).toBe(true)
  })
})
