// The epoch position after the store's committed head (docs/formats.md section 15.3): a
// function of the committed log, replayed once from it and then stepped block by block
// as blocks commit, as the governance state is (governance-replay.ts). Not persisted: the
// log is its record, and only reconfiguration entries change it. A restarting replica
// gets it from here (RestoredState.position).
import type { Block } from '../../src/log/block.ts'
import { EpochReplay, genesisPosition, positionAfterBlock, type EpochPosition } from '../../src/log/epochs.ts'
import type { Genesis } from '../../src/log/genesis.ts'
import { StoreError } from './errors.ts'
import type { IndexRange, StoredEntry } from './store.ts'

/** Entries read per store scan while replaying. */
const REPLAY_BATCH = 1024

/** The position after a head that is still in epoch 0, from the head block alone: no
 * block below it can be epoch 0's reconfiguration block (the block after that one is in
 * epoch 1), so only the head's own entries can have ended the epoch. What saves a chain
 * that never changed its set the scan of its whole log at every restart. */
export function positionInGenesisEpoch(genesis: Genesis, head: Block): EpochPosition {
  const start = genesisPosition(genesis)
  if ((head.header.epoch ?? 0) !== 0) throw new RangeError(`block ${head.header.height} is in epoch ${head.header.epoch}, not epoch 0`)
  if (head.header.height === 0) return start
  return positionAfterBlock(start, { ok: true, epoch: start.epoch, suffix: false, first: false }, head.header.height, head.entries, genesis.chainId).position
}

/** The position after block `headHeight` (log size `logSize`), replayed from the log. */
export async function replayEpochPosition(
  entries: (range: IndexRange) => Promise<StoredEntry[]>, genesis: Genesis, headHeight: number, logSize: number,
): Promise<EpochPosition> {
  const replay = new EpochReplay(genesis)
  for (let from = 0; from < logSize;) {
    const batch = await entries({ fromIndex: from, toIndex: logSize, limit: REPLAY_BATCH })
    if (batch.length === 0) throw new StoreError('corrupt', `the store holds no entry at log index ${from}, below its log size ${logSize}`)
    for (const stored of batch) replay.append(stored.entry, stored.height)
    from += batch.length
  }
  replay.advanceTo(headHeight)
  return replay.position
}

/** The position after a committed `block`, from the position after its parent. In a
 * committed chain the block after a reconfiguration block is its epoch's first block,
 * and every block names the epoch it is in: a block that names another is not this
 * chain's (the replica validated it, so this is the store refusing a wrong commit). */
export function stepEpochPosition(before: EpochPosition, block: Block, chainId: string): EpochPosition {
  const height = block.header.height
  const ending = before.ending
  const first = ending !== null && height > ending.height
  const epoch = first ? ending.next : before.epoch
  const named = block.header.epoch ?? 0
  if (named !== epoch.number) throw new StoreError('bad-commit', `block ${height} names epoch ${named}; the committed chain is in epoch ${epoch.number} there`)
  return positionAfterBlock(before, { ok: true, epoch, suffix: false, first }, height, block.entries, chainId).position
}
