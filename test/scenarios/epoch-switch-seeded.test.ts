// The switch at the boundary under seeded randomness, in three shapes of
// test/consensus/epoch-switch.test.ts (replicas in `reconfigurations: 'switch'`, messages
// routed by the validator directory: docs/protocol.md, "The replica at the boundary",
// step 6):
//  - replace: 4 validators, validator 3's key replaced (the old key keeps directory index
//    3, the new one gets index 4 at position 3 of epoch 1's set);
//  - join: 4 -> 5, a new key (directory index 4) that starts from the genesis with its key
//    alone, syncs, and joins at the boundary;
//  - join-leave: 4 -> 5 as in join, then 5 -> 4 (validator 3 leaves; its messages of the
//    last epoch are refused with sender-not-in-epoch).
// Each run is driven in virtual time by one seeded PRNG: random delays and reordering,
// message loss until `FAULTS_STOP_MS`, round and sync timers, sync served from each node's
// simulator storage, a workload of entries, and one replica restarted (from its storage)
// right after its last switch. Not the full simulator (scenarios/sim/simulator.ts): its
// nodes, network and checkers run the default 'refuse' (steps 8 on).
// Replay a seed: EPOCH_SWITCH_SEED=<seed> npx vitest run test/scenarios/epoch-switch-seeded.test.ts
// (EPOCH_SWITCH_RUNS=<n>: n seeds from 8100 instead of 30, for each shape;
// EPOCH_SWITCH_SHAPE=<shape>: that shape only).
import { describe, expect, it } from 'vitest'
import { describe as describeRejection, type Rejection } from '../../src/consensus/rejections.ts'
import { Replica } from '../../src/consensus/replica.ts'
import { serveSyncRequest } from '../../src/consensus/sync.ts'
import type { Action, Event, Message } from '../../src/consensus/types.ts'
import { toHex } from '../../src/crypto/hash.ts'
import { blockHash } from '../../src/log/block.ts'
import type { Entry } from '../../src/log/entry.ts'
import type { ValidatorInfo } from '../../src/log/validator-set.ts'
import { Prng } from '../../scenarios/sim/prng.ts'
import { SimStorage } from '../../scenarios/sim/storage.ts'
import { DirectoryRouting, reconfigurationEntry, signerCount, validatorOf } from '../consensus/epoch-cluster.ts'
import { entry, makeGenesis, seeds as seedsOf } from '../consensus/fixtures.ts'

const { genesis, seeds } = makeGenesis(4, { roundTimeoutMs: 400, roundTimeoutMaxMs: 3000, backoffPercent: 150, proposalDelayMs: 5 })
/** Node 4's key: the replacement of validator 3's (replace) or a validator of its own (join). */
const newSeed = seedsOf(5)[4]!
const NODES = 5
const nodeSeeds = [...seeds, newSeed]
const FAULTS_STOP_MS = 3000
/** Entries of the workload, each of an agent of its own (no entry can supersede another). */
const ENTRIES = 6
/** Submits the reconfigurations (its seqs are its own). */
const GOVERNOR_SEED = new Uint8Array(32).fill(98)

interface Shape {
  readonly name: 'replace' | 'join' | 'join-leave'
  /** The set of each epoch from 1 on, and who approves its reconfiguration (positions in
   * the set before, with the node holding each). */
  readonly epochs: readonly { readonly set: readonly ValidatorInfo[], readonly approvers: readonly { position: number, node: number }[] }[]
  /** The node that leaves the last epoch's set (its later messages are refused), if any. */
  readonly leaver: number | null
  /** Nodes the workload submits to: members of the last epoch. */
  readonly clients: readonly number[]
  readonly endMs: number
}

const v = genesis.validators
const v4 = validatorOf('v4', newSeed)
const SHAPES: readonly Shape[] = [
  { name: 'replace', epochs: [{ set: [v[0]!, v[1]!, v[2]!, { ...v4, name: 'v3-new' }], approvers: [0, 1, 2].map((p) => ({ position: p, node: p })) }], leaver: 3, clients: [0, 1, 2, 4], endMs: 30_000 },
  { name: 'join', epochs: [{ set: [...v, v4], approvers: [0, 1, 2].map((p) => ({ position: p, node: p })) }], leaver: null, clients: [0, 1, 2, 3, 4], endMs: 30_000 },
  {
    name: 'join-leave',
    epochs: [
      { set: [...v, v4], approvers: [0, 1, 2].map((p) => ({ position: p, node: p })) },
      { set: [v[0]!, v[1]!, v[2]!, v4], approvers: [0, 1, 2, 4].map((p) => ({ position: p, node: p })) },
    ],
    leaver: 3, clients: [0, 1, 2, 4], endMs: 45_000,
  },
]

