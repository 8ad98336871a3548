// Token buckets keyed by client address or agent, in a bounded map.
//
// A bucket holds up to `burst` tokens and refills at `ratePerSecond`. A bucket that has
// refilled to full is the same as no bucket, so dropping it loses nothing: when the map
// is full, idle buckets are swept out (at most once a second, the sweep is O(keysMax)).
// If none is idle, a newcomer is charged to one shared overflow bucket: memory stays
// bounded and a client cannot reset its own bucket by crowding the map.
import { isIPv4, isIPv6 } from 'node:net'

export type TakeResult = { readonly ok: true } | { readonly ok: false, readonly retryAfterMs: number }

export interface TokenBucketOptions {
  readonly ratePerSecond: number
  readonly burst: number
  readonly keysMax: number
  /** Milliseconds on a monotonic clock. */
  readonly now?: () => number
}

interface Bucket {
  tokens: number
  updatedMs: number
}

const SWEEP_INTERVAL_MS = 1000

export class TokenBuckets {
  readonly #ratePerMs: number
  readonly #burst: number
  readonly #keysMax: number
  readonly #now: () => number
  readonly #buckets = new Map<string, Bucket>()
  readonly #overflow: Bucket
  #sweptMs = -Infinity

  constructor(options: TokenBucketOptions) {
    if (!(options.ratePerSecond > 0)) throw new RangeError(`ratePerSecond must be positive, got ${options.ratePerSecond}`)
    if (!(options.burst >= 1)) throw new RangeError(`burst must be at least 1, got ${options.burst}`)
    if (!Number.isSafeInteger(options.keysMax) || options.keysMax < 1) throw new RangeError(`keysMax must be a positive integer, got ${options.keysMax}`)
    this.#ratePerMs = options.ratePerSecond / 1000
    this.#burst = options.burst
    this.#keysMax = options.keysMax
    this.#now = options.now ?? (() => performance.now())
    this.#overflow = { tokens: this.#burst, updatedMs: this.#now() }
  }

  /** Number of keys with a live bucket (for tests and metrics). */
  get size(): number {
    return this.#buckets.size
  }

  /** Whether `cost` tokens are available for key, without taking them. */
  check(key: string, cost = 1): TakeResult {
    const now = this.#now()
    const bucket = this.#buckets.get(key) ?? (this.#buckets.size >= this.#keysMax ? this.#overflow : null)
    if (bucket === null) return cost <= this.#burst ? { ok: true } : this.#refusal(this.#burst, cost)
    this.#refill(bucket, now)
    return bucket.tokens >= cost ? { ok: true } : this.#refusal(bucket.tokens, cost)
  }

  /** Takes `cost` tokens for key when available. */
  take(key: string, cost = 1): TakeResult {
    const now = this.#now()
    const bucket = this.#bucketFor(key, now)
    this.#refill(bucket, now)
    if (bucket.tokens < cost) return this.#refusal(bucket.tokens, cost)
    bucket.tokens -= cost
    return { ok: true }
  }

  /** Takes `cost` tokens for key even when that leaves the bucket in debt (down to
   * -burst): for work already done, such as an accepted submission after check(). */
  charge(key: string, cost = 1): void {
    const now = this.#now()
    const bucket = this.#bucketFor(key, now)
    this.#refill(bucket, now)
    bucket.tokens = Math.max(-this.#burst, bucket.tokens - cost)
  }

  #bucketFor(key: string, now: number): Bucket {
    const existing = this.#buckets.get(key)
    if (existing !== undefined) return existing
    if (this.#buckets.size >= this.#keysMax) this.#sweep(now)
    if (this.#buckets.size >= this.#keysMax) return this.#overflow
    const bucket = { tokens: this.#burst, updatedMs: now }
    this.#buckets.set(key, bucket)
    return bucket
  }

  #refill(bucket: Bucket, now: number): void {
    const elapsed = Math.max(0, now - bucket.updatedMs)
    bucket.tokens = Math.min(this.#burst, bucket.tokens + elapsed * this.#ratePerMs)
    bucket.updatedMs = now
  }

  #refusal(tokens: number, cost: number): TakeResult {
    if (cost > this.#burst) return { ok: false, retryAfterMs: Infinity }
    return { ok: false, retryAfterMs: Math.ceil((cost - tokens) / this.#ratePerMs) }
  }

  #sweep(now: number): void {
    if (now - this.#sweptMs < SWEEP_INTERVAL_MS) return
    this.#sweptMs = now
    for (const [key, bucket] of this.#buckets) {
      this.#refill(bucket, now)
      if (bucket.tokens >= this.#burst) this.#buckets.delete(key)
    }
  }
}

/** The rate-limit key of a client address: an IPv4 address as is (IPv4-mapped IPv6
 * too), an IPv6 address by its /64 prefix (one subscriber usually holds a whole /64). */
export function addressKey(address: string | undefined): string {
  if (address === undefined || address === '') return 'unknown'
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (mapped !== null) return mapped[1]!
  if (isIPv4(address)) return address
  if (!isIPv6(address)) return address
  const zoneless = address.split('%')[0]!
  const [head, tail] = zoneless.includes('::') ? zoneless.split('::') as [string, string] : [zoneless, '']
  const headGroups = head === '' ? [] : head.split(':')
  const tailGroups = tail === '' ? [] : tail.split(':')
  const all = [...headGroups, ...tailGroups]
  const dotted = all.length > 0 && all[all.length - 1]!.includes('.') ? 1 : 0 // a trailing IPv4 part is two groups
  const missing = 8 - all.length - dotted
  const groups = [...headGroups, ...Array<string>(Math.max(0, missing)).fill('0'), ...tailGroups]
  return `${groups.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(':')}::/64`
}
