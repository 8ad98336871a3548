/** One thing a store check found wrong, with a stable code (docs/operations.md lists them). */
export interface StoreFinding {
  readonly code: string
  readonly detail: string
}

/** A storage condition with a stable `name` and a `code`: 'wrong-genesis', 'not-open',
 * 'corrupt' (stored data breaks an invariant), 'bad-commit' (a commit that does not
 * extend the head), 'out-of-range'. */
export class StoreError extends Error {
  override readonly name = 'StoreError'
  readonly code: string
  constructor(code: string, message: string) {
    super(message)
    this.code = code
  }
}

/** The store on disk is damaged (files missing, truncated or failing checksums, or
 * stored records that contradict each other); `findings` says what was found. The node
 * refuses to run on it: wipe the data directory and re-sync (docs/operations.md). */
export class StoreDamagedError extends Error {
  override readonly name = 'StoreDamagedError'
  readonly code = 'store-damaged'
  readonly directory: string
  readonly findings: readonly StoreFinding[]
  constructor(directory: string, findings: readonly StoreFinding[]) {
    const first = findings.slice(0, 3).map((f) => `${f.code}: ${f.detail}`).join('; ')
    super(`the store in ${directory} is damaged (${findings.length} finding${findings.length === 1 ? '' : 's'}): ${first}${findings.length > 3 ? '; ...' : ''}`)
    this.directory = directory
    this.findings = findings
  }
}

/** Another process (or another store object in this one) holds the store's LevelDB lock.
 * Not damage: stop the other process. */
export class StoreLockedError extends Error {
  override readonly name = 'StoreLockedError'
  readonly code = 'store-locked'
  readonly directory: string
  constructor(directory: string) {
    super(`the store in ${directory} is in use by another process (its LevelDB lock is held)`)
    this.directory = directory
  }
}
