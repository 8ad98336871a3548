// The ordered key-value layer under the chain store: binary keys compared bytewise,
// atomic batches, optional durable (fsync'd) writes, bounded range scans. Two
// implementations: memory (tests, simulations) and level (the node's disk).
import { Level } from 'level'
import { StoreDamagedError, StoreLockedError } from './errors.ts'

export type KvOp =
  | { readonly type: 'put', readonly key: Uint8Array, readonly value: Uint8Array }
  | { readonly type: 'del', readonly key: Uint8Array }

export interface KvRange {
  readonly gte?: Uint8Array
  readonly lt?: Uint8Array
  readonly reverse?: boolean
  /** Most entries returned; required, so every scan is bounded. */
  readonly limit: number
}

export interface KvBackend {
  open(): Promise<void>
  close(): Promise<void>
  get(key: Uint8Array): Promise<Uint8Array | undefined>
  getMany(keys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]>
  /** Applies all operations atomically; with `sync`, durable before it resolves. */
  write(ops: readonly KvOp[], sync: boolean): Promise<void>
  /** Entries in key order (or reverse), at most range.limit of them. */
  scan(range: KvRange): Promise<[Uint8Array, Uint8Array][]>
  /** Rewrites the files holding keys in [start, end) so that deleted values leave the
   * disk, not only the index (LevelDB's compactRange). Optional: a backend whose deletes
   * are physical already (memory) has nothing to do. */
  compact?(start: Uint8Array, end: Uint8Array): Promise<void>
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length)
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!
  return a.length - b.length
}

function toView(bytes: Uint8Array): Uint8Array {
  // level hands back Buffers; a plain Uint8Array copy keeps Buffer semantics out.
  return new Uint8Array(bytes)
}

/** In memory: a sorted array of keys with binary search. For tests and tools. */
export class MemoryKv implements KvBackend {
  #keys: Uint8Array[] = []
  #values = new Map<string, Uint8Array>()
  #open = false

  async open(): Promise<void> {
    this.#open = true
  }

  async close(): Promise<void> {
    this.#open = false
  }

  #check(): void {
    if (!this.#open) throw new Error('the memory store is not open')
  }

