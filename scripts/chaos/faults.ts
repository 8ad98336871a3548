// The chaos run's faults: SIGKILL one validator by pid at a random instant, keep it down
// for a random time, restart it on its data directory; then wait a random gap and do it
// again. One kill-restart cycle at a time, so at most one validator (f for n = 4) is down
// at once. The victim is a random validator, the current leader, or one killed just
// after the load started a burst of commits. Every choice comes from the seeded stream;
// the instants are as precise as the machine's timers.
import { getJson } from '../../devnet/http-client.ts'
import type { Prng } from '../../scenarios/sim/prng.ts'
import type { ChaosNode } from './chaos-cluster.ts'
import { CHAOS_LIMITS } from './limits.ts'
import type { ChaosLoad } from './load.ts'

export type KillKind = 'random' | 'leader' | 'burst'
const KILL_KINDS: readonly KillKind[] = ['random', 'leader', 'burst']

export interface KillRecord {
  readonly kind: KillKind
  readonly node: number
  readonly pid: number | undefined
  /** Since the load started. */
  readonly atMs: number
  readonly downMs: number
  /** Time the restart took to print its ready line, or null when it failed. */
  readonly restartMs: number | null
  readonly restartError: string | null
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve()
    const done = (): void => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
  })
}

/** The validator leading the highest round any running validator reports (round-robin:
 * round mod n), or null when none answers. */
async function currentLeader(nodes: readonly ChaosNode[]): Promise<number | null> {
  const answers = await Promise.all(nodes.filter((n) => n.running).map((n) => getJson(`${n.url}/v1/head`, 1_000).catch(() => null)))
  const rounds = answers.map((a) => (a?.body as { round?: unknown } | null)?.round).filter((r): r is number => Number.isSafeInteger(r))
  const round = Math.max(-1, ...rounds)
  return round < 0 ? null : round % nodes.length
}

/** One kill-restart cycle's choices. */
export interface FaultChoice {
  readonly gapMs: number
  readonly kind: KillKind
  /** The victim of a 'random' or 'burst' kill (and of a 'leader' kill when no validator
   * answers with its round). */
  readonly randomVictim: number
  readonly afterBurstMs: number
  readonly downMs: number
}

/** Draws every choice of one cycle up front, so the sequence of choices depends on the
 * seed alone, not on timing. */
export function drawFault(prng: Prng, nodes: number): FaultChoice {
  return {
    gapMs: prng.range(CHAOS_LIMITS.killGapMsMin, CHAOS_LIMITS.killGapMsMax),
    kind: prng.pick(KILL_KINDS),
    randomVictim: prng.int(nodes),
    afterBurstMs: prng.range(0, CHAOS_LIMITS.afterBurstMsMax),
    downMs: prng.range(0, CHAOS_LIMITS.downMsMax),
  }
}

export class ChaosFaults {
  readonly #nodes: readonly ChaosNode[]
  readonly #load: ChaosLoad
  readonly #prng: Prng
  readonly #stop = new AbortController()
  readonly kills: KillRecord[] = []
  #loop: Promise<void> = Promise.resolve()
  #t0 = 0

  constructor(nodes: readonly ChaosNode[], load: ChaosLoad, prng: Prng) {
    this.#nodes = nodes
    this.#load = load
    this.#prng = prng
  }

  start(): void {
    this.#t0 = Date.now()
    this.#loop = this.#run()
  }

  /** No new kill; the cycle in progress finishes (its validator restarts). */
  async stop(): Promise<void> {
    this.#stop.abort()
    await this.#loop
  }

  async #run(): Promise<void> {
    const signal = this.#stop.signal
    // One kill-restart cycle per pass; bounded by killsMax and by stop().
    for (let k = 0; k < CHAOS_LIMITS.killsMax && !signal.aborted; k++) {
      const { gapMs, kind, randomVictim, afterBurstMs, downMs } = drawFault(this.#prng, this.#nodes.length)
      await sleep(gapMs, signal)
      if (signal.aborted) return
      let victim = randomVictim
      if (kind === 'leader') victim = (await currentLeader(this.#nodes)) ?? randomVictim
      if (kind === 'burst') {
        await this.#nextBurst(CHAOS_LIMITS.burstWaitMsMax, signal)
        await sleep(afterBurstMs, signal)
      }
      if (signal.aborted) return
      const node = this.#nodes[victim]!
      if (!node.running) return // a validator that died on its own: the checks report it; no second fault
      const pid = node.pid
      const atMs = Date.now() - this.#t0
      await node.kill()
      // Not cut short by stop(): the validator always comes back before the checks.
      await new Promise((r) => setTimeout(r, downMs))
      const restartAt = Date.now()
      let restartError: string | null = null
      try {
        await node.start()
      } catch (err) {
        restartError = (err as Error).message
      }
      this.kills.push({ kind, node: victim, pid, atMs, downMs, restartMs: restartError === null ? Date.now() - restartAt : null, restartError })
      if (restartError !== null) return // f is spent: no further faults
    }
  }

  #nextBurst(waitMs: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer)
        off()
        signal.removeEventListener('abort', done)
        resolve()
      }
      const timer = setTimeout(done, waitMs)
      const off = this.#load.onBurst(done)
      signal.addEventListener('abort', done, { once: true })
    })
  }
}
