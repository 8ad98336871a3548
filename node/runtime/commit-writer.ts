// Writes what the replica commits to the store: committed blocks (with the commit
// events and latencies they report) and commit certificates, including those that
// arrive before their block's commit has landed.
import type { Logger } from 'pino'
import { toHex } from '../../src/crypto/hash.ts'
import type { Action, BoundaryCertificate } from '../../src/consensus/types.ts'
import type { CommitCertificate } from '../../src/log/certificates.ts'
import { entryId } from '../../src/log/entry.ts'
import { NODE_LIMITS } from '../limits.ts'
import type { DurableWrite, Store } from '../store/store.ts'
import type { CommitSignal } from './commit-signal.ts'
import type { EmitNodeEvent } from './node-events.ts'
import type { PendingSubmissions } from './pending-submissions.ts'
import type { ProposalSightings } from './proposal-sightings.ts'

export interface CommitWriterDependencies {
  readonly store: Store
  readonly logger: Logger
  readonly now: () => number
  readonly emit: EmitNodeEvent
  readonly traceHop: (hop: string, fields: Readonly<Record<string, unknown>>) => void
  readonly pending: PendingSubmissions
  readonly sightings: ProposalSightings
  readonly commits: CommitSignal
  /** Told of the blocks of each commit once it is written (sidecar replication). */
  readonly committed?: (blocks: Extract<Action, { type: 'commit' }>['blocks']) => void
}

export class CommitWriter {
  readonly #d: CommitWriterDependencies
  /** Height of the highest commit certificate in the store. */
  #ccHeight = 0
  /** Commit certificates above the store's head, by height: their blocks' commit is
   * still being written. Stored once it lands (#storeEarlyCertificates). */
  readonly #earlyCertificates = new Map<number, CommitCertificate>()
  /** Boundary certificates whose reconfiguration block's commit is still being written
   * (held or deferred behind the step's persist or vote, executeActions), by height. */
  readonly #earlyBoundaries = new Map<number, BoundaryCertificate>()

  constructor(dependencies: CommitWriterDependencies) {
    this.#d = dependencies
  }

  /** Height of the highest stored commit certificate: every committed entry at or below
   * it has a receipt. */
  get ccHeight(): number {
    return this.#ccHeight
  }

  /** The height of the store's highest certificate, read at start. */
  set ccHeight(height: number) {
    this.#ccHeight = height
  }

  /** Writes a commit; with `durable`, that persist in the same batch (executeActions). */
  async commit(action: Extract<Action, { type: 'commit' }>, durable?: DurableWrite): Promise<void> {
    await this.#d.store.commit({ blocks: action.blocks, hashes: action.hashes, qc: action.qc, cc: action.cc, log: action.log }, durable)
    this.#d.traceHop('commit-written', { height: action.blocks[action.blocks.length - 1]?.header.height, cc: action.cc?.height ?? null })
    this.#d.committed?.(action.blocks)
    // The batch stored this certificate: the same one handed over again while the commit
    // was on its way (a store-commit-certificate action of the same step) is not written twice.
    if (action.cc !== null) this.#earlyCertificates.delete(action.cc.height)
    const now = this.#d.now()
    for (let i = 0; i < action.blocks.length; i++) {
      const block = action.blocks[i]!
      const hashHex = toHex(action.hashes[i]!)
      const seen = this.#d.sightings.take(hashHex)
      const entryIds = block.entries.map((entry) => toHex(entryId(entry)))
      // The replica dropped the superseded entries from its mempool at this commit.
      const { latenciesMs: entryLatenciesMs, superseded: supersededIds } = this.#d.pending.commit(block.entries, entryIds, now)
      this.#d.emit({
        type: 'commit', height: block.header.height, hash: action.hashes[i]!, entries: block.entries.length,
        logSize: block.header.logSize, blockLatencyMs: seen === undefined ? null : now - seen, entryLatenciesMs, entryIds, supersededIds,
      })
    }
    if (action.cc !== null) this.#certified(action.cc.height)
    await this.#storeEarlyCertificates()
    await this.#storeEarlyBoundaries()
    this.#d.commits.notify()
  }

  /** Stores a commit certificate the replica hands over. The replica gives it for a
   * block it has committed, whose commit may still be on its way to the store (a commit
   * does not hold up the actions after it, see executeActions): then it is kept and
   * stored when that commit lands, before the step ends. */
  async storeCertificate(cc: CommitCertificate): Promise<void> {
    if (cc.height === this.#ccHeight) return // stored already: every proposal repeats it
    if (cc.height > this.#d.store.head.height) {
      this.#keepEarlyCertificate(cc)
      return
    }
    await this.#d.store.saveCommitCertificate(cc)
    this.#d.traceHop('cc-written', { height: cc.height })
    this.#certified(cc.height)
  }

  /** Stores the boundary certificate of the reconfiguration block at `height`, which the
   * replica hands over once that block is committed. The commit may still be on its way
   * (a commit held for the step's persist, or deferred after its vote, runs after the
   * actions before it: executeActions): then it is kept and stored when that commit
   * lands, before the step ends. */
  async storeBoundary(height: number, boundary: BoundaryCertificate): Promise<void> {
    if (height > this.#d.store.head.height) {
      // At most one per reconfiguration block, and one reconfiguration block at a time
      // ahead of the head: the replica hands over the boundary of its own epoch only.
      this.#earlyBoundaries.set(height, boundary)
      return
    }
    await this.#saveBoundary(height, boundary)
  }

  async #storeEarlyBoundaries(): Promise<void> {
    for (const [height, boundary] of landed(this.#earlyBoundaries, this.#d.store.head.height)) {
      this.#earlyBoundaries.delete(height)
      await this.#saveBoundary(height, boundary)
    }
  }

  async #saveBoundary(height: number, boundary: BoundaryCertificate): Promise<void> {
    const outcome = await this.#d.store.saveBoundaryCertificate(height, boundary)
    this.#d.logger.info({ height, links: boundary.links.length, outcome }, 'boundary certificate of an epoch change')
  }

  #keepEarlyCertificate(cc: CommitCertificate): void {
    if (this.#earlyCertificates.size >= NODE_LIMITS.earlyCommitCertificatesMax && !this.#earlyCertificates.has(cc.height)) {
      // Full: the highest goes (the one furthest from being stored; it comes again).
      const highest = Math.max(...this.#earlyCertificates.keys())
      if (cc.height > highest) {
        this.#d.logger.debug({ height: cc.height, head: this.#d.store.head.height }, 'early commit certificate dropped: too many kept')
        return
      }
      this.#earlyCertificates.delete(highest)
    }
    this.#earlyCertificates.set(cc.height, cc)
  }

  /** Stores the kept certificates the head has reached. */
  async #storeEarlyCertificates(): Promise<void> {
    for (const [height, cc] of landed(this.#earlyCertificates, this.#d.store.head.height)) {
      this.#earlyCertificates.delete(height)
      await this.#d.store.saveCommitCertificate(cc)
      this.#certified(height)
    }
  }

  #certified(height: number): void {
    if (height <= this.#ccHeight) return
    this.#ccHeight = height
    this.#d.emit({ type: 'certified', height })
  }
}

/** What of `held` the head has reached (height <= head), lowest first. */
function landed<T>(held: ReadonlyMap<number, T>, head: number): [number, T][] {
  return [...held].filter(([height]) => height <= head).sort((a, b) => a[0] - b[0])
}
