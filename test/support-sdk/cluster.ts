// A test cluster for the SDK: several real HTTP API servers (node/api/server.ts) on
// 127.0.0.1, all over ONE in-memory ledger (test/support/memory-backend.ts), so they answer
// like the honest nodes of one chain; plus lying nodes, each a NodeBackend decorator
// that forges one thing. A timer commits the shared mempool every few ms, so receipts
// appear as they would on a live chain. No consensus runs here.
import { createApiServer, type ApiServer } from '../../node/api/server.ts'
import type { CorsOrigins } from '../../node/api/cors.ts'
import type { EntryLookup, LogPage, LogQuery, LogRecord, NodeBackend, NodeHealth, SidecarSource, SubmitResult, SubscribeOptions } from '../../node/api/backend.ts'
import { TestMemoryBackend } from '../support/memory-backend.ts'
import { NodeMetrics } from '../../node/metrics/metrics.ts'
import { signMessage } from '../../src/crypto/ed25519.ts'
import type { CommitCertificate } from '../../src/log/certificates.ts'
import { commitNoteMessage } from '../../src/log/checkpoint-note.ts'
import { entryId, type Entry, type Hash } from '../../src/log/entry.ts'
import { toHex } from '../../src/crypto/hash.ts'
import { PolicyDeniedError } from '../../node/api/errors.ts'
import type { Receipt } from '../../src/log/receipt.ts'
import { bitmapOf } from '../../src/log/signer-bitmap.ts'
import { seedOf, testNet, type TestNet } from '../support/chain-builder.ts'

export type Lie =
  /** Receipts whose inclusion proof has a flipped bit. */
  | 'bad-proof'
  /** Receipts whose commit certificate has one signature (below quorum). */
  | 'weak-cc'
  /** Receipts whose commit certificate is signed by keys that are not the validators'. */
  | 'foreign-cc'
  /** The receipt of another committed entry. */
  | 'other-entry'
  /** Accepts entries and drops them; knows nothing. */
  | 'censor'
  /** Streams and queries records whose payload was altered (signature no longer verifies). */
  | 'tamper-records'
  /** Refuses every entry with 403 policy-denied. */
  | 'deny'
  /** Serves sealed entries' sidecars with one bit of the blob flipped. */
  | 'tamper-sidecar'

/** A NodeBackend that lies in one way and otherwise forwards to the honest ledger. */
export class LyingBackend implements NodeBackend {
  readonly #inner: TestMemoryBackend
  readonly #lie: Lie
  readonly #net: TestNet

  constructor(inner: TestMemoryBackend, lie: Lie, net: TestNet) {
    this.#inner = inner
    this.#lie = lie
    this.#net = net
  }

