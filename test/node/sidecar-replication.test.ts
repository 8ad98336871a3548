// Sidecar replication on four validator nodes in one process (LevelDB stores in a temp
// directory, real libp2p on 127.0.0.1): a sidecar uploaded to one validator reaches the
// others; the erase's commit deletes it from all; a validator that was down during the
// upload pulls it after its restart; a forged sidecar a peer serves is refused by every
// other node, which keeps nothing and penalises that peer. Every node is stopped in
// afterAll and the directory removed.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pino } from 'pino'
import { entryId, type Entry } from '../../src/log/entry.ts'
import { DEFAULT_PARAMS, type Genesis } from '../../src/log/genesis.ts'
import type { Sidecar, SidecarLookup } from '../../src/sealed/sidecar.ts'
import { ValidatorBackend } from '../../node/runtime/backend.ts'
import { ValidatorNode, type NodeEvent } from '../../node/runtime/validator-node.ts'
import { LevelStore } from '../../node/store/index.ts'
import { freePorts } from '../../devnet/free-ports.ts'
import { TestAgent, testNet } from '../support/chain-builder.ts'
import { eraseEntry, sealedEntry, sealFixture, type SealedFixture } from '../support/sealed-entries.ts'

/** Bound on every wait: replication takes a pull delay (1 s) and a round trip. */
const WAIT_MS_MAX = 20_000

