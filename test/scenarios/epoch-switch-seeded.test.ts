// The switch at the boundary under seeded randomness: the shape of
// test/consensus/epoch-switch.test.ts (4 validators, validator 3's key replaced: the old
// key keeps directory index 3, the new one gets index 4 at position 3 of epoch 1's set;
// replicas in `reconfigurations: 'switch'`, messages routed by the validator directory)
// driven in virtual time by
// one seeded PRNG: random delays and reordering, message loss until `FAULTS_STOP_MS`,
// round and sync timers, sync served from each node's simulator storage, a workload of
// entries, and one replica restarted (from its storage) right after it switches. Not the
// full simulator (scenarios/sim/simulator.ts): its nodes, network and checkers address the
// genesis set only (docs/protocol.md, "The replica at the boundary", steps 6 and 8).
// Replay a seed: EPOCH_SWITCH_SEED=<seed> npx vitest run test/scenarios/epoch-switch-seeded.test.ts
// (EPOCH_SWITCH_RUNS=<n>: n seeds from 8100 instead of 30).
import { describe, expect, it } from 'vitest'
import { describe as describeRejection } from '../../src/consensus/rejections.ts'
import { Replica } from '../../src/consensus/replica.ts'
import { serveSyncRequest } from '../../src/consensus/sync.ts'
import type { Action, Event, Message } from '../../src/consensus/types.ts'
import { publicKeyFromSeed } from '../../src/crypto/ed25519.ts'
import { toHex } from '../../src/crypto/hash.ts'
import { blockHash } from '../../src/log/block.ts'
import { signEntry, type Entry } from '../../src/log/entry.ts'
import { approveReconfiguration, reconfigurationPayloadText, setHashOf } from '../../src/log/epochs.ts'
import { bitmapOf } from '../../src/log/signer-bitmap.ts'
import { Prng } from '../../scenarios/sim/prng.ts'
import { SimStorage } from '../../scenarios/sim/storage.ts'
import { DirectoryRouting } from '../consensus/epoch-cluster.ts'
import { AGENT_SEED, CHAIN, entry, makeGenesis, seeds as seedsOf } from '../consensus/fixtures.ts'

const { genesis, seeds } = makeGenesis(4, { roundTimeoutMs: 400, roundTimeoutMaxMs: 3000, backoffPercent: 150, proposalDelayMs: 5 })
const newSeed = seedsOf(5)[4]!
const newValidators = [...genesis.validators.slice(0, 3), { name: 'v3-new', publicKey: publicKeyFromSeed(newSeed), addresses: [] }]
const OLD3 = 3
const NEW3 = 4
const NODES = 5
const nodeSeeds = [...seeds, newSeed]
const FAULTS_STOP_MS = 3000
const END_MS = 30_000
const ENTRIES = 6

function reconfiguration(seq: number): Entry {
  const statement = { epoch: 1, expires: 1000, previous: setHashOf(genesis.validators), validators: newValidators }
  const sigs = [0, 1, 2].map((i) => approveReconfiguration(seeds[i]!, CHAIN, statement))
  const payload = reconfigurationPayloadText({ epoch: 1, expires: 1000, validators: newValidators, approvals: { signers: bitmapOf([0, 1, 2], 4), sigs } })
  return signEntry({ agent: publicKeyFromSeed(AGENT_SEED), namespace: 'ops/validators', seq, payload, refs: [], idempotencyKey: '' }, CHAIN, AGENT_SEED)
}

/** A message in flight carries its sender's node: `from` is the receiver's directory index
 * of the sender's key when it arrives (DirectoryRouting), or it is dropped. */
type Scheduled = Event | { readonly type: 'deliver', readonly sender: number, readonly message: Message }
interface Pending { at: number, order: number, node: number, generation: number, event: Scheduled }