  /** Only the sidecar-tampering liar keeps sidecars (its honest ledger's, served altered). */
  get sidecars(): SidecarSource | undefined {
    if (this.#lie !== 'tamper-sidecar') return undefined
    const inner = this.#inner.sidecars
    return {
      put: (id, sidecar) => inner.put(id, sidecar),
      async get(id) {
        const held = await inner.get(id)
        if (held.status !== 'stored') return held
        const blob = Uint8Array.from(held.sidecar.blob)
        blob[blob.length - 1]! ^= 0x01
        return { status: 'stored', sidecar: { blob, key: held.sidecar.key } }
      },
    }
  }

  async submitEntry(entry: Entry, signal: AbortSignal): Promise<SubmitResult> {
    if (this.#lie === 'censor') return { id: entryId(entry), status: 'accepted' }
    if (this.#lie === 'deny') throw new PolicyDeniedError(entry.namespace, toHex(entry.agent))
    return this.#inner.submitEntry(entry, signal)
  }

  async getEntry(id: Hash, signal: AbortSignal): Promise<EntryLookup | null> {
    if (this.#lie === 'censor') return null
    return this.#inner.getEntry(id, signal)
  }

  async getReceipt(id: Hash, signal: AbortSignal): Promise<Receipt | null> {
    if (this.#lie === 'censor') return null
    const honest = await this.#inner.getReceipt(id, signal)
    if (honest === null) return null
    return this.#forge(honest, signal)
  }

  async awaitReceipt(id: Hash, waitMs: number, signal: AbortSignal): Promise<Receipt | null> {
    if (this.#lie === 'censor') {
      // Knows nothing: holds the client until the deadline.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitMs)
        signal.addEventListener('abort', () => { clearTimeout(timer); resolve() }, { once: true })
      })
      signal.throwIfAborted()
      return null
    }
    const honest = await this.#inner.awaitReceipt(id, waitMs, signal)
    if (honest === null) return null
    return this.#forge(honest, signal)
  }

  async #forge(r: Receipt, signal: AbortSignal): Promise<Receipt> {
    switch (this.#lie) {
      case 'bad-proof': {
        if (r.proof.length === 0) {
          // A one-entry log has an empty proof: claim a bigger log instead.
          return { ...r, checkpoint: { ...r.checkpoint, logSize: r.checkpoint.logSize + 1 } }
        }
        const proof = r.proof.map((h) => Uint8Array.from(h))
        proof[0]![0]! ^= 0x01
        return { ...r, proof }
      }
      case 'weak-cc':
        return { ...r, checkpoint: { ...r.checkpoint, signers: bitmapOf([0], this.#net.validatorSeeds.length), sigs: r.checkpoint.sigs.slice(0, 1) } }
      case 'foreign-cc':
        return { ...r, checkpoint: signForeignCc(r.checkpoint, this.#net) }
      case 'other-entry': {
        const page = await this.#inner.query({ limit: 1000 }, signal)
        const other = page.items.find((item) => item.index !== r.index)
        if (other === undefined) return { ...r, entry: { ...r.entry, seq: r.entry.seq + 1 } }
        const receipt = await this.#inner.getReceipt(other.id, signal)
        return receipt ?? r
      }
      default:
        return r
    }
  }

  async query(query: LogQuery, signal: AbortSignal): Promise<LogPage> {
    const page = await this.#inner.query(query, signal)
    if (this.#lie !== 'tamper-records') return page
    return { ...page, items: page.items.map(tamper) }
  }

  subscribe(options: SubscribeOptions, signal: AbortSignal): AsyncIterable<LogRecord> {
    const source = this.#inner.subscribe(options, signal)
    if (this.#lie !== 'tamper-records') return source
    return (async function* () {
      for await (const record of source) yield tamper(record)
    })()
  }

  latestCheckpoint(signal: AbortSignal): Promise<CommitCertificate | null> {
    return this.#inner.latestCheckpoint(signal)
  }

  consistencyProof(oldSize: number, newSize: number, signal: AbortSignal): Promise<Hash[]> {
    return this.#inner.consistencyProof(oldSize, newSize, signal)
  }

  exportBlocks(fromHeight: number, toHeight: number, signal: AbortSignal): ReturnType<NodeBackend['exportBlocks']> {
    return this.#inner.exportBlocks(fromHeight, toHeight, signal)
  }

  health(): NodeHealth {
    return this.#inner.health()
  }
}

function tamper(record: LogRecord): LogRecord {
  const payload = JSON.stringify({ tampered: true, was: record.entry.payload.length })
  return { ...record, entry: { ...record.entry, payload } }
}

/** A CC over the same statement, signed by a quorum of keys that are not validators. */
function signForeignCc(cc: CommitCertificate, net: TestNet): CommitCertificate {
  const n = net.validatorSeeds.length
  const message = commitNoteMessage(net.genesis.chainId, cc)
  const who = cc.sigs.map((_, i) => i)
  return { ...cc, signers: bitmapOf(who, n), sigs: who.map((i) => signMessage(seedOf(`impostor/${i}`), message)) }
}

/** The ledger as one more node: the same log, its own sidecars. */
function withSidecars(ledger: TestMemoryBackend, sidecars: SidecarSource): NodeBackend {
  return new Proxy(ledger, {
    get(target, property) {
      if (property === 'sidecars') return sidecars
      const value: unknown = Reflect.get(target, property, target)
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
    },
  })
}

export interface ClusterNode {
  readonly url: string
  readonly server: ApiServer
  readonly lie: Lie | null
  closed: boolean
}

export interface TestCluster {
  readonly net: TestNet
  readonly ledger: TestMemoryBackend
  readonly nodes: ClusterNode[]
  /** URLs of all nodes, honest first then liars (in the order given). */
  readonly urls: string[]
  /** Kills one node: closes its server (open streams end, new connections are refused). */
  kill(url: string): Promise<void>
  /** Stops the commit timer (entries then wait in the mempool). */
  pause(): void
  resume(): void
  close(): Promise<void>
}

export interface ClusterOptions {
  readonly honest: number
  readonly liars?: readonly Lie[]
  /** Commit timer period; default 5 ms. */
  readonly commitEveryMs?: number
  readonly net?: TestNet
  /** Web origins whose pages may call the nodes (node/api/cors.ts); default none. */
  readonly corsOrigins?: CorsOrigins
}

export async function startCluster(options: ClusterOptions): Promise<TestCluster> {
  const net = options.net ?? testNet(4, 'sdk-chain')
  const ledger = new TestMemoryBackend({ genesis: net.genesis, validatorSeeds: net.validatorSeeds })
  const nodes: ClusterNode[] = []
  const make = async (backend: NodeBackend, lie: Lie | null): Promise<void> => {
    const server = createApiServer(
      { port: 0, payloadBytesMax: net.genesis.params.payloadBytesMax, genesis: net.genesis, corsOrigins: options.corsOrigins ?? [], limits: { ipRatePerSecond: 100_000, ipBurst: 100_000, agentRatePerSecond: 100_000, agentBurst: 100_000 } },
      { backend, metrics: new NodeMetrics({ processMetrics: false }) },
    )
    const { url } = await server.listen()
    nodes.push({ url, server, lie, closed: false })
  }
  // Each honest node has sidecars of its own over the one ledger (an erase reaches all).
  for (let i = 0; i < options.honest; i++) await make(i === 0 ? ledger : withSidecars(ledger, ledger.sidecarNode()), null)
  for (const lie of options.liars ?? []) await make(new LyingBackend(ledger, lie, net), lie)
  let paused = false
  const timer = setInterval(() => {
    if (!paused && ledger.mempoolSize > 0) ledger.commit()
  }, options.commitEveryMs ?? 5)
  return {
    net,
    ledger,
    nodes,
    urls: nodes.map((n) => n.url),
    async kill(url) {
      const node = nodes.find((n) => n.url === url)
      if (node === undefined || node.closed) return
      node.closed = true
      node.server.app.server.closeAllConnections()
      await node.server.close()
    },
    pause() {
      paused = true
    },
    resume() {
      paused = false
    },
    async close() {
      clearInterval(timer)
      for (const node of nodes) {
        if (node.closed) continue
        node.closed = true
        node.server.app.server.closeAllConnections()
        await node.server.close()
      }
    },
  }
}
