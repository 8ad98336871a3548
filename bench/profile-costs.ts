// Where a validator's CPU goes, per committed entry: V8 .cpuprofile samples attributed to
// a component (store, HTTP, p2p transport, Ed25519, ...) by the nearest frame on the
// sample's stack that names one, so that a native or library frame (a LevelDB batch, a
// socket write, a hash) counts for the component that called it. Module loading at
// start-up is reported apart and left out of the per-entry figures.
import { readFileSync } from 'node:fs'

interface ProfileNode { id: number, callFrame: { functionName: string, url: string }, children?: number[] }
interface Profile { nodes: ProfileNode[], samples: number[], timeDeltas: number[] }

/** Components, first match wins; matched against a frame's URL (or, for V8's own
 * entries, its function name). Order matters where one pattern contains another. */
const COMPONENTS: readonly (readonly [string, readonly string[]])[] = [
  ['start-up (module loading, type stripping)', ['node:internal/modules', 'node:internal/deps/amaro', 'node:internal/main', 'node:internal/bootstrap']],
  ['Ed25519 verify and sign', ['sodium-native', '@noble/curves', 'node:internal/crypto/sig', 'node:internal/crypto/keys', 'src/crypto/ed25519', 'src/crypto/impl-']],
  ['SHA-256', ['node:internal/crypto/hash', 'src/crypto/hash', '@noble/hashes']],
  ['CBOR encode and decode', ['cborg', 'src/codec/']],
  ['store (LevelDB, chain store)', ['classic-level', 'abstract-level', 'level-transcoder', 'module-error', 'node/store/']],
  ['logging (pino)', ['pino', 'sonic-boom', 'thread-stream']],
  ['metrics (prom-client)', ['prom-client', 'node/metrics/']],
  ['HTTP API (fastify, JSON, zod)', ['fastify', 'find-my-way', 'secure-json-parse', 'fast-json-stringify', 'avvio', 'light-my-request', 'node/api/', 'zod', 'node:_http', 'node:http', 'undici']],
  ['p2p transport (libp2p, Noise, yamux)', ['@libp2p', 'libp2p', '@chainsafe', '@multiformats', 'multiformats', 'uint8arraylist', 'it-', 'p-queue', 'race-signal', 'node/net/']],
  ['consensus core (replica, verifier caches, mempool)', ['src/consensus/']],
  ['log (entries, blocks, Merkle, receipts)', ['src/log/', 'src/decisions/']],
  ['node runtime (mailbox, actions, waiters)', ['node/runtime/', 'node/workers/', 'node/util/']],
  ['garbage collector', ['(garbage collector)']],
]
const OTHER = 'other (V8, event loop, unattributed)'
const STARTUP = COMPONENTS[0]![0]

function componentOf(frame: ProfileNode['callFrame']): string | null {
  const key = frame.url === '' ? frame.functionName : frame.url
  for (const [name, patterns] of COMPONENTS) if (patterns.some((p) => key.includes(p))) return name
  return null
}

export interface ProfileCosts {
  /** Sampled time, idle excluded, start-up included, µs. */
  readonly busyUs: number
  /** µs by component, start-up included. */
  readonly byComponent: ReadonlyMap<string, number>
}

/** Busy time of one profile by component. */
export function profileCosts(path: string): ProfileCosts {
  const p = JSON.parse(readFileSync(path, 'utf8')) as Profile
  const byId = new Map(p.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const self = new Map<number, number>()
  for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0))
  const byComponent = new Map<string, number>()
  let busyUs = 0
  for (const [id, us] of self) {
    const leaf = byId.get(id)!
    if (leaf.callFrame.functionName === '(idle)') continue
    busyUs += us
    let component: string | null = null
    for (let at: number | undefined = id; at !== undefined && component === null; at = parent.get(at)) component = componentOf(byId.get(at)!.callFrame)
    const name = component ?? OTHER
    byComponent.set(name, (byComponent.get(name) ?? 0) + us)
  }
  return { busyUs, byComponent }
}

/** Lines of a table: µs per committed entry by component, summed over the profiles
 * (one per validator) and divided by entries committed, start-up left out. */
export function perEntryTable(costs: readonly ProfileCosts[], entries: number): { rows: { component: string, usPerEntry: number, share: number }[], totalUsPerEntry: number, startupMs: number } {
  const sum = new Map<string, number>()
  for (const c of costs) for (const [k, us] of c.byComponent) sum.set(k, (sum.get(k) ?? 0) + us)
  const startupUs = sum.get(STARTUP) ?? 0
  sum.delete(STARTUP)
  const total = [...sum.values()].reduce((a, b) => a + b, 0)
  const rows = [...sum].sort((a, b) => b[1] - a[1]).map(([component, us]) => ({ component, usPerEntry: us / entries, share: us / total }))
  return { rows, totalUsPerEntry: total / entries, startupMs: startupUs / 1000 }
}
