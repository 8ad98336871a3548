// Connection bounds of the HTTP API: one address cannot hold every connection, and
// /healthz and /metrics stay reachable while it tries.
import { connect, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { startHarness, type Harness } from './api-fixture.ts'

/** A client that starts a request and never finishes its headers (slow-loris). */
function openSlowConnection(port: number): Promise<{ socket: Socket, closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port })
    const closed = new Promise<void>((done) => socket.once('close', () => done()))
    socket.on('error', () => {}) // a refused connection may be reset
    socket.resume() // read what the server sends, so that its end is seen
    socket.once('connect', () => {
      socket.write('GET /v1/checkpoint HTTP/1.1\r\nHost: 127.0.0.1\r\n')
      resolve({ socket, closed })
    })
    socket.once('close', () => reject(new Error('closed before connecting')))
  })
}

/** GET /healthz until it answers, at most `attempts` times; the status, or null. */
async function healthAnswer(url: string, attempts: number, pauseMs: number): Promise<number | null> {
  for (let i = 0; i < attempts; i++) {
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) })
      await res.arrayBuffer()
      return res.status
    } catch {
      await new Promise((r) => setTimeout(r, pauseMs))
    }
  }
  return null
}

/** Waits until `count` of the promises have settled, or `ms` has passed; how many did. */
async function settledWithin(promises: readonly Promise<void>[], count: number, ms: number): Promise<number> {
  let settled = 0
  for (const p of promises) void p.then(() => { settled++ })
  const until = performance.now() + ms
  while (settled < count && performance.now() < until) await new Promise((r) => setTimeout(r, 20))
  return settled
}

describe('API connection bounds', () => {
  let harness: Harness | null = null
  const sockets: Socket[] = []
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy()
    await harness?.close()
    harness = null
  })

  it('regression: slow connections from one address took every socket and /healthz went unanswered', async () => {
    const perAddress = 12
    const reserve = 4
    const attempts = 80
    harness = await startHarness({
      limits: { connectionsMax: 48, connectionsPerIpMax: perAddress, connectionsReserve: reserve, connectionsReservePerIpMax: 2, connectionsReserveMs: 300 },
    })
    const port = Number(new URL(harness.url).port)
    const closes: Promise<void>[] = []
    for (let i = 0; i < attempts; i++) {
      try {
        const { socket, closed } = await openSlowConnection(port)
        sockets.push(socket)
        closes.push(closed)
      } catch {
        closes.push(Promise.resolve()) // refused before the handshake completed: also fine
      }
    }
    // Health answers even from the address that holds its whole share.
    expect(await healthAnswer(harness.url, 20, 100)).toBe(200)
    // Everything over the address's share is closed at once (the reserve shortly after).
    const excess = attempts - perAddress
    const closedCount = await settledWithin(closes, excess, 5000)
    expect(closedCount).toBeGreaterThanOrEqual(excess)
    // The address keeps its share: the cap bounds, it does not cut everyone.
    expect(sockets.filter((s) => !s.destroyed && !s.closed).length).toBeLessThanOrEqual(perAddress)
    // An ordinary request over the share is refused with a coded answer, not held.
    const res = await fetch(`${harness.url}/v1/checkpoint`, { signal: AbortSignal.timeout(2000) }).catch(() => null)
    if (res !== null) {
      expect(res.status).toBe(503)
      expect((await res.json() as { error: { code: string } }).error.code).toBe('connections-exhausted')
    }
    expect((await harness.metrics.render()).body).toMatch(/synod_http_rate_limited_total\{scope="connections"\} [1-9]/)
  })

  it('serves health and metrics from the reserve when every ordinary connection is taken', async () => {
    harness = await startHarness({
      limits: { connectionsMax: 8, connectionsPerIpMax: 8, connectionsReserve: 4, connectionsReservePerIpMax: 4, connectionsReserveMs: 2000 },
    })
    const port = Number(new URL(harness.url).port)
    for (let i = 0; i < 8; i++) sockets.push((await openSlowConnection(port)).socket)
    expect(await healthAnswer(harness.url, 5, 100)).toBe(200)
    const metrics = await fetch(`${harness.url}/metrics`, { signal: AbortSignal.timeout(2000) })
    expect(metrics.status).toBe(200)
    await metrics.arrayBuffer()
    // Any other route on a reserve connection is refused with a coded answer, and closed.
    const other = await fetch(`${harness.url}/v1/checkpoint`, { signal: AbortSignal.timeout(2000) })
    expect(other.status).toBe(503)
    expect(other.headers.get('retry-after')).toBe('1')
    expect(other.headers.get('connection')).toBe('close')
    expect((await other.json() as { error: { code: string } }).error.code).toBe('connections-exhausted')
  })

  it('bounds a client that never finishes its headers', async () => {
    harness = await startHarness({ limits: { headersTimeoutMs: 200 } })
    const port = Number(new URL(harness.url).port)
    const { socket, closed } = await openSlowConnection(port)
    sockets.push(socket)
    expect(await settledWithin([closed], 1, 5000)).toBe(1)
  })
})
