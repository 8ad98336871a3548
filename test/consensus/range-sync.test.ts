import { describe, expect, it } from 'vitest'
import { describe as describeRejection } from '../../src/consensus/rejections.ts'
import { Replica } from '../../src/consensus/replica.ts'
import { serveSyncRequest, type SyncStore } from '../../src/consensus/sync.ts'
import type { Action, Event, RangeRequest, RangeResponse } from '../../src/consensus/types.ts'
import { blockHash, type Block } from '../../src/log/block.ts'
import type { CommitCertificate } from '../../src/log/certificates.ts'
import { ChainBuilder, signQc, TestAgent, testNet } from '../support/chain-builder.ts'

// A replica far behind fetches committed blocks by height range. Ranges are pipelined:
// on a response that extends its head up to a certified block, it asks for the next
// range before verifying this one. These tests check that it catches up, that at most
// one request is ever outstanding, and that responses it rejects or ignores make it
// send nothing more.

const net = testNet(4, 'range-sync-test')
const HEIGHTS = 40
/** Heights per range request: small, so that catching up takes many ranges. */
const RANGE_HEIGHTS = 4
const SYNCING = 3

function buildChain(): { store: SyncStore, blocks: Block[], ccs: CommitCertificate[] } {
  const chain = new ChainBuilder(net)
  const agent = new TestAgent('range-sync')
  for (let h = 1; h <= HEIGHTS; h++) chain.add([agent.entry(net.genesis.chainId, 'test/sync', { h }), agent.entry(net.genesis.chainId, 'test/sync', { h, second: true })], true)
  const blocks = chain.items.map((item) => item.block)
  const ccs = chain.items.map((item) => item.cc!)
  const store: SyncStore = {
    blockByHash: (hash) => blocks.find((b) => blockHash(b.header).every((x, i) => x === hash[i])),
    committedBlock: (height) => blocks[height - 1],
    committedHeader: (height) => blocks[height - 1]?.header,
    commitCertificate: (height) => ccs[height - 1],
    committedHeight: () => HEIGHTS,
  }
  return { store, blocks, ccs }
}

function rangeRequests(actions: readonly Action[]): { to: number, request: RangeRequest }[] {
  return actions.flatMap((a) => (a.type === 'send' && a.message.type === 'range-request' ? [{ to: a.to, request: a.message }] : []))
}

function rejections(actions: readonly Action[]): string[] {
  return actions.flatMap((a) => (a.type === 'rejected' ? [describeRejection(a.reason)] : []))
}

/** A replica at genesis that has just learned (from validator 0) of the chain's head. */
function behindReplica(blocks: readonly Block[], ccs: readonly CommitCertificate[]): { replica: Replica, first: { to: number, request: RangeRequest }, log: Action[] } {
  const replica = new Replica({ genesis: net.genesis, validatorIndex: SYNCING, seed: net.validatorSeeds[SYNCING]!, limits: { syncBlocksMax: RANGE_HEIGHTS } })
  const log = replica.step({ type: 'start', now: 0 })
  const head = blocks[blocks.length - 1]!.header
  const actions = replica.step({ type: 'message', now: 0, from: 0, message: { type: 'sync-info', highQc: signQc(net, head), highTc: null, highCc: ccs[ccs.length - 1]! } })
  log.push(...actions)
  const requests = rangeRequests(actions)
  expect(requests).toHaveLength(1)
  return { replica, first: requests[0]!, log }
}

/** The token of the sync timer armed last. */
function syncToken(log: readonly Action[]): number {
  for (let i = log.length - 1; i >= 0; i--) {
    const a = log[i]!
    if (a.type === 'set-timer' && a.kind === 'sync') return a.round
  }
  throw new Error('no sync timer was armed')
}

function deliver(replica: Replica, from: number, message: RangeResponse): Action[] {
  return replica.step({ type: 'message', now: 0, from, message })
}

function answer(store: SyncStore, request: RangeRequest): RangeResponse {
  const response = serveSyncRequest(request, store)
  if (response === null || response.type !== 'range-response') throw new Error('the store has no answer')
  return response
}

