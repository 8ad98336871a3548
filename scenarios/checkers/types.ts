// What the invariant checkers see of a finished run: each honest node's committed
// chain as its simulated durable storage holds it, and what the workload submitted.
import type { Block } from '../../src/log/block.ts'
import type { CommitCertificate } from '../../src/log/certificates.ts'
import type { Genesis } from '../../src/log/genesis.ts'
import type { LeaderElection } from '../../src/log/leader-election.ts'
import type { SignatureScheme } from '../../src/crypto/signature-scheme.ts'

export interface NodeChain {
  readonly name: string
  /** The validator index, when known. */
  readonly index?: number
  /** committed[h] is the block at height h; committed[0] is the genesis block. */
  readonly committed: readonly Block[]
  /** Hex block hashes, aligned with `committed`. */
  readonly hashes: readonly string[]
  readonly ccs: ReadonlyMap<number, CommitCertificate>
  /** Hex ids of committed entries. */
  readonly ids: ReadonlySet<string>
  /** Virtual commit time per height, when known (for evidence in reports). */
  readonly commitTimes?: readonly number[]
}

export interface RunRecord {
  readonly genesis: Genesis
  /** The election the run's replicas followed, when not the genesis's (a scripted one). */
  readonly leaders?: LeaderElection
  /** The scheme the run signed with: the checkers verify with it (ED25519, or the
   * simulator's stand-in, scenarios/sim/standin-signatures.ts). */
  readonly signatures: SignatureScheme
  readonly honest: readonly NodeChain[]
  /** The honest nodes the liveness checker judges (default: all honest ones); a node
   * a scenario crashes for good is honest (its chain must be consistent) but faulty. */
  readonly correct?: readonly NodeChain[]
  /** Hex ids of every entry the workload signed and submitted. */
  readonly submitted: ReadonlySet<string>
  /** Hex ids of the liveness-phase probe entries. */
  readonly probes: ReadonlySet<string>
  /** Virtual ms from the end of faults to convergence (-1: never). */
  readonly convergenceMs: number
  readonly livenessBoundMs: number
}

/** A checker returns one message per violation (empty: the property held). */
export type Checker = (run: RunRecord) => string[]
