// Bounded waits on a transport under test: the next message it receives, and a condition
// on its state, each failing with a clear error when its time is up.
import type { Libp2pTransport } from '../../node/net/libp2p-transport.ts'
import type { Received } from '../../node/net/transport.ts'

export async function nextReceived<M>(t: Libp2pTransport<M>, timeoutMs: number): Promise<Received<M>> {
  const iterator = t.received[Symbol.asyncIterator]()
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error('timed out waiting for a message')), timeoutMs) })
  try {
    const result = await Promise.race([iterator.next(), timeout])
    if (result.done === true) throw new Error('inbox closed')
    return result.value
  } finally {
    clearTimeout(timer)
  }
}

export async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 50))
  }
}
