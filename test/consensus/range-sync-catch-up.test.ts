import { describe, expect, it } from 'vitest'
import { describe as describeRejection } from '../../src/consensus/rejections.ts'
import { Replica } from '../../src/consensus/replica.ts'
import { serveSyncRequest, type SyncStore } from '../../src/consensus/sync.ts'
import type { Action, Event, Message, RangeRequest, RangeResponse } from '../../src/consensus/types.ts'
import { blockHash, encodedBlockLength, type Block } from '../../src/log/block.ts'
import type { CommitCertificate } from '../../src/log/certificates.ts'
import { ChainBuilder, signCc, signQc, TestAgent, testNet } from '../support/chain-builder.ts'

// Catching up by height range when responses end at blocks without a commit
// certificate (issue 11, defect 2), when peers are behind or silent (defect 3), and on
// an idle chain (defect 10).

const net = testNet(4, 'range-catch-up-test')
const SYNCING = 3
const HEIGHTS = 30
/** A commit certificate is stored every this many heights only. */
const CC_EVERY = 5

interface Chain {
  readonly blocks: Block[]
  readonly ccs: (CommitCertificate | undefined)[]
}

function buildChain(heights = HEIGHTS, ccEvery = CC_EVERY): Chain {
  const chain = new ChainBuilder(net)
  const agent = new TestAgent('range-catch-up')
  for (let h = 1; h <= heights; h++) chain.add([agent.entry(net.genesis.chainId, 'test/sync', { h, pad: 'x'.repeat(200) })], h % ccEvery === 0 || h === heights)
  return { blocks: chain.items.map((i) => i.block), ccs: chain.items.map((i) => i.cc ?? undefined) }
}

function buildChainCc(chain: Chain, height: number): CommitCertificate {
  return signCc(net, chain.blocks[height - 1]!.header)
}

/** A store that holds the chain up to `height`. */
function storeOf(chain: Chain, height = chain.blocks.length): SyncStore {
  return {
    blockByHash: (hash) => chain.blocks.slice(0, height).find((b) => blockHash(b.header).every((x, i) => x === hash[i])),
    committedBlock: (h) => (h <= height ? chain.blocks[h - 1] : undefined),
    committedHeader: (h) => (h <= height ? chain.blocks[h - 1]?.header : undefined),
    commitCertificate: (h) => (h <= height ? chain.ccs[h - 1] : undefined),
    committedHeight: () => height,
  }
}

function sends(actions: readonly Action[], type: Message['type']): { to: number, message: Message }[] {
  return actions.flatMap((a) => (a.type === 'send' && a.message.type === type ? [{ to: a.to, message: a.message }] : []))
}

function rejections(actions: readonly Action[]): string[] {
  return actions.flatMap((a) => (a.type === 'rejected' ? [describeRejection(a.reason)] : []))
}

/** A replica, with every action it returned kept in order. */
class Driven {
  readonly replica: Replica
  readonly log: Action[] = []
  constructor(limits = {}) {
    this.replica = new Replica({ genesis: net.genesis, validatorIndex: SYNCING, seed: net.validatorSeeds[SYNCING]!, limits })
    this.step({ type: 'start', now: 0 })
  }
  step(event: Event): Action[] {
    const actions = this.replica.step(event)
    this.log.push(...actions)
    return actions
  }
  message(from: number, message: Message, now = 0): Action[] {
    return this.step({ type: 'message', now, from, message })
  }
  /** The armed sync timer: its token and delay. */
  syncTimer(): { token: number, delayMs: number } {
    for (let i = this.log.length - 1; i >= 0; i--) {
      const a = this.log[i]!
      if (a.type === 'set-timer' && a.kind === 'sync') return { token: a.round, delayMs: a.delayMs }
    }
    throw new Error('no sync timer armed')
  }
  fireSyncTimer(now = 0): Action[] {
    return this.step({ type: 'timer', now, kind: 'sync', round: this.syncTimer().token })
  }
  /** Tells the replica (as `from`) that the chain is certified up to its last block. */
  tell(chain: Chain, from = 0): Action[] {
    const last = chain.blocks[chain.blocks.length - 1]!
    return this.message(from, { type: 'sync-info', highQc: signQc(net, last.header), highTc: null, highCc: chain.ccs[chain.blocks.length - 1]! })
  }
}

/** Answers every range request from `stores[to]` until none is left (bounded). */
function serveAll(d: Driven, first: readonly Action[], stores: readonly (SyncStore | null)[], bytesMax?: number): number {
  const pending = sends(first, 'range-request')
  let served = 0
  for (let i = 0; i < 200 && pending.length > 0; i++) {
    const { to, message } = pending.shift()!
    const store = stores[to]
    if (store === null || store === undefined) continue
    const response = serveSyncRequest(message as RangeRequest, store, bytesMax)
    served++
    if (response === null) continue
    const actions = d.message(to, response)
    expect(rejections(actions)).toEqual([])
    pending.push(...sends(actions, 'range-request'))
  }
  return served
}

