// Executes the actions of one replica step IN ORDER. Persist actions are written
// durably (fsync'd, batched when adjacent) before any later action of the same step
// runs, so no vote or timeout leaves the process before the safety state that allows it
// is on disk.
import { encodeSafetyState } from '../../src/consensus/messages.ts'
import type { Action } from '../../src/consensus/types.ts'
import { bytesEqual } from '../../src/codec/cbor.ts'
import { toHex } from '../../src/crypto/hash.ts'
import type { Block } from '../../src/log/block.ts'
import type { Hash } from '../../src/log/entry.ts'
import type { DurableWrite } from '../store/store.ts'

export type CommitAction = Extract<Action, { type: 'commit' }>
/** The actions executeActions hands on, one at a time. */
export type PerformedAction = Exclude<Action, { type: 'persist-safety-state' | 'persist-block' }>

export interface ExecuteDependencies {
  /** Writes the safety state and pending blocks durably. */
  readonly persist: (write: DurableWrite) => Promise<void>
  /** Writes a commit to the store; with `durable`, that persist in the same batch. */
  readonly commit: (action: CommitAction, durable?: DurableWrite) => Promise<void>
  /** Any other action. */
  readonly perform: (action: PerformedAction) => Promise<void>
}

export async function executeActions(actions: readonly Action[], d: ExecuteDependencies): Promise<void> {
  let durable: { safety?: Uint8Array, blocks: { hash: Hash, block: Block }[] } | null = null
  // A commit is written without holding up the actions after it: a leader's next
  // proposal (and a follower's vote, after its own persist) need not wait for the
  // committed block's write. The store applies writes in the order they are asked for,
  // so a commit certificate asked for later lands after the commit (kept until then,
  // CommitWriter.storeCertificate), and the step does not end (no next input) until the
  // commit is durable. Pending blocks and the safety state do not depend on it. Nothing
  // a commit writes is needed for safety: after a crash it is derived again from the
  // stored certificates and blocks.
  let committing = null as Promise<void> | null
  // A block that a commit of this same step writes (range sync inserts and commits
  // whole ranges in one step) is not persisted as pending first: that would write and
  // fsync it twice. Nothing before the commit needs it on disk; after a crash before
  // the commit lands it is fetched again.
  const committedHere = new Set<string>()
  for (const action of actions) if (action.type === 'commit') for (const hash of action.hashes) committedHere.add(toHex(hash))
  const certified = certificatesForCommits(actions)
  // A step's one commit followed by a persist (a follower's step for a proposal whose QC
  // commits the block before: commit, persist, vote; the leader's step that forms a
  // commit certificate: commit, proposal, persist, vote) is written with that persist in
  // one atomic fsync'd batch, before the actions after the persist (the vote) run: one
  // disk flush per step instead of two in a row. The vote waits for no more than before
  // (its persist's flush), and the commit is durable one flush sooner, so the first
  // receipt is served sooner. Held from its place in the step to the flush of the
  // persist after it; the actions in between do not read it (a certificate for it is
  // kept until it lands, CommitWriter.storeCertificate).
  let held: CommitAction | null = foldableCommit(actions)
  let heldReached = false
  const flush = async (): Promise<void> => {
    if (durable === null) return
    const write: DurableWrite = durable
    durable = null
    if (held !== null && heldReached) {
      const commit = certified.get(held) ?? held
      held = null
      await d.commit(commit, write)
      return
    }
    await d.persist(write)
  }
  // A step that votes writes its commits after the vote has left: the store writes in
  // order, so a commit queued first would put its fsync in front of the vote's (a
  // follower's step for a proposal whose QC commits the block before: two disk flushes
  // on the round's critical path). Other steps start a commit at once: the leader that
  // forms a commit certificate serves the first receipts once its commit is written.
  const votes = actions.some((a) => a.type === 'send' && a.message.type === 'vote')
  const deferred: CommitAction[] = []
  const startCommit = (action: CommitAction): void => {
    const previous: Promise<void> | null = committing
    committing = previous === null ? d.commit(action) : previous.then(() => d.commit(action))
    // Awaited below; until then a failure must not count as unhandled.
    committing.catch(() => {})
  }
  for (const action of actions) {
    if (action.type === 'persist-safety-state') {
      durable ??= { blocks: [] }
      durable.safety = encodeSafetyState(action.state)
      continue
    }
    if (action.type === 'persist-block') {
      if (committedHere.has(toHex(action.hash))) continue
      durable ??= { blocks: [] }
      durable.blocks.push({ hash: action.hash, block: action.block })
      continue
    }
    await flush()
    if (action === held) {
      heldReached = true
      continue
    }
    if (action.type === 'commit') {
      const commit = certified.get(action) ?? action
      // Started now (or, in a step that votes, after the vote), so the store queues its
      // write before any later one of this step.
      if (votes) deferred.push(commit)
      else startCommit(commit)
      continue
    }
    await d.perform(action)
    if (action.type === 'send' && action.message.type === 'vote') for (const commit of deferred.splice(0)) startCommit(commit)
  }
  await flush()
  // Its persist left nothing to write (blocks this step commits): written on its own.
  if (held !== null && heldReached) startCommit(certified.get(held) ?? held)
  for (const commit of deferred.splice(0)) startCommit(commit)
  await committing
}

/** The step's commit that goes into the batch of the persist after it (see
 * executeActions): its only commit, when a persist action follows it. */
function foldableCommit(actions: readonly Action[]): CommitAction | null {
  let commit: CommitAction | null = null
  let persistAfter = false
  for (const action of actions) {
    if (action.type === 'commit') {
      if (commit !== null) return null
      commit = action
    } else if (commit !== null && (action.type === 'persist-block' || action.type === 'persist-safety-state')) {
      persistAfter = true
    }
  }
  return persistAfter ? commit : null
}

/** Commits of a step that carry no certificate while a later action of the same step
 * stores the certificate of the commit's last block (a replica that learns of QC(B+1)
 * and CC(B) together, from a sync-info, commits B and stores CC(B)): the commit, with
 * that certificate in its batch. One fsync'd write instead of two in a row; the
 * certificate's own action then finds it stored (CommitWriter). */
function certificatesForCommits(actions: readonly Action[]): Map<CommitAction, CommitAction> {
  const out = new Map<CommitAction, CommitAction>()
  for (let i = 0; i < actions.length; i++) {
    const commit = actions[i]!
    if (commit.type !== 'commit' || commit.cc !== null) continue
    const last = commit.blocks.length - 1
    if (last < 0) continue
    const height = commit.blocks[last]!.header.height
    const hash = commit.hashes[last]!
    for (let j = i + 1; j < actions.length; j++) {
      const later = actions[j]!
      if (later.type === 'store-commit-certificate' && later.cc.height === height && bytesEqual(later.cc.block, hash)) {
        out.set(commit, { ...commit, cc: later.cc })
        break
      }
    }
  }
  return out
}
