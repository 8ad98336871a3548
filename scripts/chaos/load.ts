// The chaos run's load: a few SDK clients (SynodClient), one agent each, committing small
// decisions through all the validators, one at a time or in bursts of concurrent commit()
// calls on the same client. Every choice (action, burst size, pause, payload) comes from
// the agent's own seeded stream. It records what the checks need: every acknowledged
// commit (a verified receipt: entry id and log index), every failed commit by error, and
// every entry a validator accepted (POST /v1/entries answered 200/202), seen through the
// client's fetch.
import { AgentIdentity, CommitTimeoutError, SynodClient, type FetchLike, type Genesis } from '../../sdk/index.ts'
import { toHex } from '../../src/crypto/hash.ts'
import { entryFromCbor, entryId } from '../../src/log/entry.ts'
import { fromJson } from '../../src/log/json.ts'
import type { Prng } from '../../scenarios/sim/prng.ts'
import { CHAOS_LIMITS } from './limits.ts'

export interface AckedCommit {
  readonly id: string
  readonly index: number
  readonly agent: number
  readonly key: string
}

export interface FailedCommit {
  readonly agent: number
  readonly key: string
  /** The SDK error's stable name (CommitTimeoutError, NoQuorumReachableError, ...). */
  readonly error: string
  readonly message: string
  /** The entry id, when the error carries it (CommitTimeoutError). */
  readonly id: string | null
}

export interface AcceptedEntry {
  readonly id: string
  readonly agent: string
  readonly seq: number
  readonly key: string
}

/** The client-side record of a run's load, read by the checks. */
export interface LoadRecord {
  readonly started: number
  readonly acked: readonly AckedCommit[]
  readonly failed: readonly FailedCommit[]
  /** Entry id (hex) -> what a validator accepted. */
  readonly accepted: ReadonlyMap<string, AcceptedEntry>
  /** Commits still unfinished when the run stopped waiting (then aborted). */
  readonly unfinished: number
}

export type BurstListener = () => void

/** Why a commit still in flight was aborted: the run stopped waiting for it. */
export class CommitAbandonedError extends Error {
  override readonly name = 'CommitAbandonedError'
  readonly waitedMs: number
  constructor(waitedMs: number) {
    super(`the chaos run stopped waiting for commits ${waitedMs} ms after the load stopped`)
    this.waitedMs = waitedMs
  }
}

/** One action of an agent: commits started at once (one, or a burst), each with its
 * payload's padding, then a pause. */
export interface LoadAction {
  readonly pads: readonly number[]
  readonly pauseMs: number
}

export function drawAction(prng: Prng): LoadAction {
  const burst = prng.chance(CHAOS_LIMITS.burstChance)
  const size = burst ? prng.range(CHAOS_LIMITS.burstSizeMin, CHAOS_LIMITS.burstSizeMax) : 1
  const pads = Array.from({ length: size }, () => prng.int(CHAOS_LIMITS.payloadPadMax + 1))
  return { pads, pauseMs: prng.range(CHAOS_LIMITS.pauseMsMin, CHAOS_LIMITS.pauseMsMax) }
}

export class ChaosLoad {
  readonly #genesis: Genesis
  readonly #urls: readonly string[]
  /** Each agent's choices (actions, burst sizes, pauses, payloads). */
  readonly #prngs: readonly Prng[]
  /** Each agent's client's randomness (jitter, node order): drawn at moments that depend
   * on timing, so it is a stream of its own and the choices above stay the same. */
  readonly #clientPrngs: readonly Prng[]
  readonly #identities: readonly AgentIdentity[]
  readonly #stop = new AbortController()
  /** Aborts commits still in flight once the run stops waiting for them. */
  readonly #abandon = new AbortController()
  readonly #acked: AckedCommit[] = []
  readonly #failed: FailedCommit[] = []
  readonly #accepted = new Map<string, AcceptedEntry>()
  readonly #burstListeners = new Set<BurstListener>()
  #started = 0
  #inFlight = 0
  #abandoned = 0
  #agents: Promise<void>[] = []