function reconfiguration(shape: Shape, epoch: number): Entry {
  const previous = epoch === 1 ? genesis.validators : shape.epochs[epoch - 2]!.set
  const { set, approvers } = shape.epochs[epoch - 1]!
  return reconfigurationEntry(epoch, epoch, previous, set, approvers.map((a) => ({ position: a.position, seed: nodeSeeds[a.node]! })), GOVERNOR_SEED)
}

/** A message in flight carries its sender's node: `from` is the receiver's directory index
 * of the sender's key when it arrives (DirectoryRouting), or it is dropped. */
type Scheduled = Event | { readonly type: 'deliver', readonly sender: number, readonly message: Message }
interface Pending { at: number, order: number, node: number, generation: number, event: Scheduled }

/** One seeded run; returns what the checks need. */
function run(shape: Shape, seed: number) {
  const rng = new Prng(seed)
  const lastEpoch = shape.epochs.length
  const lossRate = rng.float() * 0.1
  const restartNode = rng.pick(shape.clients)
  const storages = Array.from({ length: NODES }, () => new SimStorage(genesis))
  // Node 4 is configured with its key alone (its directory index comes with the commit of
  // the reconfiguration that names it).
  const make = (node: number) => new Replica({ genesis, ...(node < 4 ? { validatorIndex: node } : {}), seed: nodeSeeds[node]!, reconfigurations: 'switch' }, storages[node]!.restoredState())
  const replicas = Array.from({ length: NODES }, (_, node) => make(node))
  const routing = new DirectoryRouting(nodeSeeds, () => replicas)
  const generation = Array.from({ length: NODES }, () => 0)
  const sent: Message[][] = replicas.map(() => [])
  const rejected: { node: number, from: number, messageType: string, reason: Rejection, text: string }[] = []
  let restarted = false
  let submitted = 0
  let order = 0
  const events: Pending[] = []
  const schedule = (at: number, node: number, event: Scheduled) => events.push({ at, order: order++, node, generation: generation[node]!, event })
  const deliver = (now: number, sender: number, to: number | undefined, message: Message) => {
    if (to === undefined || to === sender) return
    if (now < FAULTS_STOP_MS && rng.chance(lossRate)) return
    schedule(now + rng.range(1, 40), to, { type: 'deliver', sender, message })
  }
  const submit = (at: number, node: number, entries: Entry[]) => {
    submitted += entries.length
    schedule(at, node, { type: 'submit', now: 0, entries })
  }
  const apply = (node: number, now: number, actions: Action[]) => {
    const s = storages[node]!
    for (const a of actions) {
      if (a.type === 'send') {
        sent[node]!.push(a.message)
        deliver(now, node, routing.nodeOf(node, a.to), a.message)
      }
      if (a.type === 'broadcast') {
        sent[node]!.push(a.message)
        for (const to of routing.broadcastTargets(node)) deliver(now, node, to, a.message)
      }
      if (a.type === 'set-timer') schedule(now + a.delayMs, node, { type: 'timer', now: 0, kind: a.kind, round: a.round })
      if (a.type === 'serve-sync') {
        const response = serveSyncRequest(a.request, s)
        if (response !== null) deliver(now, node, routing.nodeOf(node, a.to), response)
      }
      if (a.type === 'commit') {
        a.blocks.forEach((b, i) => s.appendCommitted(b, toHex(a.hashes[i]!)))
        s.commitHead(a.log, a.qc, a.cc)
      }
      if (a.type === 'persist-block') s.blocks.set(toHex(a.hash), a.block)
      if (a.type === 'persist-safety-state') s.safety = a.state
      if (a.type === 'store-commit-certificate') s.storeCommitCertificate(a.cc)
      if (a.type === 'store-boundary-certificate') s.storeBoundaryCertificate(a.height, a.boundary)
      if (a.type === 'rejected') {
        rejected.push({ node, from: a.from, messageType: a.messageType, reason: a.reason, text: `node ${node} (epoch ${replicas[node]!.epoch.number}, ${a.messageType} from ${a.from}): ${describeRejection(a.reason)}` })
      }
    }
  }
  for (let node = 0; node < NODES; node++) schedule(0, node, { type: 'start', now: 0 })
  submit(100, rng.pick([0, 1, 2]), [reconfiguration(shape, 1)])
  for (let i = 0; i < ENTRIES; i++) submit(rng.range(200, 6000), rng.pick(shape.clients), [entry(1, new Uint8Array(32).fill(10 + i))])
  // Each later reconfiguration goes to a member of the epoch before once it is in that
  // epoch (before, it would be an ordinary entry there: an epoch's reconfiguration names
  // the next epoch), with more entries after it.
  let nextReconfiguration = 2
  for (let steps = 0; events.length > 0 && steps < 400_000; steps++) {
    events.sort((a, b) => a.at - b.at || a.order - b.order)
    const next = events.shift()!
    if (next.at > shape.endMs) break
    // Timers and messages in flight to an instance that was restarted are gone with it;
    // the workload's submissions go to whichever instance runs then.
    if (next.event.type !== 'submit' && next.generation !== generation[next.node]) continue
    const replica = replicas[next.node]!
    const wasEpoch = replica.epoch.number
    let event: Event
    if (next.event.type === 'deliver') {
      const from = routing.fromAt(next.node, next.event.sender)
      if (from === undefined) continue
      event = { type: 'message', now: next.at, from, message: next.event.message }
    } else {
      event = { ...next.event, now: next.at }
    }
    apply(next.node, next.at, replica.step(event))
    const epoch = replica.epoch.number
    if (nextReconfiguration <= lastEpoch && epoch === nextReconfiguration - 1 && replica.position >= 0 && shape.clients.includes(next.node) && wasEpoch < epoch) {
      submit(next.at + rng.range(0, 500), next.node, [reconfiguration(shape, nextReconfiguration)])
      for (let i = 0; i < ENTRIES; i++) submit(next.at + rng.range(600, 8000), rng.pick(shape.clients), [entry(1, new Uint8Array(32).fill(40 + 10 * nextReconfiguration + i))])
      nextReconfiguration++
    }
    if (!restarted && next.node === restartNode && wasEpoch === lastEpoch - 1 && epoch === lastEpoch) {
      // Right after its last switch: crash and restart from what it persisted.
      restarted = true
      generation[next.node]!++
      replicas[next.node] = make(next.node)
      expect(replicas[next.node]!.epoch.number, `seed ${seed}: the restarted node's epoch`).toBe(lastEpoch)
      apply(next.node, next.at, replicas[next.node]!.step({ type: 'start', now: next.at }))
    }
  }
  return { replicas, storages, sent, rejected, restarted, restartNode, submitted }
}

