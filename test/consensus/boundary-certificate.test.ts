// Boundary certificates (docs/protocol.md, "The replica at the boundary", step 3): a CC
// of the ending epoch's set for its reconfiguration block, or for a suffix block with the
// links to it, kept by the replica (the lowest one), stored with the reconfiguration
// block ('store-boundary-certificate'), sent in sync-info and range responses. The
// replica runs with `reconfigurations: 'halt-at-boundary'`: it follows the epoch to its
// end and stops there (the switch is a later step).
import { describe, expect, it } from 'vitest'
import { describe as describeRejection } from '../../src/consensus/rejections.ts'
import { Replica } from '../../src/consensus/replica.ts'
import { decodeMessage, encodeMessage } from '../../src/consensus/messages.ts'
import { serveSyncRequest } from '../../src/consensus/sync.ts'
import type { Action, BoundaryCertificate, Message, RangeResponse, SyncInfoMessage } from '../../src/consensus/types.ts'
import { encodeCanonical } from '../../src/codec/cbor.ts'
import { publicKeyFromSeed } from '../../src/crypto/ed25519.ts'
import { toHex } from '../../src/crypto/hash.ts'
import { blockHash, headerToCbor, type Block } from '../../src/log/block.ts'
import { ccToCbor, qcToCbor } from '../../src/log/certificates.ts'
import { signEntry, type Entry } from '../../src/log/entry.ts'
import { approveReconfiguration, boundaryShapeProblem, reconfigurationPayloadText, setHashOf } from '../../src/log/epochs.ts'
import { bitmapOf } from '../../src/log/signer-bitmap.ts'
import { SimStorage } from '../../scenarios/sim/storage.ts'
import { AGENT_SEED, CHAIN, entry, makeGenesis, seeds as seedsOf } from './fixtures.ts'

const n = 4
const { genesis, seeds } = makeGenesis(n)

/** A reconfiguration to the genesis set plus one validator, approved by validators 0-2. */
function reconfiguration(seq: number): Entry {
  const five = [...genesis.validators, { name: 'v4', publicKey: publicKeyFromSeed(seedsOf(5)[4]!), addresses: [] }]
  const statement = { epoch: 1, expires: 1000, previous: setHashOf(genesis.validators), validators: five }
  const sigs = [0, 1, 2].map((i) => approveReconfiguration(seeds[i]!, CHAIN, statement))
  const payload = reconfigurationPayloadText({ epoch: 1, expires: 1000, validators: five, approvals: { signers: bitmapOf([0, 1, 2], n), sigs } })
  return signEntry({ agent: publicKeyFromSeed(AGENT_SEED), namespace: 'ops/validators', seq, payload, refs: [], idempotencyKey: '' }, CHAIN, AGENT_SEED)
}

interface Stored { height: number, boundary: BoundaryCertificate }

/** Delivers messages in FIFO order until quiet (no timers fire unless asked); `drop`
 * loses a message; replicas outside `live` receive nothing. Each replica's commits and
 * boundary certificates go to a simulator storage, as a driver's would. */
function cluster(replicas: Replica[], drop: (m: Message, to: number) => boolean = () => false, live = new Set(replicas.keys())) {
  const queue: { to: number, from: number, message: Message }[] = []
  const storages = replicas.map(() => new SimStorage(genesis))
  const boundaries: Stored[][] = replicas.map(() => [])
  const rejected: string[] = []
  const heldFor: { to: number, from: number, message: Message }[] = []
  const run = (index: number, actions: Action[]) => {
    for (const a of actions) {
      const send = (to: number, message: Message) => {
        if (drop(message, to)) return
        if (live.has(to)) queue.push({ to, from: index, message })
        else heldFor.push({ to, from: index, message })
      }
      if (a.type === 'send') send(a.to, a.message)
      if (a.type === 'broadcast') for (let to = 0; to < replicas.length; to++) if (to !== index) send(to, a.message)
      if (a.type === 'commit') {
        const s = storages[index]!
        a.blocks.forEach((b, i) => s.appendCommitted(b, toHex(a.hashes[i]!)))
        s.commitHead(a.log, a.qc, a.cc)
      }
      if (a.type === 'store-commit-certificate') storages[index]!.storeCommitCertificate(a.cc)
      if (a.type === 'store-boundary-certificate') {
        boundaries[index]!.push({ height: a.height, boundary: a.boundary })
        expect(storages[index]!.storeBoundaryCertificate(a.height, a.boundary)).toBe(true)
      }
      if (a.type === 'rejected') rejected.push(describeRejection(a.reason))
    }
  }
  const drain = () => {
    for (let i = 0; queue.length > 0 && i < 100_000; i++) {
      const d = queue.shift()!
      run(d.to, replicas[d.to]!.step({ type: 'message', now: 0, from: d.from, message: d.message }))
    }
  }
  const timeoutAll = () => replicas.forEach((r, i) => {
    if (live.has(i)) run(i, r.step({ type: 'timer', now: 0, kind: 'round', round: r.round }))
  })
  /** Rounds time out (every live replica's timer fires) until `done` or 10 tries. */
  const timeoutUntil = (done: () => boolean) => {
    for (let i = 0; i < 10 && !done(); i++) {
      timeoutAll()
      drain()
    }
  }
  return { run, drain, timeoutUntil, storages, boundaries, rejected, heldFor }
}