describe('range sync catch-up', () => {
  it('regression: catch-up across blocks bigger than the response budget finishes (responses link their last block to a certificate)', () => {
    const chain = buildChain()
    const store = storeOf(chain)
    // One block per response: each block is over the budget, and only every fifth has a certificate.
    const bytesMax = encodedBlockLength(chain.blocks[0]!) - 1
    const response = serveSyncRequest({ type: 'range-request', fromHeight: 1, toHeight: 10 }, store, bytesMax) as RangeResponse
    expect(response.type).toBe('range-response')
    expect(response.blocks).toHaveLength(1)
    expect(response.links.map((h) => h.height)).toEqual([2, 3, 4, 5])
    expect(response.cc?.height).toBe(5)
    const d = new Driven({ syncBlocksMax: 8 })
    const served = serveAll(d, d.tell(chain), [store, store, store, null], bytesMax)
    expect(d.replica.committedHeight).toBe(HEIGHTS)
    expect(served).toBe(HEIGHTS)
    expect(d.replica.fetching).toBe(false)
  })

  it('without a certificate within reach, a response ends at its last certified block', () => {
    const chain = buildChain(50, 100) // only the last height has a certificate
    const store = storeOf(chain)
    const response = serveSyncRequest({ type: 'range-request', fromHeight: 1, toHeight: 4 }, store) as RangeResponse
    // 46 linking headers would be needed to reach height 50: beyond the bound of 32,
    // so the blocks go uncertified (the requester verifies them through their QCs).
    expect(response.blocks.map((b) => b.header.height)).toEqual([1, 2, 3, 4])
    expect(response.cc).toBeNull()
    expect(response.links).toEqual([])
    const linked = serveSyncRequest({ type: 'range-request', fromHeight: 1, toHeight: 20 }, store) as RangeResponse
    expect(linked.cc?.height).toBe(50)
    expect(linked.links).toHaveLength(30)
    // With a certificate at 10 but none within reach after 12, the response ends at 10.
    const sparse: Chain = { blocks: chain.blocks, ccs: chain.ccs.map((cc, i) => (i === 9 ? buildChainCc(chain, 10) : cc)) }
    const ended = serveSyncRequest({ type: 'range-request', fromHeight: 1, toHeight: 12 }, storeOf(sparse)) as RangeResponse
    expect(ended.blocks.map((b) => b.header.height)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    expect(ended.cc?.height).toBe(10)
  })

  it('regression: keeps and commits the verified prefix of a certified response whose later block is forged', () => {
    const chain = buildChain()
    const store = storeOf(chain)
    const d = new Driven({ syncBlocksMax: 10 })
    const request = sends(d.tell(chain), 'range-request')[0]!
    const truth = serveSyncRequest(request.message as RangeRequest, store) as RangeResponse
    expect(truth.blocks).toHaveLength(10)
    const impostor = new TestAgent('impostor')
    const blocks = truth.blocks.map((b, i) => (i === 6 ? { header: b.header, entries: [impostor.entry(net.genesis.chainId, 'test/sync', {})] } : b))
    const actions = d.message(request.to, { ...truth, blocks })
    expect(rejections(actions).length).toBeGreaterThan(0)
    expect(d.replica.committedHeight).toBe(6)
    // The rest comes from another peer.
    const next = sends(actions, 'range-request')
    expect(next.map((r) => (r.message as RangeRequest).fromHeight)).toContain(7)
    expect(next.every((r) => r.to !== request.to || (r.message as RangeRequest).fromHeight !== 7)).toBe(true)
  })

  it('regression: a peer asked beyond its head answers range-empty with its head, and the requester asks another peer at once', () => {
    const chain = buildChain()
    const behind = storeOf(chain, 10)
    const empty = serveSyncRequest({ type: 'range-request', fromHeight: 11, toHeight: 20 }, behind)
    expect(empty).toEqual({ type: 'range-empty', fromHeight: 11, height: 10, cc: chain.ccs[9] })
    // Peers 0 and 1 are behind at height 10, peer 2 has everything.
    const full = storeOf(chain)
    const d = new Driven({ syncBlocksMax: 10 })
    const first = d.tell(chain)
    serveAll(d, first, [behind, behind, full, null])
    expect(d.replica.committedHeight).toBe(HEIGHTS)
  })

  it('regression: when every peer is behind, waits for the sync timer (not a round timer), then asks again; never gives up', () => {
    const chain = buildChain()
    const behind = storeOf(chain, 10)
    const d = new Driven({ syncBlocksMax: 10, syncRetriesMax: 2 })
    let requests = serveAll(d, d.tell(chain), [behind, behind, behind, null])
    expect(d.replica.committedHeight).toBe(10)
    // Each peer was asked for 11 once (then said it had nothing).
    expect(requests).toBe(1 + 3)
    for (let i = 0; i < 5; i++) expect(sends(d.step({ type: 'timer', now: 0, kind: 'round', round: d.replica.round }), 'range-request')).toEqual([])
    const delays: number[] = []
    for (let fire = 0; fire < 8; fire++) {
      delays.push(d.syncTimer().delayMs)
      const asked = sends(d.fireSyncTimer(), 'range-request')
      expect(asked).toHaveLength(1)
      requests += serveAll(d, d.log.slice(-asked.length - 5), [behind, behind, behind, null])
    }
    // The retry delay doubles once retries bring nothing, up to its maximum.
    expect(delays[0]).toBe(d.replica.limits.syncRetryMs)
    expect(delays[delays.length - 1]).toBeGreaterThan(delays[0]!)
    expect(Math.max(...delays)).toBeLessThanOrEqual(d.replica.limits.syncRetryMaxMs)
    // A peer catches up: the next retry gets the rest.
    const full = storeOf(chain)
    serveAll(d, d.fireSyncTimer(), [full, full, full, null])
    expect(d.replica.committedHeight).toBe(HEIGHTS)
  })

  it('regression: a newly certified height starts a request when none is in flight', () => {
    const chain = buildChain()
    const behind = storeOf(chain, 10)
    const d = new Driven({ syncBlocksMax: 10 })
    const partial: Chain = { blocks: chain.blocks.slice(0, 20), ccs: chain.ccs.slice(0, 20) }
    serveAll(d, d.tell(partial), [behind, behind, behind, null])
    expect(d.replica.committedHeight).toBe(10)
    // Nothing in flight now; a certificate for height 30 arrives.
    const asked = sends(d.tell(chain, 1), 'range-request')
    expect(asked).toHaveLength(1)
    expect((asked[0]!.message as RangeRequest).fromHeight).toBe(11)
  })

  it('regression: fetch by hash is retried on the sync timer beyond syncRetriesMax, rotating peers', () => {
    const chain = buildChain(4)
    const d = new Driven({ syncRetriesMax: 2 })
    // A QC for height 4: within the window, so fetched by hash.
    const first = sends(d.message(1, { type: 'sync-info', highQc: signQc(net, chain.blocks[3]!.header), highTc: null, highCc: null }), 'block-request')
    expect(first).toHaveLength(1)
    const peers = [first[0]!.to]
    for (let fire = 0; fire < 10; fire++) {
      const asked = sends(d.fireSyncTimer(), 'block-request')
      expect(asked).toHaveLength(1)
      peers.push(asked[0]!.to)
    }
    expect(new Set(peers)).toEqual(new Set([0, 1, 2]))
    const store = storeOf(chain)
    const response = serveSyncRequest(first[0]!.message as never, store)!
    d.message(0, response)
    expect(d.replica.committedHeight).toBeGreaterThanOrEqual(2)
  })

  it('regression: on start a node asks its peers for their status; a node behind on an idle chain learns of it and catches up', () => {
    const chain = buildChain()
    const store = storeOf(chain)
    const d = new Driven({ syncBlocksMax: 10 })
    expect(d.log.some((a) => a.type === 'broadcast' && a.message.type === 'status-request')).toBe(true)
    // A peer that is up to date answers with its certificates (the core does, no store needed).
    const peer = new Replica({ genesis: net.genesis, validatorIndex: 0, seed: net.validatorSeeds[0]! })
    peer.step({ type: 'start', now: 0 })
    peer.step({ type: 'message', now: 0, from: 1, message: { type: 'sync-info', highQc: signQc(net, chain.blocks[HEIGHTS - 1]!.header), highTc: null, highCc: chain.ccs[HEIGHTS - 1]! } })
    const answer = sends(peer.step({ type: 'message', now: 10, from: SYNCING, message: { type: 'status-request' } }), 'sync-info')
    expect(answer).toHaveLength(1)
    // Answered at most once a second per peer.
    expect(sends(peer.step({ type: 'message', now: 20, from: SYNCING, message: { type: 'status-request' } }), 'sync-info')).toEqual([])
    expect(d.replica.syncLagHeights).toBe(0)
    const actions = d.message(0, answer[0]!.message)
    expect(d.replica.syncLagHeights).toBe(HEIGHTS)
    serveAll(d, actions, [store, store, store, null])
    expect(d.replica.committedHeight).toBe(HEIGHTS)
    expect(d.replica.syncLagHeights).toBe(0)
  })

  it('polls its peers on a slow timer while it has nothing to fetch, soon after start and then every statusIntervalMs', () => {
    const d = new Driven()
    const delays: number[] = []
    for (let i = 0; i < 12; i++) {
      const timer = d.syncTimer()
      delays.push(timer.delayMs)
      const actions = d.fireSyncTimer()
      expect(actions.some((a) => a.type === 'broadcast' && a.message.type === 'status-request')).toBe(true)
      expect(d.syncTimer().token).not.toBe(timer.token)
    }
    expect(delays[0]).toBe(d.replica.limits.syncRetryMs)
    expect(delays).toEqual([...delays].sort((a, b) => a - b))
    expect(delays[delays.length - 1]).toBe(d.replica.limits.statusIntervalMs)
    // A fetch that starts after the quiet spell retries at the first delay, not at the polls' backoff.
    const chain = buildChain(4)
    d.message(1, { type: 'sync-info', highQc: signQc(net, chain.blocks[3]!.header), highTc: null, highCc: null })
    expect(d.syncTimer().delayMs).toBe(d.replica.limits.syncRetryMs)
  })
})