const epochOf = (m: Message): number => m.type === 'proposal' ? m.block.header.epoch ?? 0 : m.type === 'vote' || m.type === 'timeout' ? m.epoch ?? 0 : -1

/** One seeded run of `shape` and every check of it. */
function checkRun(shape: Shape, seed: number): void {
  const lastEpoch = shape.epochs.length
  /** The quorum of each epoch's set: 3 of the genesis 4, then each set's. */
  const quorums = [3, ...shape.epochs.map((e) => (e.set.length === 5 ? 4 : 3))]
  console.log(`epoch-switch seeded run (${shape.name}): seed ${seed}`)
  const r = run(shape, seed)
  expect(r.restarted, `seed ${seed}`).toBe(true)
  // The only refusals: a leaver's messages after the boundary (entries it forwarded
  // from its pool while still in the epoch before), by their sender.
  const refused = r.rejected.filter((x) => !(shape.leaver !== null && x.from === shape.leaver && x.reason.code === 'sender-not-in-epoch'))
  expect(refused.map((x) => x.text).slice(0, 5), `seed ${seed}`).toEqual([])
  const top = Math.max(...r.storages.map((s) => s.committedHeight()))
  for (let h = 1; h <= top; h++) {
    const hashes = new Set(r.storages.flatMap((s) => (s.committedHeight() >= h ? [toHex(blockHash(s.committedHeader(h)!))] : [])))
    expect(hashes.size, `seed ${seed}: height ${h}`).toBe(1)
  }
  for (let node = 0; node < NODES; node++) {
    const s = r.storages[node]!
    const replica = r.replicas[node]!
    expect(replica.epoch.number, `seed ${seed}: node ${node}`).toBe(lastEpoch)
    expect(replica.set.quorum, `seed ${seed}: node ${node}`).toBe(quorums[lastEpoch])
    expect(replica.directory.size, `seed ${seed}: node ${node}`).toBe(5)
    expect(replica.index, `seed ${seed}: node ${node}`).toBe(node)
    // Every entry committed (the reconfigurations among them).
    const committed = Array.from({ length: s.committedHeight() }, (_, k) => s.committedBlock(k + 1)!)
    expect(committed.reduce((sum, b) => sum + b.entries.length, 0), `seed ${seed}: node ${node} committed entries`).toBe(r.submitted)
  }
  // Each epoch's certificates: a justify QC certifies its parent, of the parent's epoch.
  const s0 = r.storages[0]!
  for (let h = 2; h <= s0.committedHeight(); h++) {
    const parentEpoch = s0.committedHeader(h - 1)!.epoch ?? 0
    expect(signerCount(s0.committedHeader(h)!.justify.signers), `seed ${seed}: height ${h}`).toBeGreaterThanOrEqual(quorums[parentEpoch]!)
  }
  for (let e = 1; e <= lastEpoch; e++) expect(Array.from({ length: s0.committedHeight() }, (_, k) => s0.committedHeader(k + 1)!.epoch ?? 0).some((x) => x === e), `seed ${seed}: epoch ${e} commits`).toBe(true)
  if (shape.leaver !== null) {
    // The leaver signed nothing of the epoch it is not in; its messages of that
    // epoch are refused by their sender (a proposal of it relayed by the leaver).
    expect(r.sent[shape.leaver]!.filter((m) => epochOf(m) === lastEpoch), `seed ${seed}`).toEqual([])
    const proposal = r.sent.flat().find((m) => m.type === 'proposal' && epochOf(m) === lastEpoch)!
    const out = r.replicas[0]!.step({ type: 'message', now: shape.endMs, from: shape.leaver, message: proposal })
    expect(out.filter((a) => a.type === 'rejected').map((a) => (a as Extract<Action, { type: 'rejected' }>).reason), `seed ${seed}`)
      .toEqual([{ code: 'sender-not-in-epoch', sender: shape.leaver, epoch: lastEpoch }])
  }
  if (shape.name !== 'replace') expect(r.sent[4]!.some((m) => m.type === 'vote' && epochOf(m) >= 1), `seed ${seed}: the joiner votes`).toBe(true)
  expect(r.sent[4]!.filter((m) => epochOf(m) === 0), `seed ${seed}`).toEqual([])
}