describe('range sync', () => {
  it('catches up from far behind, asking for the next range before verifying the current one, one request at a time', () => {
    const { store, blocks, ccs } = buildChain()
    const { replica, first } = behindReplica(blocks, ccs)
    const outstanding = [first]
    let requests = 1
    // Bounded: each response answers one request; a stuck replica ends the loop.
    for (let i = 0; i < 100 && outstanding.length > 0; i++) {
      const { to, request } = outstanding.shift()!
      const actions = deliver(replica, to, answer(store, request))
      expect(rejections(actions)).toEqual([])
      const sent = rangeRequests(actions)
      requests += sent.length
      outstanding.push(...sent)
      expect(outstanding.length).toBeLessThanOrEqual(1)
      if (sent.length > 0 && replica.committedHeight < HEIGHTS) {
        // Pipelined: the next range was asked for before this one was committed.
        const asked = actions.findIndex((a) => a.type === 'send' && a.message.type === 'range-request')
        const committed = actions.findIndex((a) => a.type === 'commit')
        expect(asked).toBeLessThan(committed)
        expect(sent[0]!.request.fromHeight).toBe(replica.committedHeight + 1)
      }
    }
    expect(replica.committedHeight).toBe(HEIGHTS)
    expect(outstanding).toEqual([])
    expect(requests).toBe(HEIGHTS / RANGE_HEIGHTS)
    expect(replica.fetching).toBe(false)
  })

  it('asks for the next range when told a response is arriving, and not again when it is delivered', () => {
    const { store, blocks, ccs } = buildChain()
    const { replica, first } = behindReplica(blocks, ccs)
    let pending = first
    for (let i = 0; i < 100 && replica.committedHeight < HEIGHTS; i++) {
      const response = answer(store, pending.request)
      const arriving: Event = { type: 'range-arriving', now: 0, from: pending.to, message: response }
      const early = rangeRequests(replica.step(arriving))
      // Told twice (a driver retrying): still one request.
      expect(rangeRequests(replica.step(arriving))).toEqual([])
      const late = rangeRequests(deliver(replica, pending.to, response))
      expect(late).toEqual([])
      if (replica.committedHeight === HEIGHTS) {
        expect(early).toEqual([])
        break
      }
      expect(early).toHaveLength(1)
      expect(early[0]!.request.fromHeight).toBe(replica.committedHeight + 1)
      pending = early[0]!
    }
    expect(replica.committedHeight).toBe(HEIGHTS)
  })

  it('sends no more requests for responses it rejects or ignores', () => {
    const { store, blocks, ccs } = buildChain()
    const { replica, first } = behindReplica(blocks, ccs)
    const truth = answer(store, first.request)
    // Same headers (so the same hashes, chain and commit certificate), other entries.
    // Of every length the store certifies, so that each names another next range.
    const agent = new TestAgent('impostor')
    const swappedOf = (length: number): RangeResponse => ({
      type: 'range-response',
      blocks: truth.blocks.slice(0, length).map((b) => ({ header: b.header, entries: [agent.entry(net.genesis.chainId, 'test/sync', {})] })),
      links: [],
      cc: ccs[length - 1]!,
    })
    let sent = 0
    for (let i = 0; i < 5; i++) {
      for (let length = 1; length <= truth.blocks.length; length++) {
        const swapped = swappedOf(length)
        sent += rangeRequests(replica.step({ type: 'range-arriving', now: 0, from: first.to, message: swapped })).length
        const actions = deliver(replica, first.to, swapped)
        expect(rejections(actions).length).toBeGreaterThan(0)
        sent += rangeRequests(actions).length
      }
    }
    // At most the one request ahead that the first copy's certificate allowed.
    expect(sent).toBeLessThanOrEqual(1)
    expect(replica.committedHeight).toBe(0)
    // Not starting at the head, or not chained to it: ignored, nothing sent.
    const later = answer(store, { type: 'range-request', fromHeight: 9, toHeight: 12 })
    const unchained: RangeResponse = { ...truth, blocks: [blocks[20]!, ...truth.blocks.slice(1)] }
    for (const message of [later, unchained]) {
      for (let i = 0; i < 10; i++) {
        sent += rangeRequests(deliver(replica, 1, message)).length
        sent += rangeRequests(replica.step({ type: 'range-arriving', now: 0, from: 1, message })).length
      }
    }
    expect(sent).toBeLessThanOrEqual(1)
    // The truth still goes through, and sync goes on.
    const actions = deliver(replica, first.to, truth)
    expect(rejections(actions)).toEqual([])
    expect(replica.committedHeight).toBe(RANGE_HEIGHTS)
  })

  it('asks again on the sync timer when a response is lost, but not while responses keep coming, and never on a round timer', () => {
    const { store, blocks, ccs } = buildChain()
    const { replica, first, log } = behindReplica(blocks, ccs)
    const step = (event: Event): Action[] => {
      const actions = replica.step(event)
      log.push(...actions)
      return actions
    }
    const syncTimer = (): Action[] => step({ type: 'timer', now: 0, kind: 'sync', round: syncToken(log) })
    const roundTimer = (): Action[] => step({ type: 'timer', now: 0, kind: 'round', round: replica.round })
    const ahead = rangeRequests(step({ type: 'message', now: 0, from: first.to, message: answer(store, first.request) }))
    expect(ahead).toHaveLength(1)
    // The answer to `ahead` is lost. Round timers never ask again; the first sync timer
    // after progress does not either (a request is in flight); the next one does, from the head.
    for (let i = 0; i < 3; i++) expect(rangeRequests(roundTimer())).toEqual([])
    expect(rangeRequests(syncTimer())).toEqual([])
    const retry = rangeRequests(syncTimer())
    expect(retry).toHaveLength(1)
    expect(retry[0]!.request.fromHeight).toBe(replica.committedHeight + 1)
    expect(retry[0]!.to).not.toBe(ahead[0]!.to)
    let pending = retry
    for (let i = 0; i < 100 && pending.length > 0; i++) pending = rangeRequests(deliver(replica, pending[0]!.to, answer(store, pending[0]!.request)))
    expect(replica.committedHeight).toBe(HEIGHTS)
  })
})
