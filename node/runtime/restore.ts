// What the replica restarts from: the store's safety state, committed head and log, and
// the pending blocks above it. Undefined for a fresh store (the replica starts at genesis).
import { decodeSafetyState } from '../../src/consensus/messages.ts'
import { initialSafetyState } from '../../src/consensus/safety-rules.ts'
import type { RestoredState } from '../../src/consensus/types.ts'
import { genesisQc } from '../../src/log/block.ts'
import type { Genesis } from '../../src/log/genesis.ts'
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
    governance: await store.governance(),
    position: await store.epochPosition(),
    directory: await store.validatorDirectory(),
  }
}
