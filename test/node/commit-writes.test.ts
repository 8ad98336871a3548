// How a step's commit reaches the store: a certificate the step stores for the block it
// commits goes into the commit's batch and is not written again, and a persist after the
// commit (the vote's safety state) shares its batch, written before the vote leaves.
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import type { Action } from '../../src/consensus/types.ts'
import { blockHash } from '../../src/log/block.ts'
import { encodeEntry } from '../../src/log/entry.ts'
import { leafHash, MerkleAccumulator } from '../../src/log/merkle.ts'
import { MemoryStore } from '../../node/store/index.ts'
import type { CommitBatch, DurableWrite } from '../../node/store/store.ts'
import { CommitSignal } from '../../node/runtime/commit-signal.ts'
import { CommitWriter } from '../../node/runtime/commit-writer.ts'
import { executeActions, type CommitAction } from '../../node/runtime/execute-actions.ts'
import { PendingSubmissions } from '../../node/runtime/pending-submissions.ts'
import { ProposalSightings } from '../../node/runtime/proposal-sightings.ts'
import { ChainBuilder, signCc, signQc, TestAgent, testNet } from '../support/chain-builder.ts'

const net = testNet(4, 'commit-writes')

function chainOf(blocks: number): ChainBuilder {
  const chain = new ChainBuilder(net)
  const agent = new TestAgent('writer')
  for (let h = 0; h < blocks; h++) chain.add([agent.entry(net.genesis.chainId, 'team/plans', { h })], true)
  return chain
}

/** The commit action of the chain's blocks [from, to), without a certificate. */
function commitAction(chain: ChainBuilder, from: number, to: number): CommitAction {
  const blocks = chain.items.slice(from, to).map((i) => i.block)
  const log = new MerkleAccumulator()
  for (const item of chain.items.slice(0, to)) for (const e of item.block.entries) log.append(leafHash(encodeEntry(e)))
  return { type: 'commit', blocks, hashes: blocks.map((b) => blockHash(b.header)), qc: null, cc: null, log: log.toState() }
}

/** A store that counts its writes of each kind. */
class CountingStore extends MemoryStore {
  commits: CommitBatch[] = []
  /** The persist each commit carried (undefined: none). */
  commitPersists: (DurableWrite | undefined)[] = []
  persists = 0
  certificateWrites = 0
  override commit(batch: CommitBatch, durable?: DurableWrite): Promise<void> {
    this.commits.push(batch)
    this.commitPersists.push(durable)
    return super.commit(batch, durable)
  }

  override persist(write: DurableWrite): Promise<void> {
    this.persists++
    return super.persist(write)
  }

  /** The head height at each boundary-certificate write (the real store refuses one above
   * the head: out-of-range). */
  boundaryWrites: { height: number, head: number }[] = []
  override saveBoundaryCertificate(height: number): Promise<'stored' | 'kept'> {
    this.boundaryWrites.push({ height, head: this.head.height })
    return Promise.resolve('stored')
  }

  override saveCommitCertificate(cc: Parameters<MemoryStore['saveCommitCertificate']>[0]): Promise<void> {
    this.certificateWrites++
    return super.saveCommitCertificate(cc)
  }
}

function writerOn(store: CountingStore): CommitWriter {
  return new CommitWriter({
    store, logger: pino({ level: 'silent' }), now: () => 0, emit: () => {}, traceHop: () => {},
    pending: new PendingSubmissions({ pendingMax: 10, pendingBytesMax: 1_000_000, supersededMax: 10 }),
    sightings: new ProposalSightings(), commits: new CommitSignal(),
  })
}

/** Runs a step's actions; answers, for each action performed, the store's head height
 * when it ran. */
async function runStep(actions: readonly Action[], store: CountingStore): Promise<{ type: string, head: number }[]> {
  const writer = writerOn(store)
  const performed: { type: string, head: number }[] = []
  await executeActions(actions, {
    persist: (write) => store.persist(write),
    commit: (action, durable) => writer.commit(action, durable),
    perform: async (action) => {
      performed.push({ type: action.type, head: store.head.height })
      if (action.type === 'store-commit-certificate') await writer.storeCertificate(action.cc)
      if (action.type === 'store-boundary-certificate') await writer.storeBoundary(action.height, action.boundary)
    },
  })
  return performed
}