  /** `prng` gives each agent its identity and its own stream of choices. */
  constructor(genesis: Genesis, urls: readonly string[], prng: Prng) {
    this.#genesis = genesis
    this.#urls = urls
    this.#identities = Array.from({ length: CHAOS_LIMITS.agents }, () => AgentIdentity.fromSeed(prng.bytes(32)))
    this.#prngs = this.#identities.map(() => prng.fork())
    this.#clientPrngs = this.#identities.map(() => prng.fork())
  }

  get ackedCount(): number {
    return this.#acked.length
  }

  get inFlight(): number {
    return this.#inFlight
  }

  /** Called each time an agent starts a burst (its commits are then in flight). */
  onBurst(listener: BurstListener): () => void {
    this.#burstListeners.add(listener)
    return () => this.#burstListeners.delete(listener)
  }

  start(): void {
    this.#agents = this.#identities.map((identity, a) => this.#runAgent(identity, a, this.#prngs[a]!, this.#clientPrngs[a]!))
  }

  /** Stops starting commits, waits up to `waitMs` for those in flight, aborts the rest. */
  async stop(waitMs: number): Promise<void> {
    this.#stop.abort()
    const timer = setTimeout(() => {
      this.#abandoned = this.#inFlight
      this.#abandon.abort(new CommitAbandonedError(waitMs))
    }, waitMs)
    await Promise.all(this.#agents)
    clearTimeout(timer)
  }

  record(): LoadRecord {
    return { started: this.#started, acked: this.#acked, failed: this.#failed, accepted: this.#accepted, unfinished: this.#abandoned }
  }

  async #runAgent(identity: AgentIdentity, a: number, prng: Prng, clientPrng: Prng): Promise<void> {
    const client = new SynodClient({
      nodes: this.#urls,
      genesis: this.#genesis,
      identity,
      random: () => clientPrng.float(),
      fetch: this.#watchingFetch(),
      commitTimeoutMs: CHAOS_LIMITS.commitTimeoutMs,
    })
    let n = 0
    // One action per pass until stopped; bounded in count by commitsMax.
    while (!this.#stop.signal.aborted && this.#started < CHAOS_LIMITS.commitsMax) {
      const action = drawAction(prng)
      const commits = action.pads.map((pad) => this.#commit(client, a, n++, pad))
      if (action.pads.length > 1) for (const listener of this.#burstListeners) listener()
      await Promise.all(commits)
      await new Promise((r) => setTimeout(r, action.pauseMs))
    }
  }

  async #commit(client: SynodClient, a: number, n: number, pad: number): Promise<void> {
    const key = `chaos-${a}-${n}`
    this.#started++
    this.#inFlight++
    try {
      const decision = await client.commit(`chaos/agent-${a}`, { n, by: `agent-${a}`, pad: 'x'.repeat(pad) }, { idempotencyKey: key, signal: this.#abandon.signal })
      this.#acked.push({ id: decision.id, index: decision.index, agent: a, key })
    } catch (err) {
      const e = err as Error
      this.#failed.push({ agent: a, key, error: e.name, message: e.message, id: err instanceof CommitTimeoutError ? err.id : null })
    } finally {
      this.#inFlight--
    }
  }

  /** The global fetch, noting each entry a validator accepted (the id is computed from
   * the request body, so it does not depend on what the node answers). */
  #watchingFetch(): FetchLike {
    return async (input, init) => {
      const res = await fetch(input, init)
      if ((res.status === 200 || res.status === 202) && init?.method === 'POST' && input.endsWith('/v1/entries') && typeof init.body === 'string') {
        const entry = entryFromCbor(fromJson(JSON.parse(init.body)), this.#genesis.params.payloadBytesMax)
        const id = toHex(entryId(entry))
        if (!this.#accepted.has(id)) this.#accepted.set(id, { id, agent: toHex(entry.agent), seq: entry.seq, key: entry.idempotencyKey })
      }
      return res
    }
  }
}