function halting(i: number): Replica {
  return new Replica({ genesis, validatorIndex: i, seed: seeds[i]!, reconfigurations: 'halt-at-boundary' })
}

describe('boundary certificates', () => {
  it('by default the reconfiguration is refused at submit (the node\'s behaviour)', () => {
    const r = new Replica({ genesis, validatorIndex: 0, seed: seeds[0]! })
    const out = r.step({ type: 'submit', now: 0, entries: [reconfiguration(1)] })
    expect(out).toContainEqual(expect.objectContaining({ type: 'submitted', results: [expect.objectContaining({ rejected: { code: 'entry-reconfiguration-unsupported', epoch: 1 } })] }))
  })

  it('an honest cluster commits the reconfiguration block and nothing after it; each stores the boundary certificate with it', () => {
    const replicas = seeds.map((_, i) => halting(i))
    const c = cluster(replicas)
    replicas.forEach((r, i) => c.run(i, r.step({ type: 'start', now: 0 })))
    c.run(1, replicas[1]!.step({ type: 'submit', now: 0, entries: [reconfiguration(1)] }))
    c.drain()
    expect(c.rejected).toEqual([])
    expect(replicas.map((r) => r.committedHeight)).toEqual([1, 1, 1, 1])
    const bk = replicas[0]!.committedHead
    expect(bk.entries.length).toBe(1)
    for (const [i, stored] of c.boundaries.entries()) {
      expect(stored.length, `replica ${i}`).toBe(1)
      expect(stored[0]!.height).toBe(1)
      // Consecutive rounds: the reconfiguration block's own CC, no links.
      expect(stored[0]!.boundary.links).toEqual([])
      expect(boundaryShapeProblem(stored[0]!.boundary.cc, [], blockHash(bk.header), bk.header)).toBeNull()
    }
    // Entries submitted after the boundary wait: nothing commits in the epoch after it.
    c.run(2, replicas[2]!.step({ type: 'submit', now: 0, entries: [entry(2)] }))
    c.drain()
    expect(c.rejected).toEqual([])
    expect(replicas.map((r) => r.committedHeight)).toEqual([1, 1, 1, 1])
    expect(replicas[2]!.mempoolSize).toBe(1)
  })

  it('when the reconfiguration block\'s two-chain fails, a suffix block\'s CC with the links is the boundary; sync-info and range responses carry it to a replica that missed it', () => {
    // Votes for round 2 (the reconfiguration block's child) are lost: its two-chain fails,
    // the round times out, and the suffix goes on from the reconfiguration block.
    const replicas = seeds.map((_, i) => halting(i))
    const lostRound2 = (m: Message) => m.type === 'vote' && m.round === 2
    const c = cluster(replicas, lostRound2, new Set([0, 1, 2]))
    replicas.forEach((r, i) => c.run(i, r.step({ type: 'start', now: 0 })))
    c.run(1, replicas[1]!.step({ type: 'submit', now: 0, entries: [reconfiguration(1)] }))
    c.drain()
    expect(replicas.slice(0, 3).map((r) => r.committedHeight)).toEqual([0, 0, 0])
    // The leader of round 3 (replica 3) is down too: more rounds time out.
    c.timeoutUntil(() => replicas[0]!.committedHeight === 1)
    expect(c.rejected).toEqual([])
    expect(replicas.slice(0, 3).map((r) => r.committedHeight)).toEqual([1, 1, 1])
    const bk = replicas[0]!.committedHead
    for (const i of [0, 1, 2]) {
      const stored = c.boundaries[i]!
      expect(stored.length, `replica ${i}`).toBe(1)
      const { cc, links } = stored[0]!.boundary
      expect(links.length).toBeGreaterThanOrEqual(1)
      expect(boundaryShapeProblem(cc, links, blockHash(bk.header), bk.header)).toBeNull()
    }

    // Replica 3 missed all of it. Its status request is answered with replica 0's
    // certificates: a sync-info whose highCc is the suffix block's CC, with the links.
    const late = new Replica({ genesis, validatorIndex: 3, seed: seeds[3]!, reconfigurations: 'halt-at-boundary', limits: { syncWindowHeights: 0 } })
    const lateOut: Action[] = [...late.step({ type: 'start', now: 0 })]
    const answer = replicas[0]!.step({ type: 'message', now: 5000, from: 3, message: { type: 'status-request' } })
    const info = answer.find((a) => a.type === 'send' && a.message.type === 'sync-info')
    expect(info).toBeDefined()
    const syncInfo = (info as Extract<Action, { type: 'send' }>).message as SyncInfoMessage
    expect(syncInfo.links).toEqual(c.boundaries[0]![0]!.boundary.links)
    // Beyond its sync window (0 here), it asks for the committed range; replica 0's store
    // answers with the blocks up to the reconfiguration block and the boundary certificate.
    const afterInfo = late.step({ type: 'message', now: 0, from: 0, message: syncInfo })
    lateOut.push(...afterInfo)
    const request = afterInfo.find((a) => a.type === 'send' && a.message.type === 'range-request') as Extract<Action, { type: 'send' }> | undefined
    expect(request).toBeDefined()
    const range = serveSyncRequest(request!.message as Extract<Message, { type: 'range-request' }>, c.storages[0]!) as RangeResponse
    expect(range.type).toBe('range-response')
    expect(range.blocks.map((b) => b.header.height)).toEqual([1])
    expect(range.links).toEqual(c.boundaries[0]![0]!.boundary.links)
    expect(range.cc).toBe(c.boundaries[0]![0]!.boundary.cc)
    lateOut.push(...late.step({ type: 'message', now: 0, from: 0, message: range }))
    expect(lateOut.filter((a) => a.type === 'rejected')).toEqual([])
    expect(late.committedHeight).toBe(1)
    const kept = lateOut.filter((a) => a.type === 'store-boundary-certificate')
    expect(kept.length).toBe(1)
    expect(kept[0]).toMatchObject({ height: 1 })
    // Without a boundary stored, the same store serves the range as before: the blocks
    // with the reconfiguration block's plain certificate, if any.
    const plain = new SimStorage(genesis)
    plain.appendCommitted(c.storages[0]!.committed[1]!, toHex(blockHash(c.storages[0]!.committed[1]!.header)))
    const unbounded = serveSyncRequest({ type: 'range-request', fromHeight: 1, toHeight: 10 }, plain) as RangeResponse
    expect(unbounded).toMatchObject({ type: 'range-response', links: [], cc: null })
  })

  it('a replica holding the reconfiguration block takes the suffix from a sync-info\'s links', () => {
    const replicas = seeds.map((_, i) => halting(i))
    const lostRound2 = (m: Message) => m.type === 'vote' && m.round === 2
    // Replica 3 hears only the proposal of the reconfiguration block.
    const c = cluster(replicas, lostRound2, new Set([0, 1, 2]))
    replicas.forEach((r, i) => c.run(i, r.step({ type: 'start', now: 0 })))
    c.run(1, replicas[1]!.step({ type: 'submit', now: 0, entries: [reconfiguration(1)] }))
    c.drain()
    c.timeoutUntil(() => replicas[0]!.committedHeight === 1)
    const late = replicas[3]!
    late.step({ type: 'start', now: 0 })
    const first = c.heldFor.find((d) => d.to === 3 && d.message.type === 'proposal' && d.message.block.header.height === 1)!
    const out: Action[] = [...late.step({ type: 'message', now: 0, from: first.from, message: first.message })]
    expect(late.committedHeight).toBe(0)
    const answer = replicas[0]!.step({ type: 'message', now: 5000, from: 3, message: { type: 'status-request' } })
    const syncInfo = (answer.find((a) => a.type === 'send' && a.message.type === 'sync-info') as Extract<Action, { type: 'send' }>).message as SyncInfoMessage
    expect(syncInfo.links!.length).toBeGreaterThanOrEqual(1)
    out.push(...late.step({ type: 'message', now: 0, from: 0, message: syncInfo }))
    expect(out.filter((a) => a.type === 'rejected')).toEqual([])
    expect(late.committedHeight).toBe(1)
    const kept = out.filter((a) => a.type === 'store-boundary-certificate') as Extract<Action, { type: 'store-boundary-certificate' }>[]
    expect(kept.length).toBe(1)
    expect(kept[0]!.boundary.links).toEqual(syncInfo.links)
  })
})

