// The governance state after the store's committed head (docs/formats.md section 13): a
// function of the committed log, replayed once from it and then stepped block by block
// as blocks commit. It is not persisted: the log is its record, and a replay is cheap
// next to the log itself (only policy entries are judged). The store needs it for the
// erasures of a commit (who may erase, how long a sealed entry is kept: section 14), and
// a restarting replica gets it from here.
import { toHex } from '../../src/crypto/hash.ts'
import { PolicyLedger } from '../../src/governance/ledger.ts'
import { mayBeReserved, readPolicyPayload } from '../../src/governance/policy-payload.ts'
import type { GovernanceState } from '../../src/governance/state.ts'
import type { Block } from '../../src/log/block.ts'
import { entryId } from '../../src/log/entry.ts'
import type { Genesis } from '../../src/log/genesis.ts'
import { StoreError } from './errors.ts'
import type { IndexRange, StoredEntry } from './store.ts'

/** Entries read per store scan while replaying. */
const REPLAY_BATCH = 1024

/** The state after block `headHeight` (log size `logSize`), replayed from the committed
 * log; null for a chain without governance. The log was validated when committed, so a
 * rule that refuses a stored entry means the store is not the chain it claims to be. */
export async function replayGovernance(
  entries: (range: IndexRange) => Promise<StoredEntry[]>, genesis: Genesis, headHeight: number, logSize: number,
): Promise<GovernanceState | null> {
  if (genesis.governance === undefined) return null
  const ledger = new PolicyLedger(genesis)
  for (let from = 0; from < logSize;) {
    const batch = await entries({ fromIndex: from, toIndex: logSize, limit: REPLAY_BATCH })
    if (batch.length === 0) throw new StoreError('corrupt', `the store holds no entry at log index ${from}, below its log size ${logSize}`)
    for (const stored of batch) {
      const problem = ledger.append({ entry: stored.entry, index: stored.index, height: stored.height })
      if (problem !== null) throw new StoreError('corrupt', `committed entry ${stored.index} at height ${stored.height} breaks governance rule ${problem.rule}`)
    }
    from += batch.length
  }
  ledger.advanceTo(headHeight)
  return ledger.state
}

/** The state after a committed `block`, from the state before it. Only policy entries
 * change the state, so only they are judged (rule 5 counts them in block order). */
export function stepGovernance(before: GovernanceState, block: Block): GovernanceState {
  const judge = before.blockJudge()
  for (const entry of block.entries) {
    if (!mayBeReserved(entry.payload) || readPolicyPayload(entry).type !== 'policy') continue
    const problem = judge.judge(entry, () => toHex(entryId(entry)))
    if (problem !== null) throw new StoreError('bad-commit', `block ${block.header.height} commits a policy entry that breaks governance rule ${problem.rule}`)
  }
  return judge.finish(block.header.height)
}
