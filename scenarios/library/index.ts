// The scenario library: one scenario per file (its header says what it shows and the
// expected outcome). `synod scenario list` prints them; `synod scenario run NAME` runs one.
// A test checks that every file in this folder is listed here.
import type { Scenario } from '../dsl/types.ts'
import beyondBoundCrashes from './beyond-bound-crashes.ts'
import beyondBoundTwinsFork from './beyond-bound-twins-fork.ts'
import bigBlockCatchUp from './big-block-catch-up.ts'
import clockSkew from './clock-skew.ts'
import crashRestart from './crash-restart.ts'
import doubleVoting from './double-voting.ts'
import duplicationReordering from './duplication-reordering.ts'
import equivocatingLeader from './equivocating-leader.ts'
import flappingLinks from './flapping-links.ts'
import forgedCertificates from './forged-certificates.ts'
import highLatency from './high-latency.ts'
import leaderCrash from './leader-crash.ts'
import lyingSyncPeer from './lying-sync-peer.ts'
import majorityPartition from './majority-partition.ts'
import midStepCrashes from './mid-step-crashes.ts'
import minorityPartition from './minority-partition.ts'
import decisionsUnderPartition from './decisions-under-partition.ts'
import approverNodePartitioned from './approver-node-partitioned.ts'
import censoredApprovals from './censored-approvals.ts'
import mixedAdversaries from './mixed-adversaries.ts'
import replayedMessages from './replayed-messages.ts'
import restartBehindOnePeer from './restart-behind-one-peer.ts'
import rollingCrashes from './rolling-crashes.ts'
import staleRoundFlooding from './stale-round-flooding.ts'
import twins from './twins.ts'
import voteWithholding from './vote-withholding.ts'

export const LIBRARY: readonly Scenario[] = [
  beyondBoundCrashes,
  beyondBoundTwinsFork,
  bigBlockCatchUp,
  clockSkew,
  crashRestart,
  doubleVoting,
  duplicationReordering,
  equivocatingLeader,
  flappingLinks,
  forgedCertificates,
  highLatency,
  leaderCrash,
  lyingSyncPeer,
  majorityPartition,
  midStepCrashes,
  minorityPartition,
  decisionsUnderPartition,
  approverNodePartitioned,
  censoredApprovals,
  mixedAdversaries,
  replayedMessages,
  restartBehindOnePeer,
  rollingCrashes,
  staleRoundFlooding,
  twins,
  voteWithholding,
]

export function libraryScenario(name: string): Scenario | undefined {
  return LIBRARY.find((s) => s.name === name)
}
