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
import { DirectoryRouting, reconfigurationEntry, signerCount, validatorOf } from './epoch-cluster.ts'
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

  it('an index outside the directory is refused; a key alone finds its index, or none', () => {
    expect(() => new Replica({ genesis, validatorIndex: 4, seed: seeds[0]! })).toThrow(/validator index 4 is not in 0..3/)
    expect(new Replica({ genesis, seed: seeds[2]! }).index).toBe(2)
    // Outside the genesis set and not switching: it never has a part (no index, no position).
    const outsider = new Replica({ genesis, seed: newSeed })
    expect([outsider.index, outsider.position]).toEqual([-1, -1])
    outsider.step({ type: 'start', now: 0 })
    // It takes a client's entry but forwards it to no leader (it would be refused).
    const out = outsider.step({ type: 'submit', now: 0, entries: [entry(1)] })
    expect(out).toContainEqual(expect.objectContaining({ type: 'submitted', results: [expect.objectContaining({ rejected: null })] }))
    expect(out.filter((a) => a.type === 'send' || a.type === 'broadcast')).toEqual([])
    // A genesis validator does forward it.
    const member = new Replica({ genesis, validatorIndex: 0, seed: seeds[0]! })
    member.step({ type: 'start', now: 0 })
    expect(member.step({ type: 'submit', now: 0, entries: [entry(1)] }).some((a) => a.type === 'send' && a.message.type === 'entries')).toBe(true)
  })

  it('the default replica is unchanged: it refuses the reconfiguration', () => {
    const r = new Replica({ genesis, validatorIndex: 0, seed: seeds[0]! })
    const out = r.step({ type: 'submit', now: 0, entries: [reconfiguration(1)] })
    expect(out).toContainEqual(expect.objectContaining({ type: 'submitted', results: [expect.objectContaining({ rejected: { code: 'entry-reconfiguration-unsupported', epoch: 1 } })] }))
  })
})

/** A reconfiguration's submitter of its own (seqs are per agent: the entries' agent is another). */
const GOVERNOR_SEED = new Uint8Array(32).fill(98)
const joinerSeed = seedsOf(5)[4]!
const v4 = validatorOf('v4', joinerSeed)
/** 4 -> 5: the genesis set and a new key (directory index 4, position 4). */
const set1 = [...genesis.validators, v4]
/** 5 -> 4: validator 3 leaves (directory index 3 stays its; v4 moves to position 3). */
const set2 = [genesis.validators[0]!, genesis.validators[1]!, genesis.validators[2]!, v4]
const joinKeys = [...seeds, joinerSeed]
const approver = (position: number, seed: Uint8Array) => ({ position, seed })

/** The justify QCs of the committed blocks of `epoch` above its first (each certifies a
 * block of the same epoch), and the first block's (its root, certified by the set before). */
function epochQcs(s: SimStorage, epoch: number) {
  const headers = Array.from({ length: s.committedHeight() }, (_, k) => s.committedHeader(k + 1)!).filter((h) => (h.epoch ?? 0) === epoch)
  return { root: headers[0]!.justify, within: headers.slice(1).map((h) => h.justify) }
}