  #find(key: Uint8Array): number {
    let lo = 0
    let hi = this.#keys.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (compareBytes(this.#keys[mid]!, key) < 0) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    this.#check()
    const value = this.#values.get(hexKey(key))
    return value === undefined ? undefined : toView(value)
  }

  async getMany(keys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    this.#check()
    return keys.map((key) => {
      const value = this.#values.get(hexKey(key))
      return value === undefined ? undefined : toView(value)
    })
  }

  async write(ops: readonly KvOp[], _sync: boolean): Promise<void> {
    this.#check()
    for (const op of ops) {
      const id = hexKey(op.key)
      const at = this.#find(op.key)
      const present = at < this.#keys.length && compareBytes(this.#keys[at]!, op.key) === 0
      if (op.type === 'put') {
        if (!present) this.#keys.splice(at, 0, toView(op.key))
        this.#values.set(id, toView(op.value))
      } else if (present) {
        this.#keys.splice(at, 1)
        this.#values.delete(id)
      }
    }
  }

  async scan(range: KvRange): Promise<[Uint8Array, Uint8Array][]> {
    this.#check()
    const start = range.gte === undefined ? 0 : this.#find(range.gte)
    const end = range.lt === undefined ? this.#keys.length : this.#find(range.lt)
    const out: [Uint8Array, Uint8Array][] = []
    if (range.reverse === true) {
      for (let i = end - 1; i >= start && out.length < range.limit; i--) out.push(this.#entry(i))
    } else {
      for (let i = start; i < end && out.length < range.limit; i++) out.push(this.#entry(i))
    }
    return out
  }

  #entry(i: number): [Uint8Array, Uint8Array] {
    const key = this.#keys[i]!
    return [toView(key), toView(this.#values.get(hexKey(key))!)]
  }
}

function hexKey(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1')
}

/** On disk: LevelDB through `level` (classic-level), binary keys and values. */
export class LevelKv implements KvBackend {
  /** Made by open(), not the constructor: a level database opens itself (creating the
   * directory) a microtask after it is constructed, which would run LevelDB over the
   * files before the store check has read them. */
  #level: Level<Uint8Array, Uint8Array> | null = null
  readonly #directory: string
  readonly #createIfMissing: boolean

  /** `createIfMissing` false: opening a directory without a database fails (the store check). */
  constructor(directory: string, options: { createIfMissing?: boolean } = {}) {
    this.#directory = directory
    this.#createIfMissing = options.createIfMissing ?? true
  }

  get #db(): Level<Uint8Array, Uint8Array> {
    if (this.#level === null) throw new Error(`the store in ${this.#directory} is not open`)
    return this.#level
  }

  async open(): Promise<void> {
    this.#level ??= new Level<Uint8Array, Uint8Array>(this.#directory, { keyEncoding: 'view', valueEncoding: 'view', createIfMissing: this.#createIfMissing })
    try {
      await this.#level.open({ createIfMissing: this.#createIfMissing })
    } catch (err) {
      throw levelOpenError(err, this.#directory)
    }
  }

  async close(): Promise<void> {
    await this.#level?.close()
  }

  // Point reads are synchronous (LevelDB's own Get on this thread). The async form costs
  // a thread-pool round trip per key: measured here 70 µs per sequential get and 14 µs of
  // CPU per get in parallel, against 4 µs for getSync, and a validator serving receipts
  // and submissions does tens of thousands of point reads a second (each inclusion proof
  // reads O(log² n) stored subtree roots). A read that misses the OS page cache blocks the
  // event loop for one disk read; the store's working set (recent entries, upper tree
  // levels) is small and hot, so that is rare.
  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    const value = this.#db.getSync(key)
    return value === undefined ? undefined : toView(value)
  }

  async getMany(keys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    return keys.map((key) => {
      const value = this.#db.getSync(key)
      return value === undefined ? undefined : toView(value)
    })
  }

  async compact(start: Uint8Array, end: Uint8Array): Promise<void> {
    // `level` on Node is classic-level, which has compactRange; its browser-neutral
    // typings do not declare it.
    const db = this.#db as unknown as { compactRange?: (start: Uint8Array, end: Uint8Array) => Promise<void> }
    if (typeof db.compactRange !== 'function') throw new Error('this LevelDB binding cannot compact a range')
    await db.compactRange(start, end)
  }

  async write(ops: readonly KvOp[], sync: boolean): Promise<void> {
    if (ops.length === 0) return
    await this.#db.batch(ops.map((op) => (op.type === 'put'
      ? { type: 'put' as const, key: op.key, value: op.value }
      : { type: 'del' as const, key: op.key })), { sync })
  }

  async scan(range: KvRange): Promise<[Uint8Array, Uint8Array][]> {
    const options: { gte?: Uint8Array, lt?: Uint8Array, reverse: boolean, limit: number } = { reverse: range.reverse === true, limit: range.limit }
    if (range.gte !== undefined) options.gte = range.gte
    if (range.lt !== undefined) options.lt = range.lt
    const entries = await this.#db.iterator(options).all()
    return entries.map(([k, v]) => [toView(k), toView(v)])
  }
}

/** Tells a held lock (another process) from damage: level reports both as
 * LEVEL_DATABASE_NOT_OPEN, with the reason as its cause. */
function levelOpenError(err: unknown, directory: string): Error {
  const cause = (err as { cause?: { code?: unknown, message?: unknown } }).cause
  const code = cause?.code
  if (code === 'LEVEL_LOCKED') return new StoreLockedError(directory)
  if (code === 'LEVEL_CORRUPTION' || code === 'LEVEL_IO_ERROR') {
    return new StoreDamagedError(directory, [{ code: 'leveldb-open', detail: `LevelDB refuses to open it: ${String(cause?.message)}` }])
  }
  return err instanceof Error ? err : new Error(String(err))
}