describe('the sync-info\'s links on the wire', () => {
  const replica = halting(0)
  const qc = replica.highQc!
  const b: Block = { header: { height: 1, round: 1, parent: new Uint8Array(32), entriesRoot: new Uint8Array(32), entryCount: 0, logSize: 0, logRoot: new Uint8Array(32), proposer: 1, justify: qc }, entries: [] }
  const cc = { height: 2, block: new Uint8Array(32).fill(2), logSize: 0, logRoot: new Uint8Array(32), signers: new Uint8Array(1), sigs: [] }

  it('a sync-info without links encodes as before the field existed', () => {
    const m: SyncInfoMessage = { type: 'sync-info', highQc: qc, highTc: null, highCc: cc }
    expect(toHex(encodeMessage(m))).toBe(toHex(encodeCanonical({ type: 'sync-info', highQc: qcToCbor(qc), highTc: null, highCc: ccToCbor(cc) })))
    expect(toHex(encodeMessage({ ...m, links: [] }))).toBe(toHex(encodeMessage(m)))
    expect(decodeMessage(encodeMessage(m))).toEqual(m)
  })

  it('with links round-trips; empty links or links without a CC are malformed', () => {
    const m: SyncInfoMessage = { type: 'sync-info', highQc: qc, highTc: null, highCc: cc, links: [b.header] }
    expect(decodeMessage(encodeMessage(m))).toEqual(m)
    const raw = (value: Record<string, unknown>) => encodeCanonical({ type: 'sync-info', highQc: qcToCbor(qc), highTc: null, ...value } as never)
    expect(() => decodeMessage(raw({ highCc: ccToCbor(cc), links: [] }))).toThrow(/written by leaving the field out/)
    expect(() => decodeMessage(raw({ highCc: null, links: [headerToCbor(b.header)] }))).toThrow(/links without a commit certificate/)
  })
})

