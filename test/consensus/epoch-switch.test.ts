// The switch at the boundary (docs/protocol.md, "The replica at the boundary", step 5):
// with `reconfigurations: 'switch'` a replica holding the boundary certificate for its
// committed reconfiguration block starts the next epoch's safety state, enters its set and
// round 1 with the reconfiguration block's QC as round 0, and takes part only if its key
// is in the new set. A 4-validator cluster replaces validator 3 (old key -> new key at
// position 3 of the set): the old key keeps directory index 3 and is a member of epoch 0
// only, the new key gets directory index 4 (step 6) and is a member of epoch 1 only (it
// follows epoch 0 without voting). Then 4 -> 5 (a new key joins, starting from the
// genesis with its key alone) and 5 -> 4 (an original validator leaves).
import { describe, expect, it } from 'vitest'
import { describe as describeRejection } from '../../src/consensus/rejections.ts'
import { Replica } from '../../src/consensus/replica.ts'
import { SafetyRules } from '../../src/consensus/safety-rules.ts'
import type { Action, Message, SafetyState } from '../../src/consensus/types.ts'
import { publicKeyFromSeed } from '../../src/crypto/ed25519.ts'
import { toHex } from '../../src/crypto/hash.ts'
import { blockHash } from '../../src/log/block.ts'
import { signEntry, type Entry } from '../../src/log/entry.ts'
import { approveReconfiguration, reconfigurationPayloadText, setHashOf } from '../../src/log/epochs.ts'
import { bitmapOf } from '../../src/log/signer-bitmap.ts'
import { serveSyncRequest } from '../../src/consensus/sync.ts'
import { SimStorage } from '../../scenarios/sim/storage.ts'
import { DirectoryRouting } from './epoch-cluster.ts'
import { AGENT_SEED, CHAIN, entry, makeGenesis, seeds as seedsOf } from './fixtures.ts'

const n = 4
const { genesis, seeds } = makeGenesis(n)
/** The key that replaces validator 3's. */
const newSeed = seedsOf(5)[4]!
const newValidators = [...genesis.validators.slice(0, 3), { name: 'v3-new', publicKey: publicKeyFromSeed(newSeed), addresses: [] }]

/** The reconfiguration to epoch 1 (validator 3's key replaced), approved by validators 0-2. */
function reconfiguration(seq: number): Entry {
  const statement = { epoch: 1, expires: 1000, previous: setHashOf(genesis.validators), validators: newValidators }
  const sigs = [0, 1, 2].map((i) => approveReconfiguration(seeds[i]!, CHAIN, statement))
  const payload = reconfigurationPayloadText({ epoch: 1, expires: 1000, validators: newValidators, approvals: { signers: bitmapOf([0, 1, 2], n), sigs } })
  return signEntry({ agent: publicKeyFromSeed(AGENT_SEED), namespace: 'ops/validators', seq, payload, refs: [], idempotencyKey: '' }, CHAIN, AGENT_SEED)
}

/** Nodes 0-3 hold genesis keys 0-3 (directory indexes 0-3); node 4 the new key that
 * replaces validator 3's (directory index 4, position 3 of epoch 1's set). */
const OLD3 = 3
const NEW3 = 4
const nodeSeeds = [...seeds, newSeed]

/** Node `node` in 'switch' mode; the new key is configured with its key alone (it finds
 * its directory index once the reconfiguration naming it is committed). */
function switching(node: number, g = genesis, keys: readonly Uint8Array[] = nodeSeeds): Replica {
  const known = node < g.validators.length
  return new Replica({ genesis: g, ...(known ? { validatorIndex: node } : {}), seed: keys[node]!, reconfigurations: 'switch' })
}

interface Delivery { readonly to: number, readonly sender: number, readonly message: Message }

/** FIFO delivery until quiet, routed by the validator directory (DirectoryRouting). Each
 * node's commits, blocks, safety state and boundary certificates go to its simulator
 * storage. */
