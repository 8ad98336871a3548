// The committed head's epoch position after a restart (docs/protocol.md, "The replica at
// the boundary", step 1): replayed from the committed log (EpochReplay,
// positionAfterBlocks), handed to the replica in RestoredState.position, checked there
// against the head. Chains come from the independent epoch builder with real signatures.
import { describe, expect, it } from 'vitest'
import { Replica } from '../../src/consensus/replica.ts'
import { initialSafetyState } from '../../src/consensus/safety-rules.ts'
import type { RestoredState } from '../../src/consensus/types.ts'
import { toHex } from '../../src/crypto/hash.ts'
import { genesisQc, type Block } from '../../src/log/block.ts'
import { EpochReplay, genesisPosition, positionAfterBlocks, setHashOf } from '../../src/log/epochs.ts'
import { encodeEntry } from '../../src/log/entry.ts'
import { leafHash, MerkleAccumulator } from '../../src/log/merkle.ts'
import { SimStorage } from '../../scenarios/sim/storage.ts'
import { TestAgent, testNet } from '../support/chain-builder.ts'
import { EpochChainBuilder, seedsFor, validatorsOf } from '../support/epoch-chain.ts'

const CHAIN = 'restored-epoch'

/** 4 validators, an entry, then 4 -> 5 at height 2, two blocks of epoch 1, 5 -> 4 at height 5 (boundary by a suffix CC). */
function chain() {
  const b = new EpochChainBuilder(testNet(4, CHAIN))
  const user = new TestAgent(`${CHAIN}/user`)
  b.add([user.entry(CHAIN, 'app/a', { n: 1 })])
  const five = [...b.current.seeds, ...seedsFor(`${CHAIN}/joiner`, 1)]
  b.reconfigure(five, 'five', [user.entry(CHAIN, 'app/a', { n: 2 })])
  b.add([user.entry(CHAIN, 'app/a', { n: 3 })])
  b.add([])
  b.reconfigure(five.slice(1), 'four', [], 1)
  return { b, blocks: b.items.map((i) => i.block), four: validatorsOf(five.slice(1), 'four') }
}

function restoredAt(b: EpochChainBuilder, blocks: readonly Block[], height: number, position: RestoredState['position']): RestoredState {
  const log = new MerkleAccumulator()
  for (const block of blocks.slice(0, height)) for (const e of block.entries) log.append(leafHash(encodeEntry(e)))
  return {
    safety: initialSafetyState(genesisQc(b.net.genesis)), committedHead: blocks[height - 1]!, committedQc: null,
    committedLog: log.toState(), agentSeqs: new Map(), pendingBlocks: [], ...(position === undefined ? {} : { position }),
  }
}

describe('the committed head\'s epoch position, replayed from the committed log', () => {
  it('follows the chain: the epoch ends at its reconfiguration block, the next starts one height above', () => {
    const { b, blocks, four } = chain()
    const expected = [
      { epoch: 0, ending: null }, { epoch: 0, ending: 2 }, { epoch: 1, ending: null }, { epoch: 1, ending: null }, { epoch: 1, ending: 5 },
    ]
    for (let height = 1; height <= blocks.length; height++) {
      const p = positionAfterBlocks(b.net.genesis, blocks.slice(0, height))
      expect({ epoch: p.epoch.number, ending: p.ending?.height ?? null }, `after height ${height}`).toEqual(expected[height - 1])
      // Every replayed position names the epoch of the block it follows.
      expect(p.epoch.number).toBe(blocks[height - 1]!.header.epoch ?? 0)
    }
    const last = positionAfterBlocks(b.net.genesis, blocks)
    expect(toHex(last.epoch.setHash)).toBe(toHex(setHashOf(b.epochs[1]!.validators)))
    expect(last.epoch.firstHeight).toBe(3)
    expect(toHex(last.ending!.next.setHash)).toBe(toHex(setHashOf(four)))
    expect(last.ending!.next.firstHeight).toBe(6)
  })

  it('the entry-by-entry replay (what a store scan feeds) agrees with the block one, and refuses to go back', () => {
    const { b, blocks } = chain()
    const replay = new EpochReplay(b.net.genesis)
    for (const block of blocks) for (const e of block.entries) replay.append(e, block.header.height)
    replay.advanceTo(blocks.length)
    const byBlocks = positionAfterBlocks(b.net.genesis, blocks)
    expect(replay.position.epoch.number).toBe(byBlocks.epoch.number)
    expect(replay.position.ending?.height).toBe(byBlocks.ending?.height)
    replay.advanceTo(6) // the block after the reconfiguration block is the next epoch's
    expect(replay.position.epoch.number).toBe(2)
    expect(replay.position.ending).toBeNull()
    expect(() => replay.advanceTo(5)).toThrow(/not back at 5/)
  })

  it('a chain without an effective reconfiguration stays in epoch 0 (the simulator storage replays it too)', () => {
    const net = testNet(4, CHAIN)
    const storage = new SimStorage(net.genesis)
    expect(positionAfterBlocks(net.genesis, storage.committed)).toEqual(genesisPosition(net.genesis))
    storage.safety = initialSafetyState(genesisQc(net.genesis))
    const restored = storage.restoredState()!
    expect(restored.position?.epoch.number).toBe(0)
    expect(restored.position?.ending).toBeNull()
  })
})

describe('the replica restored with a position', () => {
  it('takes an epoch-0 head\'s position, and refuses one that does not match the head', () => {
    const { b, blocks } = chain()
    const genesis = b.net.genesis
    const options = { genesis, validatorIndex: 0, seed: b.net.validatorSeeds[0]! }
    const atOne = positionAfterBlocks(genesis, blocks.slice(0, 1))
    expect(new Replica(options, restoredAt(b, blocks, 1, atOne)).committedHeight).toBe(1)
    expect(new Replica(options, restoredAt(b, blocks, 1, undefined)).committedHeight).toBe(1)
    // Epoch 1's position with the epoch-0 head at height 1: from another chain.
    const later = positionAfterBlocks(genesis, blocks.slice(0, 3))
    expect(() => new Replica(options, restoredAt(b, blocks, 1, later))).toThrow(/epoch position is in epoch 1, the committed head at height 1 in epoch 0/)
    // An epoch that ended at height 2 with the head at height 1.
    const ended = positionAfterBlocks(genesis, blocks.slice(0, 2))
    expect(() => new Replica(options, restoredAt(b, blocks, 1, ended))).toThrow(/ends epoch 0 at height 2, not at the committed head's 1/)
  })

  it('refuses to run at or past a reconfiguration block until it switches sets', () => {
    const { b, blocks } = chain()
    const genesis = b.net.genesis
    const options = { genesis, validatorIndex: 0, seed: b.net.validatorSeeds[0]! }
    expect(() => new Replica(options, restoredAt(b, blocks, 2, positionAfterBlocks(genesis, blocks.slice(0, 2))))).toThrow(/reconfiguration block of epoch 0, and this replica does not switch/)
    expect(() => new Replica(options, restoredAt(b, blocks, 3, positionAfterBlocks(genesis, blocks.slice(0, 3))))).toThrow(/in epoch 1, and this replica does not switch/)
  })
})