const shapeNamed = (name: Shape['name']): Shape => SHAPES.find((x) => x.name === name)!

for (const shape of SHAPES) {
  if (process.env['EPOCH_SWITCH_SHAPE'] !== undefined && process.env['EPOCH_SWITCH_SHAPE'] !== shape.name) continue
  describe(`the switch at the boundary, seeded (${shape.name})`, () => {
    const base = Number(process.env['EPOCH_SWITCH_SEED'] ?? 8100)
    const count = process.env['EPOCH_SWITCH_SEED'] === undefined ? Number(process.env['EPOCH_SWITCH_RUNS'] ?? 30) : 1
    for (let seed = base; seed < base + count; seed++) {
      it(`seed ${seed}: agreement at every height, every entry committed, each epoch's quorum, the leaver refused, the restarted node resumes`, () => checkRun(shape, seed))
    }
  })
}

describe('the switch at the boundary, seeded regressions', () => {
  it('a joiner behind the boundary, whose peers pruned the suffix, takes the certificate\'s block from the boundary sync-info\'s links (join-leave, seed 8244)', () => {
    checkRun(shapeNamed('join-leave'), 8244)
  })
  it('entries a joining validator held before it was a member are forwarded at its switch, so a restart right after it loses none (replace, seed 8173)', () => {
    checkRun(shapeNamed('replace'), 8173)
  })
})