describe('a validator joins (4 -> 5), then an original one leaves (5 -> 4)', () => {
  it('the new key starts from the genesis with its key alone, syncs, joins at the boundary and votes; then validator 3 leaves and its messages are refused', () => {
    const nodes = [0, 1, 2, 3, 4].map((node) => switching(node, genesis, joinKeys))
    const joiner = nodes[4]!
    // It knows only its key: no index until a committed reconfiguration names it.
    expect(joiner.index).toBe(-1)
    expect(joiner.directory.size).toBe(4)
    const c = cluster(nodes, () => false, genesis, joinKeys)
    nodes.forEach((r, i) => c.run(i, r.step({ type: 'start', now: 0 })))
    // Until the others commit the reconfiguration, nothing the joiner sends is taken (no
    // directory holds its key) and nothing is sent to it.
    c.drain()
    expect(c.unknownSender()).toBeGreaterThan(0)
    expect(c.storages[4]!.committedHeight()).toBe(0)
    c.run(1, nodes[1]!.step({ type: 'submit', now: 0, entries: [reconfigurationEntry(1, 1, genesis.validators, set1, [0, 1, 2].map((p) => approver(p, seeds[p]!)), GOVERNOR_SEED)] }))
    c.drain()
    expect(c.rejected).toEqual([])
    expect(nodes.map((r) => r.epoch.number)).toEqual([1, 1, 1, 1, 1])
    expect(joiner.index).toBe(4)
    expect(joiner.position).toBe(4)
    for (const r of nodes) {
      expect(r.directory.size).toBe(5)
      expect(r.set.n).toBe(5)
      expect(r.set.quorum).toBe(4)
    }
    // The joiner synced the epoch-0 chain: the reconfiguration block and its certificate.
    expect(c.storages[4]!.committedHeight()).toBeGreaterThanOrEqual(2)
    expect(c.storages[4]!.boundaryCertificate(1)).toBeDefined()

    // Epoch 1 commits entries with a quorum of 4 of 5; the joiner votes and, in its round, proposes.
    let submitted1 = 0
    for (let i = 0; i < 8 && !c.sent[4]!.some((m) => m.type === 'proposal' && m.block.header.epoch === 1); i++) {
      c.run(i % 5, nodes[i % 5]!.step({ type: 'submit', now: 0, entries: [entry(i + 1)] }))
      submitted1++
      c.drain()
    }
    expect(c.rejected).toEqual([])
    expect(c.sent[4]!.some((m) => m.type === 'vote' && m.epoch === 1)).toBe(true)
    expect(c.sent[4]!.some((m) => m.type === 'proposal' && m.block.header.epoch === 1 && m.block.header.proposer === 4)).toBe(true)
    expectAgreement(c.storages)
    const e1 = epochQcs(c.storages[0]!, 1)
    expect(signerCount(e1.root.signers)).toBeGreaterThanOrEqual(3) // epoch 0's quorum certifies the root
    expect(e1.within.length).toBeGreaterThan(0)
    for (const qc of e1.within) expect(signerCount(qc.signers)).toBeGreaterThanOrEqual(4)
    const entriesIn1 = c.storages[0]!.committed.filter((b) => b.header.epoch === 1).reduce((sum, b) => sum + b.entries.length, 0)
    expect(entriesIn1).toBe(submitted1)

    // 5 -> 4: approved by 4 of epoch 1's 5 (positions 0, 1, 2 and the joiner's 4).
    const approvers1 = [approver(0, seeds[0]!), approver(1, seeds[1]!), approver(2, seeds[2]!), approver(4, joinerSeed)]
    c.run(2, nodes[2]!.step({ type: 'submit', now: 0, entries: [reconfigurationEntry(2, 2, set1, set2, approvers1, GOVERNOR_SEED)] }))
    c.drain()
    expect(c.rejected).toEqual([])
    expect(nodes.map((r) => r.epoch.number)).toEqual([2, 2, 2, 2, 2])
    for (const r of nodes) {
      expect(r.directory.size).toBe(5) // nobody new: the directory keeps the leaver's index
      expect(r.set.n).toBe(4)
      expect(r.set.quorum).toBe(3)
    }
    expect(nodes[3]!.position).toBe(-1)
    expect(nodes[3]!.index).toBe(3)
    expect(joiner.position).toBe(3)
    for (let i = 0; i < 3; i++) {
      c.run([0, 1, 2, 4][i]!, nodes[[0, 1, 2, 4][i]!]!.step({ type: 'submit', now: 0, entries: [entry(20 + i)] }))
      c.drain()
    }
    expect(c.rejected).toEqual([])
    expectAgreement(c.storages)
    // Every entry submitted is committed everywhere: the two reconfigurations, those of
    // epoch 1 (the second reconfiguration among them) and the 3 of epoch 2.
    const e2 = epochQcs(c.storages[0]!, 2)
    expect(signerCount(e2.root.signers)).toBeGreaterThanOrEqual(4) // epoch 1's quorum certifies the root
    for (const qc of e2.within) expect(signerCount(qc.signers)).toBeGreaterThanOrEqual(3)
    for (const qc of e2.within) expect(qc.signers.length).toBe(1) // a bitmap over the 4 of epoch 2
    const entriesIn2 = c.storages[0]!.committed.filter((b) => b.header.epoch === 2).reduce((sum, b) => sum + b.entries.length, 0)
    expect(entriesIn2).toBe(3)
    for (const s of c.storages) {
      const all = s.committed.reduce((sum, b) => sum + b.entries.length, 0)
      expect(all).toBe(1 + submitted1 + 1 + 3)
    }
    // The leaver signed nothing of epoch 2.
    const epochOf = (m: Message): number => m.type === 'proposal' ? m.block.header.epoch ?? 0 : m.type === 'vote' || m.type === 'timeout' ? m.epoch ?? 0 : -1
    expect(c.sent[3]!.filter((m) => epochOf(m) === 2)).toEqual([])

    // Its messages after the boundary: refused by their sender, whatever they carry.
    const r0 = nodes[0]!
    const rootQc = e2.root
    const leaver = new SafetyRules({ chainId: CHAIN, validatorIndex: 3, seed: seeds[3]! }, { lastVotedRound: 0, preferredRound: 0, oneChainRound: 0, highestTimeoutRound: 0, lastVote: null, lastTimeout: null, highQc: rootQc, highTc: null, epoch: 2, epochRoot: rootQc.block })
    const timeout = leaver.signTimeout(1, rootQc, null, 2)
    expect(timeout.ok).toBe(true)
    const proposal = c.sent[1]!.find((m) => m.type === 'proposal' && m.block.header.epoch === 2)!
    const forged: Message[] = [
      (timeout as Extract<typeof timeout, { ok: true }>).message,
      proposal,
      { type: 'vote', epoch: 2, voter: 3, round: r0.round, height: 1, block: rootQc.block, sig: new Uint8Array(64), commit: null },
      { type: 'entries', entries: [entry(40)] },
    ]
    for (const message of forged) {
      const out = r0.step({ type: 'message', now: 0, from: 3, message })
      expect(out.filter((a) => a.type === 'rejected'), message.type).toEqual([{ type: 'rejected', from: 3, messageType: message.type, reason: { code: 'sender-not-in-epoch', sender: 3, epoch: 2 } }])
    }
    // Sync is still served to it.
    const served = r0.step({ type: 'message', now: 0, from: 3, message: { type: 'range-request', fromHeight: 1, toHeight: 3 } })
    expect(served).toContainEqual(expect.objectContaining({ type: 'serve-sync', to: 3 }))
  })

  it('a replica restarted in epoch 2 rebuilds the directory from its storage and resumes', () => {
    const nodes = [0, 1, 2, 3, 4].map((node) => switching(node, genesis, joinKeys))
    const c = cluster(nodes, () => false, genesis, joinKeys)
    nodes.forEach((r, i) => c.run(i, r.step({ type: 'start', now: 0 })))
    c.run(1, nodes[1]!.step({ type: 'submit', now: 0, entries: [reconfigurationEntry(1, 1, genesis.validators, set1, [0, 1, 2].map((p) => approver(p, seeds[p]!)), GOVERNOR_SEED)] }))
    c.drain()
    const approvers1 = [approver(0, seeds[0]!), approver(1, seeds[1]!), approver(2, seeds[2]!), approver(4, joinerSeed)]
    c.run(2, nodes[2]!.step({ type: 'submit', now: 0, entries: [reconfigurationEntry(2, 2, set1, set2, approvers1, GOVERNOR_SEED)] }))
    c.drain()
    expect(nodes[4]!.epoch.number).toBe(2)
    const restored = c.storages[4]!.restoredState()!
    expect(restored.directory?.length).toBe(5)
    const again = new Replica({ genesis, seed: joinerSeed, reconfigurations: 'switch' }, restored)
    expect(again.index).toBe(4)
    expect(again.epoch.number).toBe(2)
    expect(again.position).toBe(3)
    nodes[4] = again
    c.run(4, again.step({ type: 'start', now: 0 }))
    c.drain()
    c.run(4, again.step({ type: 'submit', now: 0, entries: [entry(1)] }))
    c.drain()
    expect(c.rejected).toEqual([])
    expectAgreement(c.storages)
    for (const s of c.storages) expect(s.committed.some((b) => b.header.epoch === 2 && b.entries.length === 1 && b.entries[0]!.namespace === 'test/ns')).toBe(true)
  })
})
