// A validator node (validator 0 of 4, memory store, an in-test transport) accepts an
// agent's seq 5 from a client; the others commit the agent's seq 6 first (their leader
// never had seq 5). Seq 5 can never commit: the node must drop it and say so.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pino } from 'pino'
import { encodeMessage } from '../../src/consensus/messages.ts'
import type { Message, ProposalMessage } from '../../src/consensus/types.ts'
import { signDomain } from '../../src/crypto/domain.ts'
import { blockHash, genesisBlock, type Block } from '../../src/log/block.ts'
import { entryId } from '../../src/log/entry.ts'
import { MerkleAccumulator } from '../../src/log/merkle.ts'
import { ValidatorBackend } from '../../node/runtime/backend.ts'
import { ValidatorNode } from '../../node/runtime/validator-node.ts'
import { PendingSubmissions } from '../../node/runtime/pending-submissions.ts'
import { MemoryStore } from '../../node/store/index.ts'
import { emptyTransportStats, type Inspect, type Received, type Transport, type TransportStats } from '../../node/net/transport.ts'
import { CHAIN, child, entry, genesisQc, makeGenesis, qcFor } from '../consensus/fixtures.ts'

const n = 4
const { genesis, seeds } = makeGenesis(n, { roundTimeoutMs: 60_000 })

/** Delivers what the test hands it (through the node's own inspection); sends nowhere. */
class TestTransport implements Transport<Message> {
  readonly selfIndex = 0
  readonly stats: TransportStats = emptyTransportStats()
  readonly #inspect: Inspect<Message>
  readonly #queue: Received<Message>[] = []
  #wake: (() => void) | null = null
  #stopped = false

  constructor(inspect: Inspect<Message>) {
    this.#inspect = inspect
  }

  deliver(from: number, message: Message): void {
    const bytes = encodeMessage(message)
    const verdict = this.#inspect(bytes, from)
    if (verdict.verdict !== 'accept') throw new Error(`the node did not accept the ${message.type}: ${verdict.reason}`)
    this.#queue.push({ from, message: verdict.message, bytes: bytes.length })
    this.#wake?.()
  }

