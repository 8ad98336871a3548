// The nodes a client talks to, and how it treats them: the order it asks them in, which
// it suspects (asked last for a while after a fault), and how a per-node error is
// recorded for the operation that met it. Browser-safe.
import type { Genesis } from '../src/log/genesis.ts'
import type { ValidatorSet } from '../src/log/validator-set.ts'
import { InvalidProofError, MalformedResponseError, NodeError } from './errors.ts'
import type { NodeApi } from './node-api.ts'
import type { NodeFault, Settings } from './options.ts'
import { backoffMs, isAbortOf } from './util.ts'

/** Per-operation view of the nodes: who failed how, who is excluded. */
export class Attempt {
  readonly errors = new Map<string, NodeError>()
  readonly faulty = new Set<string>()

  record(err: NodeError): void {
    this.errors.set(err.node, err)
  }

  list(): NodeError[] {
    return [...this.errors.values()]
  }
}

export class NodePool {
  readonly genesis: Genesis
  readonly set: ValidatorSet
  readonly nodes: readonly NodeApi[]
  readonly settings: Settings
  readonly random: () => number
  readonly #onFault: ((fault: NodeFault) => void) | undefined
  /** node url -> time (ms) until which it is asked last. */
  readonly #suspectUntil = new Map<string, number>()
  /** The nodes in the order this client submits to (see submissionOrder). */
  readonly #submitOrder: readonly NodeApi[]

  constructor(genesis: Genesis, set: ValidatorSet, nodes: readonly NodeApi[], settings: Settings, random: () => number, onFault: ((fault: NodeFault) => void) | undefined) {
    this.genesis = genesis
    this.set = set
    this.nodes = nodes
    this.settings = settings
    this.random = random
    this.#onFault = onFault
    this.#submitOrder = this.ordered()
  }

  /** f+1 for the genesis: how many nodes must agree before the client believes a refusal. */
  get agreeing(): number {
    return Math.min(this.set.f + 1, this.nodes.length)
  }

  /** Nodes to submit entries to, in this client's fixed order (drawn once: different
   * clients spread over the nodes), suspects last. Fixed, so that an agent's entries go
   * to the same f+1 nodes, each in seq order (an entry's first submissions are answered
   * before the next entry goes out): then every node sees them in seq order, directly or
   * by gossip from those nodes, and a leader seldom has seq n+1 without seq n, which
   * would make n superseded (docs/protocol.md). Shuffled per entry, about one in thirty
   * was (bench/concurrent-commits.ts, 4 validators, 4 clients x 8 commits in flight:
   * 17 of 523; with this order 0 of 884, and 0 of 1,054 at 16 in flight). */
  submissionOrder(exclude: ReadonlySet<string>): NodeApi[] {
    const now = Date.now()
    const suspect = (n: NodeApi): number => ((this.#suspectUntil.get(n.url) ?? 0) > now ? 1 : 0)
    // Array.prototype.sort is stable: the fixed order holds among equals.
    return this.#submitOrder.filter((n) => !exclude.has(n.url)).sort((a, b) => suspect(a) - suspect(b))
  }

  /** Whether `url` is asked last for now (it proved faulty not long ago). */
  suspected(url: string): boolean {
    return (this.#suspectUntil.get(url) ?? 0) > Date.now()
  }

  /** Nodes in the order to ask them: shuffled (spreads load), suspects last. */
  ordered(exclude: ReadonlySet<string> = new Set()): NodeApi[] {
    const now = Date.now()
    const list = this.nodes.filter((n) => !exclude.has(n.url))
    for (let i = list.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1))
      ;[list[i], list[j]] = [list[j]!, list[i]!]
    }
    const suspect = (n: NodeApi): number => ((this.#suspectUntil.get(n.url) ?? 0) > now ? 1 : 0)
    return list.sort((a, b) => suspect(a) - suspect(b))
  }

  /** Records a fault: the node is excluded from this operation and suspected for a while. */
  fault(attempt: Attempt, fault: NodeFault): void {
    attempt.record(fault)
    attempt.faulty.add(fault.node)
    this.#suspectUntil.set(fault.node, Date.now() + this.settings.faultCooldownMs)
    try {
      this.#onFault?.(fault)
    } catch {
      // a listener's error is not the operation's
    }
  }

  /** Records a per-node error; faults also exclude the node from this operation. */
  noteError(attempt: Attempt, err: unknown, signal: AbortSignal | undefined): void {
    if (isAbortOf(err, signal)) throw err
    if (err instanceof InvalidProofError || err instanceof MalformedResponseError) this.fault(attempt, err)
    else if (err instanceof NodeError) attempt.record(err)
    else throw err
  }

  /** The backoff before retry number `failures`, with this client's bounds and jitter. */
  backoffMs(failures: number): number {
    return backoffMs(failures, this.settings.backoffBaseMs, this.settings.backoffMaxMs, this.random)
  }
}
