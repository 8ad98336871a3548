// What the networked benchmarks read from their validators over HTTP: health, a bounded
// wait for a condition on every node, and memory figures from /metrics.
import { getJson } from '../devnet/http-client.ts'

const HEALTH_MS_MAX = 2000
const METRICS_MS_MAX = 5000

export const MB = (bytes: number | null): number | null => (bytes === null ? null : Math.round(bytes / 2 ** 20))
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** The fields of GET /healthz the benchmarks use. */
export interface Health { height: number, logSize: number, peers: number, mempoolEntries: number }

export async function health(url: string): Promise<Health | null> {
  const answer = await getJson(`${url}/healthz`, HEALTH_MS_MAX).catch(() => null)
  return answer?.status === 200 ? answer.body as Health : null
}

/** Waits (bounded by msMax) until every node's health passes `ok`; throws with `what` otherwise. */
export async function waitAll(urls: readonly string[], ok: (h: Health) => boolean, msMax: number, what: string, pollMs = 200): Promise<void> {
  const deadline = Date.now() + msMax
  for (const url of urls) {
    // Bounded by the deadline.
    for (;;) {
      const h = await health(url)
      if (h !== null && ok(h)) break
      if (Date.now() > deadline) throw new Error(`${url}: ${what} not reached within ${msMax} ms (last: ${JSON.stringify(h)})`)
      await sleep(pollMs)
    }
  }
}

/** Reads one sample of a Prometheus text exposition, or null. `series` is a regular
 * expression: a metric name, with its labels (braces escaped) when it has any. */
export function promValue(text: string, series: string): number | null {
  const m = new RegExp(`^${series} ([0-9.eE+-]+)$`, 'm').exec(text)
  return m === null ? null : Number(m[1])
}

/** Per V8 heap space with at least 1 MB reserved: [used, reserved] MB. */
export type HeapSpaces = Record<string, [number, number]>
export interface MemoryMetrics { rssMB: number | null, heapUsedMB: number | null, heapTotalMB: number | null, externalMB: number | null, heapSpacesMB: HeapSpaces }

export async function readMemoryMetrics(url: string): Promise<MemoryMetrics> {
  const answer = await getJson(`${url}/metrics`, METRICS_MS_MAX).catch(() => null)
  const text = answer?.status === 200 && typeof answer.body === 'string' ? answer.body : ''
  const spaceValue = (kind: 'used' | 'total', space: string): number => MB(promValue(text, `nodejs_heap_space_size_${kind}_bytes\\{space="${space}"\\}`)) ?? 0
  const heapSpacesMB: HeapSpaces = {}
  for (const m of text.matchAll(/^nodejs_heap_space_size_total_bytes\{space="([a-z_]+)"\} /gm)) {
    const reserved = spaceValue('total', m[1]!)
    if (reserved >= 1) heapSpacesMB[m[1]!] = [spaceValue('used', m[1]!), reserved]
  }
  return {
    rssMB: MB(promValue(text, 'process_resident_memory_bytes')),
    heapUsedMB: MB(promValue(text, 'nodejs_heap_size_used_bytes')),
    heapTotalMB: MB(promValue(text, 'nodejs_heap_size_total_bytes')),
    externalMB: MB(promValue(text, 'nodejs_external_memory_bytes')),
    heapSpacesMB,
  }
}

/** What the validators said to each other, summed over all of them, and the highest round
 * any of them is in: from /metrics (synod_p2p_*, synod_round). */
export interface MessageCounters { messages: number, bytes: number, round: number }

export async function readMessageCounters(urls: readonly string[]): Promise<MessageCounters | null> {
  const texts = await Promise.all(urls.map(async (url) => {
    const answer = await getJson(`${url}/metrics`, METRICS_MS_MAX).catch(() => null)
    return answer?.status === 200 && typeof answer.body === 'string' ? answer.body : null
  }))
  let messages = 0
  let bytes = 0
  let round = 0
  for (const text of texts) {
    if (text === null) return null
    const sent = promValue(text, 'synod_p2p_messages_total\\{direction="sent"\\}')
    const sentBytes = promValue(text, 'synod_p2p_bytes_total\\{direction="sent"\\}')
    if (sent === null || sentBytes === null) return null
    messages += sent
    bytes += sentBytes
    round = Math.max(round, promValue(text, 'synod_round') ?? 0)
  }
  return { messages, bytes, round }
}

/** Messages and bytes (all validators' sends) per committed entry and per round between two readings. */
export function messagesPer(from: MessageCounters | null, to: MessageCounters | null, entries: number): { perEntry: { messages: number, bytes: number } | null, perRound: { messages: number, bytes: number } | null, rounds: number | null } {
  if (from === null || to === null) return { perEntry: null, perRound: null, rounds: null }
  const messages = to.messages - from.messages
  const bytes = to.bytes - from.bytes
  const rounds = to.round - from.round
  const per = (k: number): { messages: number, bytes: number } | null => (k <= 0 ? null : { messages: Math.round((messages / k) * 100) / 100, bytes: Math.round(bytes / k) })
  return { perEntry: per(entries), perRound: per(rounds), rounds }
}