describe('a step that commits a block and stores its certificate', () => {
  it('writes the certificate in the commit batch, once', async () => {
    const chain = chainOf(2)
    const store = new CountingStore()
    await store.open(net.genesis)
    const cc = chain.items[1]!.cc!
    await runStep([commitAction(chain, 0, 2), { type: 'store-commit-certificate', cc }], store)
    expect(store.commits).toHaveLength(1)
    expect(store.commits[0]!.cc).toEqual(cc)
    expect(store.certificateWrites).toBe(0)
    expect((await store.commitCertificate(2))).toEqual(cc)
    await store.close()
  })

  it('writes a commit that carries its certificate once, when the step also hands it over', async () => {
    const chain = chainOf(1)
    const store = new CountingStore()
    await store.open(net.genesis)
    const cc = chain.items[0]!.cc!
    await runStep([{ ...commitAction(chain, 0, 1), cc }, { type: 'store-commit-certificate', cc }], store)
    expect(store.commits).toHaveLength(1)
    expect(store.certificateWrites).toBe(0)
    expect((await store.commitCertificate(1))).toEqual(cc)
    await store.close()
  })

  it('leaves a certificate of another block or height to its own write', async () => {
    const chain = chainOf(2)
    const store = new CountingStore()
    await store.open(net.genesis)
    // Height 1's certificate while the commit ends at height 2: stored apart, after it.
    const lower = chain.items[0]!.cc!
    await runStep([commitAction(chain, 0, 2), { type: 'store-commit-certificate', cc: lower }], store)
    expect(store.commits[0]!.cc).toBeNull()
    expect(store.certificateWrites).toBe(1)
    expect((await store.commitCertificate(1))).toEqual(lower)
    expect(await store.commitCertificate(2)).toBeUndefined()
    // A certificate naming another block at the commit's height is not folded in (the
    // store's own write refuses it: it certifies a block that was not committed).
    const other = chainOf(3)
    const store2 = new CountingStore()
    await store2.open(net.genesis)
    const foreign = signCc(net, other.items[2]!.block.header)
    const mine = commitAction(chain, 0, 2)
    const step = runStep([mine, { type: 'store-commit-certificate', cc: { ...foreign, height: 2 } }], store2)
    await expect(step).rejects.toMatchObject({ code: 'bad-commit' })
    expect(store2.commits[0]!.cc).toBeNull()
    await store.close()
    await store2.close()
  })
})

describe('a step that commits a block and then persists (a vote)', () => {
  const vote = (height: number): Action => ({ type: 'send', to: 1, message: { type: 'vote', round: height, height, block: new Uint8Array(32), commit: null, sig: new Uint8Array(64) } } as unknown as Action)

  it('writes the commit and the persist in one batch, before the vote', async () => {
    const chain = chainOf(3)
    const store = new CountingStore()
    await store.open(net.genesis)
    const next = chain.items[2]!.block
    const performed = await runStep([
      commitAction(chain, 0, 2),
      { type: 'set-timer', kind: 'round', round: 3, delayMs: 1000 },
      { type: 'persist-block', hash: blockHash(next.header), block: next },
      { type: 'persist-safety-state', state: safetyState() },
      vote(3),
    ], store)
    expect(store.commits).toHaveLength(1)
    expect(store.persists).toBe(0)
    expect(store.commitPersists[0]!.blocks!.map((b) => b.block.header.height)).toEqual([3])
    expect(store.commitPersists[0]!.safety).toBeDefined()
    // The vote left once the batch was written.
    expect(performed.find((p) => p.type === 'send')).toEqual({ type: 'send', head: 2 })
    const parts = await store.restoreParts(10)
    expect(parts.pendingBlocks.map((b) => b.header.height)).toEqual([3])
    expect(parts.safety).not.toBeNull()
    await store.close()
  })

  it('boundary certificate handed over while its block\'s commit is held is written after the commit lands', async () => {
    const chain = chainOf(3)
    const store = new CountingStore()
    await store.open(net.genesis)
    const next = chain.items[2]!.block
    const boundary = { cc: chain.items[1]!.cc!, links: [] }
    await runStep([
      commitAction(chain, 0, 2),
      { type: 'store-boundary-certificate', height: 2, boundary },
      { type: 'persist-block', hash: blockHash(next.header), block: next },
      { type: 'persist-safety-state', state: safetyState() },
      vote(3),
    ], store)
    // The commit waited for the persist (one batch); the boundary came before it landed.
    expect(store.commits).toHaveLength(1)
    expect(store.boundaryWrites).toEqual([{ height: 2, head: 2 }])
    await store.close()
  })

  it('writes the commit on its own when the persist after it holds only blocks it commits', async () => {
    const chain = chainOf(2)
    const store = new CountingStore()
    await store.open(net.genesis)
    const own = chain.items[1]!.block
    await runStep([commitAction(chain, 0, 2), { type: 'persist-block', hash: blockHash(own.header), block: own }], store)
    expect(store.commits).toHaveLength(1)
    expect(store.commitPersists[0]).toBeUndefined()
    expect(store.persists).toBe(0)
    expect(store.head.height).toBe(2)
    expect((await store.restoreParts(10)).pendingBlocks).toEqual([])
    await store.close()
  })

  it('writes a persist before the commit apart, and leaves steps with two commits as they were', async () => {
    const chain = chainOf(3)
    const store = new CountingStore()
    await store.open(net.genesis)
    const b3 = chain.items[2]!.block
    await runStep([
      { type: 'persist-safety-state', state: safetyState() },
      commitAction(chain, 0, 1),
      commitAction(chain, 1, 2),
      { type: 'persist-block', hash: blockHash(b3.header), block: b3 },
      vote(3),
    ], store)
    expect(store.commits).toHaveLength(2)
    expect(store.commitPersists).toEqual([undefined, undefined])
    expect(store.persists).toBe(2)
    expect(store.head.height).toBe(2)
    await store.close()
  })
})

function safetyState(): Extract<Action, { type: 'persist-safety-state' }>['state'] {
  const chain = chainOf(1)
  return { lastVotedRound: 1, preferredRound: 0, oneChainRound: 0, highestTimeoutRound: 0, lastVote: null, lastTimeout: null, highQc: signQc(net, chain.head), highTc: null }
}
