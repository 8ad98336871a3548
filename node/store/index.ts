// Storage: the chain store over LevelDB (the node) or memory (tests and tools).
import { ChainStore } from './chain-store.ts'
import { LevelKv, MemoryKv } from './kv.ts'

/** The chain store on disk, in `directory` (created when missing). */
export class LevelStore extends ChainStore {
  constructor(directory: string) {
    super(new LevelKv(directory))
  }
}

/** The chain store in memory: the same code over a sorted in-memory map. */
export class MemoryStore extends ChainStore {
  constructor() {
    super(new MemoryKv())
  }
}

export { ChainStore } from './chain-store.ts'
export type { Store, Head, CommitBatch, StoredEntry, IndexRange, RestoreParts, DurableWrite } from './store.ts'
export { StoreError, StoreDamagedError, StoreLockedError, type StoreFinding } from './errors.ts'