function cluster(nodes: Replica[], held: (to: number) => boolean = () => false, g = genesis, keys: readonly Uint8Array[] = nodeSeeds) {
  const routing = new DirectoryRouting(keys, () => nodes)
  const queue: Delivery[] = []
  /** Messages kept from the nodes `held` names, in order, for the test to deliver. */
  const heldFor: Delivery[] = []
  const enqueue = (d: Delivery) => (held(d.to) ? heldFor : queue).push(d)
  const storages = nodes.map(() => new SimStorage(g))
  const rejected: { node: number, reason: string }[] = []
  /** Every message each node sent, in order. */
  const sent: Message[][] = nodes.map(() => [])
  /** Messages dropped because the receiver's directory lacked the sender's key. */
  let unknownSender = 0
  const run = (node: number, actions: Action[]) => {
    for (const a of actions) {
      const s = storages[node]!
      if (a.type === 'send') {
        sent[node]!.push(a.message)
        const to = routing.nodeOf(node, a.to)
        if (to !== undefined && to !== node) enqueue({ to, sender: node, message: a.message })
      }
      if (a.type === 'serve-sync') {
        const response = serveSyncRequest(a.request, s)
        const to = routing.nodeOf(node, a.to)
        if (response !== null && to !== undefined) enqueue({ to, sender: node, message: response })
      }
      if (a.type === 'broadcast') {
        sent[node]!.push(a.message)
        for (const to of routing.broadcastTargets(node)) enqueue({ to, sender: node, message: a.message })
      }
      if (a.type === 'commit') {
        a.blocks.forEach((b, i) => s.appendCommitted(b, toHex(a.hashes[i]!)))
        s.commitHead(a.log, a.qc, a.cc)
      }
      if (a.type === 'persist-block') s.blocks.set(toHex(a.hash), a.block)
      if (a.type === 'persist-safety-state') s.safety = a.state
      if (a.type === 'store-commit-certificate') s.storeCommitCertificate(a.cc)
      if (a.type === 'store-boundary-certificate') expect(s.storeBoundaryCertificate(a.height, a.boundary)).toBe(true)
      if (a.type === 'rejected') rejected.push({ node, reason: describeRejection(a.reason) })
    }
  }
  /** Delivers until quiet or `until` holds after a delivery. */
  const drain = (until: () => boolean = () => false) => {
    for (let i = 0; queue.length > 0 && i < 100_000; i++) {
      const d = queue.shift()!
      const from = routing.fromAt(d.to, d.sender)
      if (from === undefined) {
        unknownSender++
        continue
      }
      run(d.to, nodes[d.to]!.step({ type: 'message', now: 0, from, message: d.message }))
      if (until()) return
    }
  }
  return { run, drain, storages, rejected, sent, queue, heldFor, routing, unknownSender: () => unknownSender }
}

/** No two nodes committed different blocks at a height. */
function expectAgreement(storages: readonly SimStorage[]): void {
  const top = Math.max(...storages.map((s) => s.committedHeight()))
  for (let h = 1; h <= top; h++) {
    const hashes = new Set(storages.flatMap((s) => (s.committedHeight() >= h ? [toHex(blockHash(s.committedHeader(h)!))] : [])))
    expect(hashes.size, `height ${h}`).toBe(1)
  }
}

const members1 = [0, 1, 2, NEW3]

