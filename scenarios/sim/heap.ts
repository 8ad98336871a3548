// A binary min-heap of simulator events, ordered by (time, sequence number): two events
// at the same virtual time run in the order they were scheduled, so runs are
// deterministic.

export interface Scheduled<T> {
  readonly time: number
  readonly seq: number
  readonly item: T
}

export class EventHeap<T> {
  readonly #items: Scheduled<T>[] = []
  #seq = 0

  get size(): number {
    return this.#items.length
  }

  push(time: number, item: T): void {
    const node: Scheduled<T> = { time, seq: this.#seq++, item }
    const a = this.#items
    a.push(node)
    let i = a.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!less(a[i]!, a[p]!)) break
      ;[a[i], a[p]] = [a[p]!, a[i]!]
      i = p
    }
  }

  pop(): Scheduled<T> | undefined {
    const a = this.#items
    if (a.length === 0) return undefined
    const top = a[0]!
    const last = a.pop()!
    if (a.length > 0) {
      a[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < a.length && less(a[l]!, a[m]!)) m = l
        if (r < a.length && less(a[r]!, a[m]!)) m = r
        if (m === i) break
        ;[a[i], a[m]] = [a[m]!, a[i]!]
        i = m
      }
    }
    return top
  }

  peekTime(): number | undefined {
    return this.#items[0]?.time
  }
}

function less<T>(x: Scheduled<T>, y: Scheduled<T>): boolean {
  return x.time < y.time || (x.time === y.time && x.seq < y.seq)
}