/** One seeded run; returns what the checks need. */
function run(seed: number) {
  const rng = new Prng(seed)
  const lossRate = rng.float() * 0.1
  const restartNode = rng.pick([0, 1, 2, NEW3])
  const storages = Array.from({ length: NODES }, () => new SimStorage(genesis))
  // The new key is configured with its key alone (its directory index comes with the
  // commit of the reconfiguration that names it).
  const make = (node: number) => new Replica({ genesis, ...(node < 4 ? { validatorIndex: node } : {}), seed: nodeSeeds[node]!, reconfigurations: 'switch' }, storages[node]!.restoredState())
  const replicas = Array.from({ length: NODES }, (_, node) => make(node))
  const routing = new DirectoryRouting(nodeSeeds, () => replicas)
  const generation = Array.from({ length: NODES }, () => 0)
  const sent: Message[][] = replicas.map(() => [])
  const rejected: string[] = []
  let restarted = false
  let order = 0
  const events: Pending[] = []
  const schedule = (at: number, node: number, event: Scheduled) => events.push({ at, order: order++, node, generation: generation[node]!, event })
  const deliver = (now: number, sender: number, to: number | undefined, message: Message) => {
    if (to === undefined || to === sender) return
    if (now < FAULTS_STOP_MS && rng.chance(lossRate)) return
    schedule(now + rng.range(1, 40), to, { type: 'deliver', sender, message })
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
      if (a.type === 'rejected') rejected.push(`node ${node} (epoch ${replicas[node]!.epoch.number}, ${a.messageType} from ${a.from}): ${describeRejection(a.reason)}`)
    }
  }
  for (let node = 0; node < NODES; node++) schedule(0, node, { type: 'start', now: 0 })
  schedule(100, rng.pick([0, 1, 2]), { type: 'submit', now: 0, entries: [reconfiguration(1)] })
  // One agent per entry: no entry can supersede another (seqs are per agent).
  for (let i = 0; i < ENTRIES; i++) schedule(rng.range(200, 6000), rng.pick([0, 1, 2, NEW3]), { type: 'submit', now: 0, entries: [entry(1, new Uint8Array(32).fill(10 + i))] })
  for (let steps = 0; events.length > 0 && steps < 300_000; steps++) {
    events.sort((a, b) => a.at - b.at || a.order - b.order)
    const next = events.shift()!
    if (next.at > END_MS) break
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
    if (!restarted && next.node === restartNode && wasEpoch === 0 && replica.epoch.number === 1) {
      // Right after its switch: crash and restart from what it persisted.
      restarted = true
      generation[next.node]!++
      replicas[next.node] = make(next.node)
      expect(replicas[next.node]!.epoch.number, `seed ${seed}: the restarted node's epoch`).toBe(1)
      apply(next.node, next.at, replicas[next.node]!.step({ type: 'start', now: next.at }))
    }
  }
  return { replicas, storages, sent, rejected, restarted, restartNode }
}

const epochOf = (m: Message): number => m.type === 'proposal' ? m.block.header.epoch ?? 0 : m.type === 'vote' || m.type === 'timeout' ? m.epoch ?? 0 : -1

describe('the switch at the boundary, seeded (one validator replaced)', () => {
  const base = Number(process.env['EPOCH_SWITCH_SEED'] ?? 8100)
  const count = process.env['EPOCH_SWITCH_SEED'] === undefined ? Number(process.env['EPOCH_SWITCH_RUNS'] ?? 30) : 1
  for (let seed = base; seed < base + count; seed++) {
    it(`seed ${seed}: agreement at every height, epoch 1 commits every entry, the old key signs nothing of it, the restarted node resumes in it`, () => {
      console.log(`epoch-switch seeded run: seed ${seed}`)
      const r = run(seed)
      expect(r.restarted, `seed ${seed}`).toBe(true)
      expect(r.rejected.slice(0, 5), `seed ${seed}`).toEqual([])
      const top = Math.max(...r.storages.map((s) => s.committedHeight()))
      for (let h = 1; h <= top; h++) {
        const hashes = new Set(r.storages.flatMap((s) => (s.committedHeight() >= h ? [toHex(blockHash(s.committedHeader(h)!))] : [])))
        expect(hashes.size, `seed ${seed}: height ${h}`).toBe(1)
      }
      for (let node = 0; node < NODES; node++) {
        const s = r.storages[node]!
        expect(r.replicas[node]!.epoch.number, `seed ${seed}: node ${node}`).toBe(1)
        // Every entry committed, those after the reconfiguration in epoch-1 blocks.
        const entries = Array.from({ length: s.committedHeight() }, (_, k) => s.committedBlock(k + 1)!).flatMap((b) => b.entries.map(() => b.header.epoch ?? 0))
        expect(entries.length, `seed ${seed}: node ${node} committed entries`).toBe(1 + ENTRIES)
      }
      expect(r.sent[OLD3]!.filter((m) => epochOf(m) === 1), `seed ${seed}`).toEqual([])
      expect(r.sent[NEW3]!.filter((m) => epochOf(m) === 0), `seed ${seed}`).toEqual([])
    })
  }
})
