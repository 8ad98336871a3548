// After load and faults stop: wait, within a bound, until the cluster is idle: every
// validator answers with the same head (height and hash) and holds no entry in its
// mempool, for several polls in a row. The checks run whether or not it got there; this
// only tells how long it took, or that it never did.
import { getHead } from '../../devnet/http-client.ts'
import type { ChaosNode } from './chaos-cluster.ts'
import { CHAOS_LIMITS } from './limits.ts'
import { getHealth } from './observe.ts'

export interface SettleResult {
  readonly idle: boolean
  readonly ms: number
  /** The last poll, per node: "height/hash-prefix mempool N" or "no answer". */
  readonly last: readonly string[]
}

export async function settle(nodes: readonly ChaosNode[]): Promise<SettleResult> {
  const start = Date.now()
  let streak = 0
  let last: string[] = []
  // One poll per pass; bounded by settleMsMax.
  while (Date.now() - start < CHAOS_LIMITS.settleMsMax) {
    const heads = await Promise.all(nodes.map((n) => getHead(n.url)))
    const health = await Promise.all(nodes.map((n) => getHealth(n.url)))
    last = nodes.map((_, i) => {
      const h = heads[i]
      return h == null ? 'no answer' : `${h.height}/${h.hash.slice(0, 8)} mempool ${health[i]?.mempoolEntries ?? '?'}`
    })
    const first = heads[0]
    const same = first != null && heads.every((h) => h != null && h.height === first.height && h.hash === first.hash)
    const empty = health.every((h) => h !== null && h.mempoolEntries === 0)
    streak = same && empty ? streak + 1 : 0
    if (streak >= CHAOS_LIMITS.idlePolls) return { idle: true, ms: Date.now() - start, last }
    await new Promise((r) => setTimeout(r, CHAOS_LIMITS.pollMs))
  }
  return { idle: false, ms: Date.now() - start, last }
}
