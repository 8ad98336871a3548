// Shared setup of the HTTP API tests: a test chain, the in-memory test backend, a server
// on 127.0.0.1 port 0, signed entries, and a small server-sent-events reader.
import { publicKeyFromSeed } from '../../src/crypto/ed25519.ts'
import { toHex } from '../../src/crypto/hash.ts'
import { entryToCbor, signEntry, type Entry } from '../../src/log/entry.ts'
import type { Genesis } from '../../src/log/genesis.ts'
import { toJson, type JsonValue } from '../../src/log/json.ts'
import type { NodeBackend } from '../../node/api/backend.ts'
import type { ApiLimits } from '../../node/api/limits.ts'
import type { CorsOrigins } from '../../node/api/cors.ts'
import { TestMemoryBackend } from '../support/memory-backend.ts'
import { NodeMetrics } from '../../node/metrics/metrics.ts'
import { createApiServer, type ApiServer } from '../../node/api/server.ts'
import { seedOf, testNet } from '../support/chain-builder.ts'

export const CHAIN = 'api-test'

export interface Agent {
  readonly seed: Uint8Array
  readonly key: Uint8Array
  readonly hex: string
  /** Next seq to use. */
  seq: number
}

export function agent(label: string): Agent {
  const seed = seedOf(`${CHAIN}/agent/${label}`)
  const key = publicKeyFromSeed(seed)
  return { seed, key, hex: toHex(key), seq: 1 }
}

export const alice = (): Agent => agent('alice')

export function makeEntry(who: Agent, namespace = 'team/plans', payload: unknown = { decision: 'ship', at: who.seq }, options: { refs?: Uint8Array[], key?: string, seq?: number } = {}): Entry {
  const seq = options.seq ?? who.seq++
  return signEntry({
    agent: who.key,
    namespace,
    seq,
    payload: JSON.stringify(payload),
    refs: options.refs ?? [],
    idempotencyKey: options.key ?? '',
  }, CHAIN, who.seed)
}

export function entryJson(entry: Entry): JsonValue {
  return toJson(entryToCbor(entry))
}

export interface Harness {
  readonly genesis: Genesis
  readonly backend: TestMemoryBackend
  readonly metrics: NodeMetrics
  readonly server: ApiServer
  readonly url: string
  close(): Promise<void>
}

export interface HarnessOptions {
  readonly limits?: Partial<ApiLimits>
  readonly genesis?: Partial<Genesis>
  readonly mempoolEntriesMax?: number
  /** Wraps the test backend (to inject faults). */
  readonly wrap?: (backend: TestMemoryBackend) => NodeBackend
  readonly now?: () => number
  readonly corsOrigins?: CorsOrigins
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const { genesis, validatorSeeds } = testNet(4, CHAIN, options.genesis)
  const backend = new TestMemoryBackend({ genesis, validatorSeeds, mempoolEntriesMax: options.mempoolEntriesMax })
  const metrics = new NodeMetrics({ processMetrics: false })
  const server = createApiServer(
    { host: '127.0.0.1', port: 0, payloadBytesMax: genesis.params.payloadBytesMax, genesis, limits: { closeGraceMs: 100, ...options.limits }, now: options.now, ...(options.corsOrigins === undefined ? {} : { corsOrigins: options.corsOrigins }) },
    { backend: options.wrap?.(backend) ?? backend, metrics },
  )
  const { url } = await server.listen()
  return { genesis, backend, metrics, server, url, close: () => server.close() }
}

export interface Answer {
  readonly status: number
  readonly headers: Headers
  readonly body: any // eslint-disable-line @typescript-eslint/no-explicit-any
  readonly text: string
}

export async function request(url: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(url, init)
  const text = await res.text()
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    body = null
  }
  return { status: res.status, headers: res.headers, body, text }
}

export function postJson(url: string, body: unknown): Promise<Answer> {
  return request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) })
}

export interface SseMessage {
  readonly id: string | null
  readonly event: string
  readonly data: string
}

/** A minimal EventSource over fetch: messages in order, comments counted. */
export class SseReader {
  readonly #controller = new AbortController()
  readonly #decoder = new TextDecoder()
  #reader: ReadableStreamDefaultReader<Uint8Array> | null = null
  #buffer = ''
  readonly messages: SseMessage[] = []
  comments = 0
  status = 0
  headers: Headers | null = null
  ended = false

  static async open(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
    const reader = new SseReader()
    const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: reader.#controller.signal })
    reader.status = res.status
    reader.headers = res.headers
    if (res.body === null) throw new Error('no body')
    reader.#reader = res.body.getReader()
    return reader
  }

  /** Reads until `count` messages have arrived (or the stream ends, or the timeout). */
  async waitFor(count: number, timeoutMs = 5000): Promise<SseMessage[]> {
    const deadline = Date.now() + timeoutMs
    while (this.messages.length < count && !this.ended) {
      if (Date.now() > deadline) throw new Error(`timed out with ${this.messages.length} of ${count} messages`)
      await this.#readOnce(deadline - Date.now())
    }
    return this.messages.slice(0, count)
  }

  /** Reads until at least `count` comments (heartbeats included) have arrived. */
  async waitForComments(count: number, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (this.comments < count && !this.ended) {
      if (Date.now() > deadline) throw new Error(`timed out with ${this.comments} of ${count} comments`)
      await this.#readOnce(deadline - Date.now())
    }
  }

  async #readOnce(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), Math.max(1, timeoutMs)) })
    const read = await Promise.race([this.#reader!.read(), timeout])
    clearTimeout(timer)
    if (read === 'timeout') return
    if (read.done) {
      this.ended = true
      return
    }
    this.#buffer += this.#decoder.decode(read.value, { stream: true })
    for (;;) {
      const cut = this.#buffer.indexOf('\n\n')
      if (cut === -1) break
      const block = this.#buffer.slice(0, cut)
      this.#buffer = this.#buffer.slice(cut + 2)
      let id: string | null = null
      let event = 'message'
      const data: string[] = []
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) this.comments++
        else if (line.startsWith('id: ')) id = line.slice(4)
        else if (line.startsWith('event: ')) event = line.slice(7)
        else if (line.startsWith('data: ')) data.push(line.slice(6))
      }
      if (data.length > 0) this.messages.push({ id, event, data: data.join('\n') })
    }
  }

  close(): void {
    this.#controller.abort()
  }
}

/** A backend that forwards to `backend` except for the methods in `overrides`. */
export function delegate(backend: NodeBackend, overrides: Partial<NodeBackend>): NodeBackend {
  return {
    submitEntry: (entry, signal) => backend.submitEntry(entry, signal),
    getEntry: (id, signal) => backend.getEntry(id, signal),
    getReceipt: (id, signal) => backend.getReceipt(id, signal),
    awaitReceipt: (id, waitMs, signal) => backend.awaitReceipt(id, waitMs, signal),
    query: (query, signal) => backend.query(query, signal),
    subscribe: (options, signal) => backend.subscribe(options, signal),
    latestCheckpoint: (signal) => backend.latestCheckpoint(signal),
    consistencyProof: (oldSize, newSize, signal) => backend.consistencyProof(oldSize, newSize, signal),
    exportBlocks: (fromHeight, toHeight, signal) => backend.exportBlocks(fromHeight, toHeight, signal),
    health: () => backend.health(),
    ...overrides,
  }
}

export async function waitUntil(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
