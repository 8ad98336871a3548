// What a ValidatorNode is built from: its options (the chain, its key, where it listens)
// and its dependencies (store, logger, and the transport, clocks and timers the
// deterministic simulator replaces).
import type { Logger } from 'pino'
import type { Message, ReplicaLimits } from '../../src/consensus/types.ts'
import type { Genesis } from '../../src/log/genesis.ts'
import type { ValidatorInfo } from '../../src/log/validator-set.ts'
import type { Inspection, Transport, TransportEvent } from '../net/transport.ts'
import type { Store } from '../store/store.ts'
import type { RuntimeTimers } from './timers.ts'

export interface ValidatorNodeOptions {
  readonly genesis: Genesis
  /** This validator's 32-byte Ed25519 seed (its key must be in the genesis, unless the
   * node follows reconfigurations: then a key outside it is a joining validator's). */
  readonly seed: Uint8Array
  /** Multiaddrs to listen on. */
  readonly listen: readonly string[]
  readonly replicaLimits?: Partial<ReplicaLimits>
  /** UNSAFE, benchmark chains only: entry signatures are not verified (src/consensus/unsafe-bench.ts). */
  readonly unsafeSkipEntrySignatures?: boolean
  /** ReplicaOptions.reconfigurations; default 'refuse'. */
  readonly reconfigurations?: 'refuse' | 'switch'
}

export interface TransportFactoryOptions {
  readonly genesis: Genesis
  /** The peers, at their validator directory indexes (Replica.directory): what a received
   * message's `from` and a send's `to` index. The genesis set while the node refuses
   * reconfigurations (transportValidators); it grows with the directory (addValidators). */
  readonly validators: readonly ValidatorInfo[]
  /** -1 for a joining validator whose key the directory does not hold yet. */
  readonly selfIndex: number
  readonly seed: Uint8Array
  readonly listen: readonly string[]
}

export type CreateTransport = (options: TransportFactoryOptions, inspect: (bytes: Uint8Array, from: number) => Inspection<Message>, onEvent: (event: TransportEvent) => void) => Transport<Message>

export interface ValidatorNodeDependencies {
  readonly store: Store
  readonly logger: Logger
  /** Default: the libp2p transport. */
  readonly createTransport?: CreateTransport
  /** Wall-clock milliseconds handed to the replica. Default: Date.now. */
  readonly now?: () => number
  /** Timers and the monotonic clock. Default: the process's (REAL_TIMERS). */
  readonly timers?: RuntimeTimers
  /** Worker threads checking sync responses' signatures; 0 checks them on the main
   * thread (the simulator: workers are real concurrency). Default: the core count. */
  readonly signaturePoolSize?: number
}
