// The epoch chain after the store's committed head (docs/formats.md section 15.3): the
// epoch position and where each epoch change happened, a function of the committed log,
// replayed once from it and then stepped block by block as blocks commit, as the
// governance state is (governance-replay.ts). Not persisted: the log is its record, and
// only reconfiguration entries change it. A restarting replica gets the position from
// here (RestoredState.position); receipts of a later epoch get their epoch changes.
import type { Block } from '../../src/log/block.ts'
import type { Entry } from '../../src/log/entry.ts'
import { genesisPosition, positionAfterBlock, type EpochPosition } from '../../src/log/epochs.ts'
import type { Genesis } from '../../src/log/genesis.ts'
import { ValidatorDirectory } from '../../src/log/validator-directory.ts'
import { StoreError } from './errors.ts'
import type { IndexRange, StoredEntry } from './store.ts'

/** Entries read per store scan while replaying. */
const REPLAY_BATCH = 1024

/** Where epoch `epoch` began: its effective reconfiguration entry, at log index `index`
 * in the block at `height` (the last block of the epoch before), and the keys of its set. */
export interface EpochChangePoint {
  readonly epoch: number
  readonly height: number
  readonly index: number
  readonly keys: readonly Uint8Array[]
}

export interface EpochChain {
  readonly position: EpochPosition
  /** One per epoch change, in order (epoch 1 first). */
  readonly changes: readonly EpochChangePoint[]
}

/** The validator directory after the chain (src/log/validator-directory.ts): the genesis
 * keys, then each change's new keys in its set's order. */
export function directoryKeys(genesis: Genesis, chain: EpochChain): readonly Uint8Array[] {
  const directory = new ValidatorDirectory(genesis.validators)
  for (const change of chain.changes) directory.learn(change.keys.map((publicKey) => ({ publicKey })))
  return directory.keys
}

/** The chain at the genesis. */
export function genesisEpochChain(genesis: Genesis): EpochChain {
  return { position: genesisPosition(genesis), changes: [] }
}

/** The position a committed block at `height` starts from: past its epoch's
 * reconfiguration block, the next epoch. */
function enter(before: EpochPosition, height: number): EpochPosition {
  const ending = before.ending
  return ending !== null && height > ending.height ? { epoch: ending.next, ending: null } : before
}

/** The chain after one more committed entry, at log index `index` in a block at
 * `height` whose epoch was entered already. */
function afterEntry(chain: EpochChain, entry: Pick<Entry, 'payload'>, height: number, index: number, chainId: string): EpochChain {
  const before = chain.position
  const { position } = positionAfterBlock(before, { ok: true, epoch: before.epoch, suffix: false, first: false }, height, [entry], chainId)
  if (position === before) return chain
  if (before.ending !== null || position.ending === null) return { ...chain, position }
  const next = position.ending.next
  return { position, changes: [...chain.changes, { epoch: next.number, height, index, keys: next.validators.map((v) => v.publicKey) }] }
}

/** The chain after a head that is still in epoch 0, from the head block alone: no block
 * below it can be epoch 0's reconfiguration block (the block after that one is in epoch
 * 1), so only the head's own entries can have ended the epoch. What saves a chain that
 * never changed its set the scan of its whole log at every restart. */
export function epochChainInGenesisEpoch(genesis: Genesis, head: Block): EpochChain {
  if ((head.header.epoch ?? 0) !== 0) throw new RangeError(`block ${head.header.height} is in epoch ${head.header.epoch}, not epoch 0`)
  const start = genesisEpochChain(genesis)
  return head.header.height === 0 ? start : stepEpochChain(start, head, genesis.chainId)
}

/** The chain after block `headHeight` (log size `logSize`), replayed from the log. */
export async function replayEpochChain(
  entries: (range: IndexRange) => Promise<StoredEntry[]>, genesis: Genesis, headHeight: number, logSize: number,
): Promise<EpochChain> {
  let chain = genesisEpochChain(genesis)
  for (let from = 0; from < logSize;) {
    const batch = await entries({ fromIndex: from, toIndex: logSize, limit: REPLAY_BATCH })
    if (batch.length === 0) throw new StoreError('corrupt', `the store holds no entry at log index ${from}, below its log size ${logSize}`)
    for (const stored of batch) {
      const position = enter(chain.position, stored.height)
      if (position !== chain.position) chain = { ...chain, position }
      chain = afterEntry(chain, stored.entry, stored.height, stored.index, genesis.chainId)
    }
    from += batch.length
  }
  const position = enter(chain.position, headHeight)
  return position === chain.position ? chain : { ...chain, position }
}

/** The chain after a committed `block`, from the chain after its parent. In a committed
 * chain the block after a reconfiguration block is its epoch's first block, and every
 * block names the epoch it is in: a block that names another is not this chain's (the
 * replica validated it, so this is the store refusing a wrong commit). */
export function stepEpochChain(before: EpochChain, block: Block, chainId: string): EpochChain {
  const height = block.header.height
  const position = enter(before.position, height)
  const named = block.header.epoch ?? 0
  if (named !== position.epoch.number) throw new StoreError('bad-commit', `block ${height} names epoch ${named}; the committed chain is in epoch ${position.epoch.number} there`)
  let chain = position === before.position ? before : { ...before, position }
  const first = block.header.logSize - block.entries.length
  for (let i = 0; i < block.entries.length; i++) chain = afterEntry(chain, block.entries[i]!, height, first + i, chainId)
  return chain
}
