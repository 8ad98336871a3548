// The epoch replay after the store's committed head (docs/formats.md section 15.3): the
// epoch position, the validator directory and where each epoch change happened
// (EpochReplay, src/log/epochs.ts), a function of the committed log, replayed once from
// it and then stepped block by block as blocks commit, as the governance state is
// (governance-replay.ts). Not persisted: the log is its record, and only reconfiguration
// entries change it. A restarting replica gets the position and the directory from here
// (RestoredState); receipts of a later epoch get their epoch changes.
import type { Block } from '../../src/log/block.ts'
import { EpochReplay } from '../../src/log/epochs.ts'
import type { Genesis } from '../../src/log/genesis.ts'
import { StoreError } from './errors.ts'
import type { IndexRange, StoredEntry } from './store.ts'

/** Entries read per store scan while replaying. */
const REPLAY_BATCH = 1024

/** The replay after a head that is still in epoch 0, from the head block alone: no block
 * below it can be epoch 0's reconfiguration block (the block after that one is in epoch
 * 1), so only the head's own entries can have ended the epoch. What saves a chain that
 * never changed its set the scan of its whole log at every restart. */
export function epochReplayInGenesisEpoch(genesis: Genesis, head: Block): EpochReplay {
  const h = head.header
  if ((h.epoch ?? 0) !== 0) throw new RangeError(`block ${h.height} is in epoch ${h.epoch}, not epoch 0`)
  if (h.height === 0) return new EpochReplay(genesis)
  const replay = new EpochReplay(genesis, undefined, undefined, { height: h.height - 1, logSize: h.logSize - head.entries.length })
  return stepEpochReplay(replay, [head])
}

/** The replay after block `headHeight` (log size `logSize`), from the whole log. */
export async function replayEpochs(
  entries: (range: IndexRange) => Promise<StoredEntry[]>, genesis: Genesis, headHeight: number, logSize: number,
): Promise<EpochReplay> {
  const replay = new EpochReplay(genesis)
  for (let from = 0; from < logSize;) {
    const batch = await entries({ fromIndex: from, toIndex: logSize, limit: REPLAY_BATCH })
    if (batch.length === 0) throw new StoreError('corrupt', `the store holds no entry at log index ${from}, below its log size ${logSize}`)
    for (const stored of batch) replay.append(stored.entry, stored.height)
    from += batch.length
  }
  replay.advanceTo(headHeight)
  return replay
}

/** The replay after committed `blocks`, from the one after their first's parent (left as
 * it is: a commit publishes the new one only once its batch is written). Every block of a
 * committed chain names the epoch it is in: a block that names another is not this
 * chain's (the replica validated it, so this is the store refusing a wrong commit). */
export function stepEpochReplay(before: EpochReplay, blocks: readonly Block[]): EpochReplay {
  const after = before.clone()
  for (const block of blocks) {
    const height = block.header.height
    after.advanceTo(height)
    const named = block.header.epoch ?? 0
    if (named !== after.position.epoch.number) throw new StoreError('bad-commit', `block ${height} names epoch ${named}; the committed chain is in epoch ${after.position.epoch.number} there`)
    for (const entry of block.entries) after.append(entry, height)
  }
  return after
}