describe('the links of a stored boundary certificate', () => {
  it('chain from the reconfiguration block through empty suffix blocks, and nothing else is stored', () => {
    const replicas = seeds.map((_, i) => halting(i))
    const lostRound2 = (m: Message) => m.type === 'vote' && m.round === 2
    const c = cluster(replicas, lostRound2, new Set([0, 1, 2]))
    replicas.forEach((r, i) => c.run(i, r.step({ type: 'start', now: 0 })))
    c.run(1, replicas[1]!.step({ type: 'submit', now: 0, entries: [reconfiguration(1)] }))
    c.drain()
    c.timeoutUntil(() => replicas[0]!.committedHeight === 1)
    // Every link the replicas stored is a suffix block of height 2 and up, each the
    // child of the one before, the first the reconfiguration block's child.
    const bk = c.storages[0]!.committed[1]!
    const { links } = c.storages[0]!.boundaryCertificate(1)!
    expect(links.map((h) => h.height)).toEqual(links.map((_, i) => 2 + i))
    expect(toHex(links[0]!.parent)).toBe(toHex(blockHash(bk.header)))
    expect(links.every((h) => h.entryCount === 0 && h.logSize === bk.header.logSize)).toBe(true)
    // A height that is not a reconfiguration block has none.
    expect(c.storages[0]!.boundaryCertificate(0)).toBeUndefined()
    // The storage refuses a boundary that does not fit its block (links dropped: the CC is
    // then for another block than the reconfiguration block).
    expect(c.storages[0]!.storeBoundaryCertificate(1, { cc: c.storages[0]!.boundaryCertificate(1)!.cc, links: [] })).toBe(false)
  })
})
