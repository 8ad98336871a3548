// Prometheus metrics of a node. The protocol code never touches them: the node driver
// reports events through the small NodeMetricsRecorder interface (it counts the
// actions the consensus core returns), and the HTTP server records its own requests.
// GET /metrics renders the registry.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import { SYNOD_VERSION } from '../../src/version.ts'

/** Why a network message was dropped. A fixed set, so the label's cardinality is
 * bounded whatever a peer sends; anything else is counted as 'other'. */
export const REJECT_REASONS = [
  'malformed', // does not decode, or breaks a field bound
  'oversized', // over a byte limit
  'bad-signature', // a signature or certificate does not verify
  'unknown-sender', // not from a validator of this chain
  'wrong-chain', // for another chain id or genesis
  'stale', // for a round or height already past (ignored, not penalised)
  'invalid', // well-formed and signed but breaks a protocol rule
  'equivocation', // a second, different message for the same slot
  'rate-limited', // the sender exceeded its budget
  'other',
] as const
export type RejectReason = (typeof REJECT_REASONS)[number]

/** The transport's counters the metrics read (node/net/transport.ts TransportStats). */
export interface TransportCounters {
  readonly sentFrames: number
  readonly sentBytes: number
  readonly receivedFrames: number
  readonly receivedBytes: number
}

/** Sidecar replication's counters the metrics read (node/runtime/sidecar-replication.ts
 * SidecarReplicationStats); the codes of `ignored` and `rejected` are a closed set. */
export interface SidecarCounters {
  readonly announced: number
  readonly announceDropped: number
  readonly requested: number
  readonly stored: number
  readonly served: number
  readonly givenUp: number
  readonly ignored: ReadonlyMap<string, number>
  readonly rejected: ReadonlyMap<string, number>
  /** Wanted sidecars held in memory now. */
  readonly wanted: number
}

/** What the node driver calls. Every method is cheap and synchronous. */
export interface NodeMetricsRecorder {
  /** A block was committed: its height, its number of entries, and the seconds from when
   * this node first saw its proposal to its commit (null when unknown, e.g. during sync). */
  blockCommitted(height: number, entries: number, latencySeconds: number | null): void
  /** Entries submitted through this node committed: for each, the seconds from its
   * acceptance here (POST /v1/entries) to its commit here. */
  entriesCommitted(latenciesSeconds: readonly number[]): void
  /** Where the sync lag (heights the node knows of beyond its committed head) is read,
   * at each scrape: a stalled node emits no events, yet its lag must stay current. */
  syncLagFrom(read: () => number): void
  /** Where the validator-to-validator message and byte counters are read, at each scrape
   * (null before the transport started). */
  transportFrom(read: () => TransportCounters | null): void
  /** Where sidecar replication's counters are read, at each scrape (null without it). */
  sidecarsFrom(read: () => SidecarCounters | null): void
  /** The node entered a new round. */
  roundEntered(round: number): void
  /** This node's round timer expired. */
  roundTimedOut(): void
  /** The round advanced through a timeout certificate rather than a QC. */
  viewChanged(): void
  /** Connected validator peers. */
  peersChanged(peers: number): void
  /** Entries in the mempool. */
  mempoolChanged(entries: number): void
  /** A network message was dropped. */
  messageRejected(reason: RejectReason): void
}

/** Why the server closed a stream. */
export type StreamCloseReason = 'client-gone' | 'slow-client' | 'error' | 'done' | 'server-closing'

export interface NodeMetricsOptions {
  /** Also collect the process and Node.js runtime metrics of prom-client (memory, event
   * loop lag, GC...). On by default; tests turn it off. */
  readonly processMetrics?: boolean
  /** Labels of synod_build_info that name this node (besides the version). */
  readonly chainId?: string
  readonly validator?: number
}

/** prom-client's default metrics that `promtool check metrics` rejects: gauges named
 * *_total (a suffix for counters). Each is the sum over the `type` label of the metric
 * of the same name without it (nodejs_active_handles...), which stays. */
const DEFAULT_METRICS_DROPPED = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'] as const

const LATENCY_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]
const HTTP_BUCKETS_SECONDS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5]

