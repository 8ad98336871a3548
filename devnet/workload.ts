// The devnet's demo workload: agents committing signed decisions over HTTP. Each agent
// keeps a small window of entries in flight at its home node (so its seqs arrive in
// order) and learns of commits from one subscription stream; commit latency is the time
// from submitting an entry to seeing it committed.
import { toHex } from '../src/crypto/hash.ts'
import { entryId, signEntry, type Entry, type Hash } from '../src/log/entry.ts'
import type { KeyFile } from '../node/runtime/key-file.ts'
import { postEntry, subscribeEntries } from './http-client.ts'

export interface WorkloadOptions {
  readonly chainId: string
  readonly agents: readonly KeyFile[]
  /** HTTP base URLs of the nodes; agent a submits to nodeUrls[a % length]. */
  readonly nodeUrls: readonly string[]
  /** Entries one agent has in flight at once. */
  readonly window: number
  /** Node whose subscription stream reports commits. */
  readonly watchUrl: string
  /** Log index the subscription starts at (the log size when the workload starts). */
  readonly fromIndex: number
}

export interface WorkloadStats {
  readonly submitted: number
  readonly committed: number
  readonly refused: number
  readonly retries: number
  readonly inFlight: number
}

/** Latency samples kept (reservoir): enough for stable percentiles, bounded memory. */
const LATENCY_SAMPLES_MAX = 100_000
/** Wait before resubmitting after a busy answer or a network error. */
const RETRY_DELAY_MS = 100
/** A rejection answer is retried this many times before the entry is given up. */
const RETRIES_MAX = 50

const DECISIONS = ['approve', 'deploy', 'rollback', 'escalate', 'defer'] as const

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve()
    const timer = setTimeout(done, ms)
    function done(): void {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done, { once: true })
  })
}

export class Workload {
  readonly #options: WorkloadOptions
  readonly #stop = new AbortController()
  readonly #watch = new AbortController()
  /** Entry id (hex) -> submit time and agent, while in flight. */
  readonly #pending = new Map<string, { atMs: number, agent: number }>()
  readonly #inFlight: number[]
  readonly #wakers: ((() => void) | null)[]
  readonly #latencies: number[] = []
  #latencySeen = 0
  #submitted = 0
  #committed = 0
  #refused = 0
  #retries = 0
  #agents: Promise<void>[] = []
  #watcher: Promise<void> = Promise.resolve()
  #watchError: Error | null = null
  /** Recent commit times, for the live rate. */
  readonly #commitTimes: number[] = []

  constructor(options: WorkloadOptions) {
    if (options.nodeUrls.length === 0) throw new RangeError('the workload needs at least one node')
    if (!(Number.isInteger(options.window) && options.window >= 1 && options.window <= 1000)) throw new RangeError(`window ${options.window} is not 1-1000`)
    this.#options = options
    this.#inFlight = options.agents.map(() => 0)
    this.#wakers = options.agents.map(() => null)
  }