describe('the switch at the boundary (one validator replaced)', () => {
  it('the cluster commits the reconfiguration block, enters epoch 1 at round 1, and epoch 1 commits; the removed validator takes no part', () => {
    const nodes = [0, 1, 2, OLD3, NEW3].map((node) => switching(node))
    const c = cluster(nodes)
    nodes.forEach((r, i) => c.run(i, r.step({ type: 'start', now: 0 })))
    c.run(1, nodes[1]!.step({ type: 'submit', now: 0, entries: [reconfiguration(1)] }))
    c.drain()
    // Validator 3's new key is not in epoch 0's set: its holder voted in none of its rounds.
    expect(c.rejected).toEqual([])
    expect(nodes.map((r) => r.epoch.number)).toEqual([1, 1, 1, 1, 1])
    for (const r of nodes) expect(r.set.validators.map((v) => v.name)).toEqual(newValidators.map((v) => v.name))
    const bk = c.storages[0]!.committedBlock(1)!
    expect(bk.entries.length).toBe(1)
    for (const s of c.storages) expect(s.boundaryCertificate(1)).toBeDefined()
    // The new epoch's first block (height 2, round 1, epoch 1) is committed everywhere.
    for (const s of c.storages) {
      expect(s.committedHeight()).toBeGreaterThanOrEqual(2)
      expect(s.committedHeader(2)).toMatchObject({ epoch: 1, round: 1, height: 2 })
    }
    // Every safety state is epoch 1's, rooted at the reconfiguration block.
    for (const s of c.storages) expect(s.safety).toMatchObject({ epoch: 1 })

    // Entries after the boundary commit in epoch 1.
    c.run(2, nodes[2]!.step({ type: 'submit', now: 0, entries: [entry(2)] }))
    c.drain()
    expect(c.rejected).toEqual([])
    for (const i of [...members1, OLD3]) {
      const s = c.storages[i]!
      const top = s.committedHeight()
      expect(top, `node ${i}`).toBeGreaterThanOrEqual(3)
      const heights = Array.from({ length: top - 1 }, (_, k) => k + 2)
      expect(heights.some((h) => s.committedBlock(h)!.entries.length === 1 && s.committedHeader(h)!.epoch === 1), `node ${i}`).toBe(true)
    }
    expectAgreement(c.storages)
    // The removed validator signed nothing of epoch 1 (it follows the chain only), and
    // the new key nothing of epoch 0.
    const epochOf = (m: Message): number => m.type === 'proposal' ? m.block.header.epoch ?? 0 : m.type === 'vote' || m.type === 'timeout' ? m.epoch ?? 0 : -1
    expect(c.sent[OLD3]!.filter((m) => epochOf(m) === 1)).toEqual([])
    expect(c.sent[NEW3]!.filter((m) => epochOf(m) === 0)).toEqual([])
    expect(c.sent[NEW3]!.some((m) => epochOf(m) === 1 && m.type === 'vote')).toBe(true)
  })

  it('after the boundary, the removed validator\'s messages are ignored (its epoch) or refused as from outside the epoch (signed for epoch 1 with its old key)', () => {
    const nodes = [0, 1, 2, OLD3, NEW3].map((node) => switching(node))
    const c = cluster(nodes)
    nodes.forEach((r, i) => c.run(i, r.step({ type: 'start', now: 0 })))
    c.run(1, nodes[1]!.step({ type: 'submit', now: 0, entries: [reconfiguration(1)] }))
    c.drain()
    expect(nodes[0]!.epoch.number).toBe(1)
    const r0 = nodes[0]!
    // The reconfiguration block's QC, epoch 1's root (its first block's justify).
    const rootQc = c.storages[0]!.committedHeader(2)!.justify
    expect(toHex(rootQc.block)).toBe(toHex(c.storages[0]!.safety!.epochRoot!))
    // An epoch-0 timeout from the old key (its safety state before the switch): stale, ignored.
    const old = new SafetyRules({ chainId: CHAIN, validatorIndex: 3, seed: seeds[3]! }, c.storages[OLD3]!.safety as SafetyState)
    const ignoredBefore = r0.stats.ignored
    const fresh = new SafetyRules({ chainId: CHAIN, validatorIndex: 3, seed: seeds[3]! }, { lastVotedRound: 0, preferredRound: 0, oneChainRound: 0, highestTimeoutRound: 0, lastVote: null, lastTimeout: null, highQc: rootQc, highTc: null })
    const stale = fresh.signTimeout(rootQc.round + 1, rootQc, null, 0)
    expect(stale.ok).toBe(true)
    const staleOut = r0.step({ type: 'message', now: 0, from: 3, message: (stale as Extract<typeof stale, { ok: true }>).message })
    expect(staleOut.filter((a) => a.type === 'rejected')).toEqual([])
    expect(r0.stats.ignored).toBe(ignoredBefore + 1)
    // The same key signing for epoch 1 at position 3 (now the new key's): its sender,
    // directory index 3, is not in epoch 1's set. (Its own safety state is epoch 1's since
    // the switch: it follows the chain but signs nothing.)
    expect(old.epoch).toBe(1)
    const forged = old.signTimeout(1, rootQc, null, 1)
    expect(forged.ok).toBe(true)
    const out = r0.step({ type: 'message', now: 0, from: 3, message: (forged as Extract<typeof forged, { ok: true }>).message })
    expect(out.filter((a) => a.type === 'rejected').map((a) => (a as Extract<Action, { type: 'rejected' }>).reason.code)).toEqual(['sender-not-in-epoch'])
    expect(out.find((a) => a.type === 'rejected')).toMatchObject({ from: 3, reason: { code: 'sender-not-in-epoch', sender: 3, epoch: 1 } })
    // The same timeout relayed by a member (its sender in the set): the signature is what fails.
    const relayed = r0.step({ type: 'message', now: 0, from: 1, message: (forged as Extract<typeof forged, { ok: true }>).message })
    expect(relayed.filter((a) => a.type === 'rejected').map((a) => (a as Extract<Action, { type: 'rejected' }>).reason.code)).toEqual(['timeout-bad-signature'])
    // Sync is still served to it: it follows the chain.
    const served = r0.step({ type: 'message', now: 0, from: 3, message: { type: 'range-request', fromHeight: 1, toHeight: 2 } })
    expect(served).toContainEqual(expect.objectContaining({ type: 'serve-sync', to: 3 }))
  })

  it('a replica restarted right after the boundary resumes in epoch 1 and commits with the others', () => {
    const nodes = [0, 1, 2, OLD3, NEW3].map((node) => switching(node))
    const c = cluster(nodes)
    nodes.forEach((r, i) => c.run(i, r.step({ type: 'start', now: 0 })))
    c.run(1, nodes[1]!.step({ type: 'submit', now: 0, entries: [reconfiguration(1)] }))
    // Stop at the first delivery after which node 0 is in epoch 1.
    c.drain(() => nodes[0]!.epoch.number === 1)
    expect(nodes[0]!.epoch.number).toBe(1)
    expect(nodes[0]!.committedHeight).toBe(1)
    const restored = c.storages[0]!.restoredState()!
    expect(restored.position?.ending?.next.number).toBe(1)
    expect(restored.safety.epoch).toBe(1)
    const again = new Replica({ genesis, validatorIndex: 0, seed: seeds[0]!, reconfigurations: 'switch' }, restored)
    expect(again.epoch.number).toBe(1)
    expect(again.round).toBe(1)
    expect(again.set.validators.map((v) => v.name)).toEqual(newValidators.map((v) => v.name))
    nodes[0] = again
    c.run(0, again.step({ type: 'start', now: 0 }))
    c.drain()
    c.run(2, nodes[2]!.step({ type: 'submit', now: 0, entries: [entry(2)] }))
    c.drain()
    expect(c.rejected).toEqual([])
    for (const i of members1) expect(c.storages[i]!.committedHeight(), `node ${i}`).toBeGreaterThanOrEqual(3)
    expect(nodes[0]!.epoch.number).toBe(1)
    expectAgreement(c.storages)
  })

  it('a replica without the boundary certificate does not vote for the next epoch\'s first block; with it, it switches and catches up', () => {
    const nodes = [0, 1, 2, OLD3, NEW3].map((node) => switching(node))
    let holding = true
    const c = cluster(nodes, (to) => holding && to === 0)
    nodes.forEach((r, i) => c.run(i, r.step({ type: 'start', now: 0 })))
    c.run(1, nodes[1]!.step({ type: 'submit', now: 0, entries: [reconfiguration(1)] }))
    c.drain()
    // The others (a quorum of both sets without node 0, which leads none of the rounds
    // used) crossed the boundary.
    for (const i of [1, 2, NEW3]) expect(nodes[i]!.epoch.number, `node ${i}`).toBe(1)
    expect(c.storages[1]!.committedHeight()).toBeGreaterThanOrEqual(2)
    const late = nodes[0]!
    expect(late.epoch.number).toBe(0)
    const first = c.heldFor.find((d) => d.message.type === 'proposal' && d.message.block.header.epoch === 1)
    expect(first).toBeDefined()
    const out = late.step({ type: 'message', now: 0, from: c.routing.fromAt(0, first!.sender)!, message: first!.message })
    expect(out.filter((a) => a.type === 'send' || a.type === 'broadcast' || a.type === 'rejected')).toEqual([])
    expect(late.epoch.number).toBe(0)
    expect(late.safetyState.lastVotedRound).toBe(0)
    // Everything held, in order: it commits the reconfiguration block, takes the boundary
    // certificate, switches, and catches up in epoch 1.
    holding = false
    c.queue.push(...c.heldFor.splice(0))
    c.drain()
    expect(c.rejected).toEqual([])
    expect(late.epoch.number).toBe(1)
    c.run(1, nodes[1]!.step({ type: 'submit', now: 0, entries: [entry(2)] }))
    c.drain()
    expect(c.rejected).toEqual([])
    expect(late.committedHeight).toBe(nodes[1]!.committedHeight)
    expect(c.sent[0]!.some((m) => m.type === 'vote' && m.epoch === 1)).toBe(true)
    expectAgreement(c.storages)
  })

  it('the default replica is unchanged: it refuses the reconfiguration', () => {
    const r = new Replica({ genesis, validatorIndex: 0, seed: seeds[0]! })
    const out = r.step({ type: 'submit', now: 0, entries: [reconfiguration(1)] })
    expect(out).toContainEqual(expect.objectContaining({ type: 'submitted', results: [expect.objectContaining({ rejected: { code: 'entry-reconfiguration-unsupported', epoch: 1 } })] }))
  })
})