  readonly received: AsyncIterable<Received<Message>> = {
    [Symbol.asyncIterator]: () => ({
      next: async (): Promise<IteratorResult<Received<Message>>> => {
        while (this.#queue.length === 0 && !this.#stopped) await new Promise<void>((resolve) => { this.#wake = resolve })
        const value = this.#queue.shift()
        return value === undefined ? { done: true, value: undefined } : { done: false, value }
      },
    }),
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {
    this.#stopped = true
    this.#wake?.()
  }
  send(): boolean {
    return true
  }
  poll(): Received<Message> | undefined {
    return this.#queue.shift()
  }
  connectedPeers(): number[] {
    return [1, 2, 3]
  }
  listenAddresses(): string[] {
    return []
  }
  penalise(): void {}
  async setPeerAddresses(): Promise<void> {}
}

function proposal(block: Block): ProposalMessage {
  const proposer = block.header.proposer
  return { type: 'proposal', block, sig: signDomain(seeds[proposer]!, 'proposal', CHAIN, { block: blockHash(block.header) }), tc: null, cc: null }
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

describe('a node whose pending entry is superseded', () => {
  let node: ValidatorNode
  let transport: TestTransport
  let backend: ValidatorBackend
  const signal = new AbortController().signal

  beforeAll(async () => {
    node = new ValidatorNode({ genesis, seed: seeds[0]!, listen: [] }, {
      store: new MemoryStore(),
      logger: pino({ level: 'silent' }),
      createTransport: (_options, inspect) => (transport = new TestTransport(inspect)),
    })
    await node.start()
    backend = new ValidatorBackend(node)
  })

  afterAll(async () => {
    await node.stop()
  })

  it('regression: stranded entry — a later seq of the agent committed first, and the earlier entry stayed pending at the node (lookups said pending, receipt waits ran out)', async () => {
    const five = entry(5)
    const id = entryId(five)
    expect(await backend.submitEntry(five, signal)).toMatchObject({ status: 'accepted' })
    expect(await backend.getEntry(id, signal)).toMatchObject({ status: 'pending' })
    const waiting = backend.awaitReceipt(id, 10_000, signal).then((r) => ({ ended: true, receipt: r }))

    // Validators 1-3 commit seq 6 of the same agent: blocks 1-3, block 1 committed by
    // the two-chain rule once block 3 carries the QC of block 2.
    const log = new MerkleAccumulator()
    const b1 = child(genesisBlock(genesis), genesisQc(genesis), 1, [entry(6)], log, n)
    const b2 = child(b1, qcFor(b1.header, seeds, [1, 2, 3], n), 2, [], log, n)
    const b3 = child(b2, qcFor(b2.header, seeds, [1, 2, 3], n), 3, [], log, n)
    for (const b of [b1, b2, b3]) transport.deliver(b.header.proposer, proposal(b))
    await waitFor(() => node.head.height >= 1, 'block 1 committed')

    // The receipt wait ends at once (long before its 10 s) with no receipt...
    const ended = await Promise.race([waiting, new Promise((r) => setTimeout(() => r({ ended: false }), 5_000))])
    expect(ended).toEqual({ ended: true, receipt: null })
    // ... because the node knows the entry can never commit.
    expect(await backend.getEntry(id, signal)).toMatchObject({ status: 'superseded', seq: 5, lastSeq: 6 })
    expect(node.pendingCount).toBe(0)
    expect(node.mempoolSize).toBe(0)
    // A resubmission is refused as final, and so is an older seq the node never saw.
    await expect(backend.submitEntry(five, signal)).rejects.toMatchObject({ name: 'StaleSequenceError', reason: 'committed', seq: 5, lastSeq: 6 })
    await expect(backend.submitEntry(entry(4), signal)).rejects.toMatchObject({ name: 'StaleSequenceError', reason: 'committed', seq: 4, lastSeq: 6 })
    // The committed entry itself is a duplicate, not stale.
    expect(await backend.submitEntry(entry(6), signal)).toMatchObject({ status: 'duplicate' })
  })
})

describe('the stale-seq verdict of a resubmission', () => {
  // The replica says the seq is at or below the agent's committed seq; the store is read
  // for the entry. 'committed' is final (the client signs again), so it is given only
  // when no commit was in flight across the reads.
  function stubNode(replicaHeight: number, storeHeight: number): ValidatorNode {
    const stub = {
      running: true,
      stopping: false,
      committedHeight: replicaHeight,
      hasPending: () => false,
      supersededEntry: () => undefined,
      submit: async () => [{ code: 'entry-seq-committed' }],
      onEvent: () => () => {},
      store: { head: { height: storeHeight, logSize: storeHeight }, entryById: async () => undefined, agentSeq: async () => 6 },
    }
    return stub as unknown as ValidatorNode
  }
  const signal = new AbortController().signal

  it('is final when the store holds what the replica committed', async () => {
    await expect(new ValidatorBackend(stubNode(3, 3)).submitEntry(entry(5), signal)).rejects.toMatchObject({ name: 'StaleSequenceError', reason: 'committed', lastSeq: 6 })
  })

  it('is not final while a commit is being written (the entry may be in it)', async () => {
    await expect(new ValidatorBackend(stubNode(4, 3)).submitEntry(entry(5), signal)).rejects.toMatchObject({ name: 'StaleSequenceError', reason: 'pending' })
  })
})

describe('pending submissions', () => {
  const other = new Uint8Array(32).fill(7)
  const hex = (e: ReturnType<typeof entry>): string => Buffer.from(entryId(e)).toString('hex')

  it('a commit removes its entries and supersedes the lower seqs of its agents only', () => {
    const pending = new PendingSubmissions({ pendingMax: 100, supersededMax: 100 })
    for (const e of [entry(3), entry(5), entry(8), entry(4, other)]) pending.note(e, 10)
    const block = [entry(5), entry(2, other)]
    const outcome = pending.commit(block, block.map(hex), 25)
    expect(outcome.latenciesMs).toEqual([15])
    expect(outcome.superseded).toEqual([hex(entry(3))])
    expect(pending.superseded(hex(entry(3)))).toEqual({ seq: 3, lastSeq: 5 })
    expect(pending.has(hex(entry(8)))).toBe(true)
    // The other agent's seq 4 is above its committed 2: still pending.
    expect(pending.has(hex(entry(4, other)))).toBe(true)
    expect(pending.size).toBe(2)
  })

  it('stays within its bounds, oldest first', () => {
    const pending = new PendingSubmissions({ pendingMax: 2, supersededMax: 1 })
    for (const s of [1, 2, 3]) pending.note(entry(s), 0)
    expect(pending.size).toBe(2)
    expect(pending.has(hex(entry(1)))).toBe(false)
    const block = [entry(9)]
    expect(pending.commit(block, block.map(hex), 0).superseded).toEqual([hex(entry(2)), hex(entry(3))])
    expect(pending.supersededCount).toBe(1)
    expect(pending.superseded(hex(entry(3)))).toEqual({ seq: 3, lastSeq: 9 })
    expect(pending.size).toBe(0)
    expect(() => new PendingSubmissions({ pendingMax: 0, supersededMax: 1 })).toThrow(RangeError)
  })
})
