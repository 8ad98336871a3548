// What the replica restarts from: the store's safety state, committed head and log, and
// the pending blocks above it. Undefined for a fresh store (the replica starts at genesis).
import { decodeSafetyState } from '../../src/consensus/messages.ts'
import { initialSafetyState } from '../../src/consensus/safety-rules.ts'
import type { RestoredState } from '../../src/consensus/types.ts'
import { genesisQc } from '../../src/log/block.ts'
import type { Genesis } from '../../src/log/genesis.ts'
import { PolicyLedger } from '../../src/governance/ledger.ts'
import type { GovernanceState } from '../../src/governance/state.ts'
import type { Store } from '../store/store.ts'

export async function restoreReplicaState(store: Store, genesis: Genesis, pendingBlocksMax: number): Promise<RestoredState | undefined> {
  const parts = await store.restoreParts(pendingBlocksMax)
  if (parts.safety === null && parts.committedHead.header.height === 0 && parts.pendingBlocks.length === 0) return undefined
  const safety = parts.safety === null ? initialSafetyState(genesisQc(genesis)) : decodeSafetyState(parts.safety)
  return {
    safety,
    committedHead: parts.committedHead,
    committedQc: (await store.qcAt(parts.committedHead.header.height)) ?? null,
    committedLog: parts.committedLog,
    agentSeqs: parts.agentSeqs,
    pendingBlocks: parts.pendingBlocks,
    governance: await rebuildGovernance(store, genesis, parts.committedHead.header.height, parts.committedLog.size),
  }
}

/** Entries read per store scan while rebuilding the governance state. */
const GOVERNANCE_REPLAY_BATCH = 1024

/** The governance state after the committed head (docs/formats.md section 13), replayed
 * from the committed log: it is not persisted. Null for a chain without governance. The
 * log was validated when committed, so a rule that refuses a stored entry means the
 * store is not the chain it claims to be. */
async function rebuildGovernance(store: Store, genesis: Genesis, headHeight: number, logSize: number): Promise<GovernanceState | null> {
  if (genesis.governance === undefined) return null
  const ledger = new PolicyLedger(genesis)
  for (let from = 0; from < logSize;) {
    const batch = await store.entries({ fromIndex: from, toIndex: logSize, limit: GOVERNANCE_REPLAY_BATCH })
    if (batch.length === 0) throw new Error(`the store holds no entry at log index ${from}, below its log size ${logSize}`)
    for (const stored of batch) {
      const problem = ledger.append({ entry: stored.entry, index: stored.index, height: stored.height })
      if (problem !== null) throw new Error(`committed entry ${stored.index} at height ${stored.height} breaks governance rule ${problem.rule}: the store is corrupt`)
    }
    from += batch.length
  }
  ledger.advanceTo(headHeight)
  return ledger.state
}
