// Wakes waiters (subscription streams) when a commit lands. Waiting costs one shared
// promise per commit, however many wait; an aborted wait settles at once.
export class CommitSignal {
  #generation = 0
  #promise: Promise<void>
  #resolve!: () => void

  constructor() {
    this.#promise = this.#fresh()
  }

  #fresh(): Promise<void> {
    return new Promise<void>((resolve) => { this.#resolve = resolve })
  }

  get generation(): number {
    return this.#generation
  }

  notify(): void {
    this.#generation++
    const resolve = this.#resolve
    this.#promise = this.#fresh()
    resolve()
  }

  /** Resolves on the next commit, or when `signal` aborts (whichever comes first). */
  wait(signal: AbortSignal, timeoutMs: number): Promise<void> {
    if (signal.aborted) return Promise.resolve()
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer)
        signal.removeEventListener('abort', done)
        resolve()
      }
      const timer = setTimeout(done, timeoutMs)
      signal.addEventListener('abort', done, { once: true })
      void this.#promise.then(done)
    })
  }
}