  get stats(): WorkloadStats {
    return { submitted: this.#submitted, committed: this.#committed, refused: this.#refused, retries: this.#retries, inFlight: this.#pending.size }
  }

  get watchError(): Error | null {
    return this.#watchError
  }

  /** Commits seen in the last `windowMs`. */
  recentCommits(windowMs: number, now = Date.now()): number {
    while (this.#commitTimes.length > 0 && this.#commitTimes[0]! < now - 60_000) this.#commitTimes.shift()
    let count = 0
    for (let i = this.#commitTimes.length - 1; i >= 0 && this.#commitTimes[i]! >= now - windowMs; i--) count++
    return count
  }

  /** Latency percentiles in ms (null before the first commit). */
  latency(): { p50: number, p95: number, p99: number, max: number, mean: number } | null {
    if (this.#latencies.length === 0) return null
    const sorted = [...this.#latencies].sort((a, b) => a - b)
    const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
    const mean = sorted.reduce((s, v) => s + v, 0) / sorted.length
    return { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: sorted.at(-1)!, mean: Math.round(mean) }
  }

  start(): void {
    this.#watcher = subscribeEntries(this.#options.watchUrl, this.#options.fromIndex, this.#watch.signal, (id) => this.#onCommitted(id))
      .catch((err: unknown) => {
        if (!this.#watch.signal.aborted) this.#watchError = err as Error
      })
    this.#agents = this.#options.agents.map((agent, a) => this.#runAgent(agent, a))
  }

  /** Stops submitting, then waits up to `graceMs` for entries in flight to commit. */
  async stop(graceMs: number): Promise<void> {
    this.#stop.abort()
    await Promise.all(this.#agents)
    const deadline = Date.now() + graceMs
    // Polls until the window drains or the grace period ends.
    while (this.#pending.size > 0 && Date.now() < deadline && this.#watchError === null) await new Promise((r) => setTimeout(r, 50))
    this.#watch.abort()
    await this.#watcher
  }

  #onCommitted(idHex: string): void {
    const pending = this.#pending.get(idHex)
    if (pending === undefined) return
    this.#pending.delete(idHex)
    const now = Date.now()
    this.#committed++
    this.#commitTimes.push(now)
    this.#sample(now - pending.atMs)
    this.#inFlight[pending.agent]!--
    const wake = this.#wakers[pending.agent]
    this.#wakers[pending.agent] = null
    wake?.()
  }

  #sample(latencyMs: number): void {
    this.#latencySeen++
    if (this.#latencies.length < LATENCY_SAMPLES_MAX) {
      this.#latencies.push(latencyMs)
      return
    }
    const slot = Math.floor(Math.random() * this.#latencySeen)
    if (slot < LATENCY_SAMPLES_MAX) this.#latencies[slot] = latencyMs
  }

  async #runAgent(agent: KeyFile, a: number): Promise<void> {
    const { chainId, nodeUrls, window } = this.#options
    const home = nodeUrls[a % nodeUrls.length]!
    const signal = this.#stop.signal
    const recent: Hash[] = []
    // Runs until stopped; each pass submits one entry or waits for room in the window.
    for (let seq = 1; !signal.aborted; seq++) {
      while (this.#inFlight[a]! >= window && !signal.aborted) {
        await new Promise<void>((resolve) => {
          this.#wakers[a] = resolve
          signal.addEventListener('abort', () => resolve(), { once: true })
        })
      }
      if (signal.aborted) return
      const entry: Entry = signEntry({
        agent: agent.publicKey,
        namespace: `demo/agent-${a}`,
        seq,
        payload: JSON.stringify({ decision: DECISIONS[seq % DECISIONS.length], ticket: 1000 + seq, by: `agent-${a}` }),
        refs: seq % 5 === 0 && recent.length > 0 ? [recent.at(-1)!] : [],
        idempotencyKey: `agent-${a}-${seq}`,
      }, chainId, agent.seed)
      const id = entryId(entry)
      const idHex = toHex(id)
      for (let attempt = 0; attempt <= RETRIES_MAX && !signal.aborted; attempt++) {
        if (attempt > 0) {
          this.#retries++
          await sleep(RETRY_DELAY_MS, signal)
          if (signal.aborted) return
        }
        this.#pending.set(idHex, { atMs: Date.now(), agent: a })
        this.#inFlight[a]!++
        const status = await postEntry(home, entry).then((answer) => answer.status, () => 0)
        if (status === 200 || status === 202) {
          this.#submitted++
          recent.push(id)
          if (recent.length > 8) recent.shift()
          break
        }
        // Not taken: undo the in-flight mark, unless it committed meanwhile.
        if (this.#pending.delete(idHex)) this.#inFlight[a]!--
        if (status === 0 || status === 429 || status === 503) continue
        this.#refused++
        break
      }
    }
  }
}