async function waitFor(what: string, condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT_MS_MAX
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not in ${WAIT_MS_MAX} ms: ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe('sidecar replication between validators', () => {
  let dir: string
  let genesis: Genesis
  let seeds: readonly Uint8Array[]
  const nodes: (ValidatorNode | null)[] = []
  const events: { node: number, event: NodeEvent }[] = []
  const agent = new TestAgent('sidecar-replication')

  const startNode = async (i: number): Promise<ValidatorNode> => {
    const node = new ValidatorNode(
      { genesis, seed: seeds[i]!, listen: genesis.validators[i]!.addresses },
      { store: new LevelStore(join(dir, `node-${i}`)), logger: pino({ level: 'silent' }) },
    )
    node.onEvent((event) => events.push({ node: i, event }))
    nodes[i] = node
    await node.start()
    return node
  }
  const live = (): ValidatorNode[] => nodes.filter((n): n is ValidatorNode => n !== null && n.running)
  const held = (i: number, entry: Entry): Promise<SidecarLookup> => nodes[i]!.store.sidecar(entryId(entry))
  const sidecarOf = (f: SealedFixture, withKey = true): Sidecar => ({ blob: f.blob, key: withKey ? f.key : null })

  async function commit(entry: Entry): Promise<void> {
    expect(await live()[0]!.submit([entry])).toEqual([null])
    await waitFor('the entry commits on every running node', async () => {
      const found = await Promise.all(live().map((n) => n.store.entryById(entryId(entry))))
      return found.every((f) => f !== undefined)
    })
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'synod-sidecar-replication-'))
    const ports = await freePorts(4)
    const net = testNet(4, 'sidecar-replication-test')
    genesis = {
      ...net.genesis,
      params: { ...DEFAULT_PARAMS, roundTimeoutMs: 500 },
      validators: net.genesis.validators.map((v, i) => ({ ...v, addresses: [`/ip4/127.0.0.1/tcp/${ports[i]}`] })),
    }
    seeds = net.validatorSeeds
    await Promise.all([0, 1, 2, 3].map((i) => startNode(i)))
  }, 60_000)

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n?.stop()))
    rmSync(dir, { recursive: true, force: true })
  }, 60_000)

  it('a sidecar uploaded to one validator is read from another; its erase deletes it from all', async () => {
    const f = sealFixture('replication/1', JSON.stringify({ note: 'uploaded to one node' }))
    const sealed = sealedEntry(agent, genesis.chainId, 'clinic/notes', f)
    await commit(sealed)
    // The upload path of PUT /v1/sealed/:id after its checks: the backend's put.
    const backend = new ValidatorBackend(nodes[0]!)
    const uploaded = performance.now()
    expect(await backend.sidecars.put(entryId(sealed), sidecarOf(f), AbortSignal.timeout(5000))).toBe('stored')
    await waitFor('every validator holds the sidecar', async () => (await Promise.all([1, 2, 3].map((i) => held(i, sealed)))).every((h) => h.status === 'stored'))
    console.log(`an upload to validator 0 was on all four within ${(performance.now() - uploaded).toFixed(0)} ms (polled every 50 ms)`)
    const onC = await new ValidatorBackend(nodes[2]!).sidecars.get(entryId(sealed), AbortSignal.timeout(5000))
    expect(onC).toEqual({ status: 'stored', sidecar: { blob: f.blob, key: f.key } })
    // Pulled from a peer (the count follows the store's write by a moment).
    await waitFor('validator 2 counts the pull', async () => nodes[2]!.sidecarReplication!.stats.stored >= 1)

    const erase = eraseEntry(agent, genesis.chainId, 'clinic/notes', sealed, 'retention expired')
    await commit(erase)
    for (const i of [0, 1, 2, 3]) expect(await held(i, sealed)).toEqual({ status: 'erased', erase: entryId(erase), expiredAt: null })
    // Nobody serves it again: an announcement of it now is ignored everywhere.
    nodes[0]!.sidecarReplication!.announce(entryId(sealed), true)
    await new Promise((r) => setTimeout(r, 500))
    for (const i of [0, 1, 2, 3]) expect((await held(i, sealed)).status).toBe('erased')
  }, 60_000)

  it('a validator down during the upload pulls the sidecar after its restart', async () => {
    const f = sealFixture('replication/2', JSON.stringify({ note: 'uploaded while a validator was down' }))
    const sealed = sealedEntry(agent, genesis.chainId, 'clinic/notes', f)
    // Committed on all four (so no commit after the restart brings it), then 3 goes down.
    await commit(sealed)
    await nodes[3]!.stop()
    expect(await nodes[1]!.keepSidecar(entryId(sealed), sidecarOf(f, false))).toBe('stored')
    // And one committed while it is down, uploaded to another validator.
    const g = sealFixture('replication/2b', JSON.stringify({ note: 'committed while a validator was down' }))
    const later = sealedEntry(agent, genesis.chainId, 'clinic/notes', g)
    await commit(later)
    expect(await nodes[2]!.keepSidecar(entryId(later), sidecarOf(g))).toBe('stored')
    await waitFor('the running validators hold both sidecars', async () =>
      (await Promise.all([0, 1, 2].flatMap((i) => [held(i, sealed), held(i, later)]))).every((h) => h.status === 'stored'))
    // Back with the same store: the wanted index says what it lacks, and its catch-up
    // commits the later entry (marked wanted then).
    const restarted = await startNode(3)
    await waitFor('the restarted validator holds both sidecars', async () =>
      (await restarted.store.sidecar(entryId(sealed))).status === 'stored' && (await restarted.store.sidecar(entryId(later))).status === 'stored')
    expect(await restarted.store.sidecar(entryId(sealed))).toEqual({ status: 'stored', sidecar: { blob: f.blob, key: null } })
    expect(await restarted.store.sidecar(entryId(later))).toEqual({ status: 'stored', sidecar: { blob: g.blob, key: g.key } })
    expect(await restarted.store.wantedSidecars(null, 100)).toEqual([])
    // The writer deposits the key later, with one validator: it completes every copy.
    expect(await nodes[0]!.keepSidecar(entryId(sealed), sidecarOf(f))).toBe('stored')
    await waitFor('every validator holds the key too', async () =>
      (await Promise.all([0, 1, 2, 3].map((i) => held(i, sealed)))).every((h) => h.status === 'stored' && h.sidecar.key !== null))
  }, 60_000)

  it('a forged sidecar served by a peer is refused by every other node: nothing is kept, the peer is penalised', async () => {
    const f = sealFixture('replication/3', JSON.stringify({ note: 'the real one' }))
    const sealed = sealedEntry(agent, genesis.chainId, 'clinic/notes', f)
    await commit(sealed)
    // Validator 1 is Byzantine: it holds a blob of the right size that is not the committed
    // one (written under the upload's checks), and announces it.
    const forged = new Uint8Array(f.blob)
    forged[20] = forged[20]! ^ 0xff
    expect(await nodes[1]!.store.putSidecar(entryId(sealed), { blob: forged, key: null })).toBe('stored')
    const before = events.length
    nodes[1]!.sidecarReplication!.announce(entryId(sealed), false)
    await waitFor('every other node refused the forged sidecar', async () =>
      [0, 2, 3].every((i) => (nodes[i]!.sidecarReplication!.stats.rejected.get('sidecar-blob-commitment') ?? 0) >= 1))
    for (const i of [0, 2, 3]) expect((await held(i, sealed)).status).toBe('missing')
    const penalties = events.slice(before).filter((e) => e.event.type === 'rejected' && e.event.from === 1 && e.event.cause === 'invalid')
    expect(new Set(penalties.map((e) => e.node))).toEqual(new Set([0, 2, 3]))
    // Still wanted: the genuine sidecar, uploaded to one honest node, reaches the others.
    for (const i of [0, 2, 3]) expect((await nodes[i]!.store.wantedSidecars(null, 100)).map((id) => id.join())).toContain(entryId(sealed).join())
    expect(await nodes[2]!.keepSidecar(entryId(sealed), sidecarOf(f))).toBe('stored')
    await waitFor('the honest nodes hold the genuine sidecar', async () => (await Promise.all([0, 3].map((i) => held(i, sealed)))).every((h) => h.status === 'stored'))
    for (const i of [0, 3]) expect(await held(i, sealed)).toEqual({ status: 'stored', sidecar: { blob: f.blob, key: f.key } })
  }, 60_000)
})