export class NodeMetrics implements NodeMetricsRecorder {
  readonly registry: Registry
  readonly #height: Gauge
  readonly #round: Gauge
  readonly #commits: Counter<'kind'>
  readonly #commitLatency: Histogram
  readonly #submitToCommit: Histogram
  #syncLagRead: (() => number) | null = null
  #transportRead: (() => TransportCounters | null) | null = null
  #sidecarsRead: (() => SidecarCounters | null) | null = null
  readonly #timeouts: Counter
  readonly #viewChanges: Counter
  readonly #peers: Gauge
  readonly #mempool: Gauge
  readonly #rejected: Counter<'reason'>
  readonly #httpRequests: Counter<'method' | 'route' | 'status'>
  readonly #httpDuration: Histogram<'route'>
  readonly #httpRateLimited: Counter<'scope'>
  readonly #httpStreams: Gauge<'kind'>
  readonly #httpStreamClosed: Counter<'kind' | 'reason'>

  constructor(options: NodeMetricsOptions = {}) {
    this.registry = new Registry()
    const registers = [this.registry]
    this.#height = new Gauge({ name: 'synod_height', help: 'Height of the latest committed block', registers })
    this.#round = new Gauge({ name: 'synod_round', help: 'Current consensus round', registers })
    this.#commits = new Counter({ name: 'synod_commits_total', help: 'Committed blocks and entries', labelNames: ['kind'], registers })
    this.#commitLatency = new Histogram({
      name: 'synod_commit_latency_seconds',
      help: 'Seconds from first seeing a block proposal to committing it',
      buckets: LATENCY_BUCKETS_SECONDS,
      registers,
    })
    this.#submitToCommit = new Histogram({
      name: 'synod_submit_to_commit_seconds',
      help: 'Seconds from accepting an entry at this node (POST /v1/entries) to committing it here',
      buckets: LATENCY_BUCKETS_SECONDS,
      registers,
    })
    const read = (): number | null => this.#syncLagRead?.() ?? null
    new Gauge({
      name: 'synod_sync_lag_heights',
      help: 'Heights a verified commit certificate covers that this node has not committed yet (as lagHeights in /healthz)',
      registers,
      collect() {
        const lag = read()
        if (lag !== null) this.set(lag)
      },
    })
    const transport = (): TransportCounters | null => this.#transportRead?.() ?? null
    // Counters kept by the transport; read (not counted twice) at each scrape.
    const directionCounter = (name: string, help: string, pick: (stats: TransportCounters) => readonly [number, number]): void => {
      new Counter({
        name, help, labelNames: ['direction'], registers,
        collect() {
          const stats = transport()
          if (stats === null) return
          const [sent, received] = pick(stats)
          this.reset()
          this.inc({ direction: 'sent' }, sent)
          this.inc({ direction: 'received' }, received)
        },
      })
    }
    directionCounter('synod_p2p_messages_total', 'Messages to and from other validators (one frame each), by direction', (stats) => [stats.sentFrames, stats.receivedFrames])
    directionCounter('synod_p2p_bytes_total', 'Encoded message bytes to and from other validators (without transport framing and encryption), by direction', (stats) => [stats.sentBytes, stats.receivedBytes])
    const sidecars = (): SidecarCounters | null => this.#sidecarsRead?.() ?? null
    new Counter({
      name: 'synod_sidecar_replication_total',
      help: 'Sidecar replication between validators, by event: announced (have sent), announce-dropped, requested (want sent), pulled (a peer\'s sidecar kept), served (want answered), given-up',
      labelNames: ['event'], registers,
      collect() {
        const stats = sidecars()
        if (stats === null) return
        this.reset()
        const events = [['announced', stats.announced], ['announce-dropped', stats.announceDropped], ['requested', stats.requested], ['pulled', stats.stored], ['served', stats.served], ['given-up', stats.givenUp]] as const
        for (const [event, count] of events) this.inc({ event }, count)
      },
    })
    new Counter({
      name: 'synod_sidecar_frames_refused_total',
      help: 'Sidecar frames and answers not acted on, by verdict (ignore, reject: the sender penalised) and code',
      labelNames: ['verdict', 'code'], registers,
      collect() {
        const stats = sidecars()
        if (stats === null) return
        this.reset()
        for (const [code, count] of stats.ignored) this.inc({ verdict: 'ignore', code }, count)
        for (const [code, count] of stats.rejected) this.inc({ verdict: 'reject', code }, count)
      },
    })
    new Gauge({
      name: 'synod_sidecars_wanted', help: 'Committed sealed entries whose sidecar this node is asking its peers for (in memory)', registers,
      collect() {
        const stats = sidecars()
        if (stats !== null) this.set(stats.wanted)
      },
    })
    new Gauge({
      name: 'synod_build_info',
      help: 'Always 1; labels: Synod version, Node.js version, chain id and validator index',
      labelNames: ['version', 'node', 'chain', 'validator'],
      registers,
    }).set({ version: SYNOD_VERSION, node: process.version, chain: options.chainId ?? '', validator: options.validator === undefined ? '' : String(options.validator) }, 1)
    this.#timeouts = new Counter({ name: 'synod_timeouts_total', help: 'Round timer expirations on this node', registers })
    this.#viewChanges = new Counter({ name: 'synod_view_changes_total', help: 'Rounds advanced by a timeout certificate', registers })
    this.#peers = new Gauge({ name: 'synod_peers', help: 'Connected validator peers', registers })
    this.#mempool = new Gauge({ name: 'synod_mempool_entries', help: 'Entries waiting in the mempool', registers })
    this.#rejected = new Counter({ name: 'synod_rejected_messages_total', help: 'Network messages dropped, by reason', labelNames: ['reason'], registers })
    this.#httpRequests = new Counter({
      name: 'synod_http_requests_total',
      help: 'HTTP API requests answered, by route pattern and status',
      labelNames: ['method', 'route', 'status'],
      registers,
    })
    this.#httpDuration = new Histogram({
      name: 'synod_http_request_duration_seconds',
      help: 'HTTP API time to answer (to the first byte for streams), by route pattern',
      labelNames: ['route'],
      buckets: HTTP_BUCKETS_SECONDS,
      registers,
    })
    this.#httpRateLimited = new Counter({ name: 'synod_http_rate_limited_total', help: 'HTTP requests refused by a rate limit', labelNames: ['scope'], registers })
    this.#httpStreams = new Gauge({ name: 'synod_http_streams', help: 'Open HTTP streams (subscribe, export)', labelNames: ['kind'], registers })
    this.#httpStreamClosed = new Counter({ name: 'synod_http_stream_closed_total', help: 'HTTP streams closed, by reason', labelNames: ['kind', 'reason'], registers })
    for (const kind of ['block', 'entry']) this.#commits.inc({ kind }, 0)
    for (const reason of REJECT_REASONS) this.#rejected.inc({ reason }, 0)
    if (options.processMetrics ?? true) {
      collectDefaultMetrics({ register: this.registry })
      for (const name of DEFAULT_METRICS_DROPPED) this.registry.removeSingleMetric(name)
    }
  }

  // --- NodeMetricsRecorder: called by the node driver ---

  blockCommitted(height: number, entries: number, latencySeconds: number | null): void {
    this.#height.set(height)
    this.#commits.inc({ kind: 'block' })
    if (entries > 0) this.#commits.inc({ kind: 'entry' }, entries)
    if (latencySeconds !== null && latencySeconds >= 0) this.#commitLatency.observe(latencySeconds)
  }

  entriesCommitted(latenciesSeconds: readonly number[]): void {
    for (const seconds of latenciesSeconds) if (seconds >= 0) this.#submitToCommit.observe(seconds)
  }

  syncLagFrom(read: () => number): void {
    this.#syncLagRead = read
  }

  transportFrom(read: () => TransportCounters | null): void {
    this.#transportRead = read
  }

  sidecarsFrom(read: () => SidecarCounters | null): void {
    this.#sidecarsRead = read
  }

  roundEntered(round: number): void {
    this.#round.set(round)
  }

  roundTimedOut(): void {
    this.#timeouts.inc()
  }

  viewChanged(): void {
    this.#viewChanges.inc()
  }

  peersChanged(peers: number): void {
    this.#peers.set(peers)
  }

  mempoolChanged(entries: number): void {
    this.#mempool.set(entries)
  }

  messageRejected(reason: RejectReason): void {
    this.#rejected.inc({ reason: (REJECT_REASONS as readonly string[]).includes(reason) ? reason : 'other' })
  }

  // --- called by the HTTP server ---

  /** `route` is the route pattern (e.g. '/v1/entries/:id'), never the raw URL. */
  httpRequest(method: string, route: string, status: number, seconds: number): void {
    this.#httpRequests.inc({ method, route, status: String(status) })
    this.#httpDuration.observe({ route }, seconds)
  }

  httpRateLimited(scope: 'ip' | 'agent' | 'streams' | 'receipt-waiters' | 'connections'): void {
    this.#httpRateLimited.inc({ scope })
  }

  streamOpened(kind: 'subscribe' | 'export'): void {
    this.#httpStreams.inc({ kind })
  }

  streamClosed(kind: 'subscribe' | 'export', reason: StreamCloseReason): void {
    this.#httpStreams.dec({ kind })
    this.#httpStreamClosed.inc({ kind, reason })
  }

  /** The Prometheus text exposition of every metric. */
  async render(): Promise<{ contentType: string, body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() }
  }
}
