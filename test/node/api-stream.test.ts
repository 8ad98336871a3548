// The stream pump (node/api/stream.ts) against slow, vanishing and failing ends, the
// export framing, and a slow SSE client end to end.
import { connect } from 'node:net'
import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { encodeCanonical } from '../../src/codec/cbor.ts'
import { frameRecord } from '../../src/log/export.ts'
import { frameBytes } from '../../src/log/export.ts'
import { pumpToClient, sseEvent } from '../../node/api/stream.ts'
import { alice, makeEntry, startHarness, waitUntil } from './api-fixture.ts'

/** A source that counts how many items were pulled. */
function counting(limit = Infinity): { source: AsyncIterator<number>, pulled: () => number } {
  let n = 0
  return {
    source: {
      async next() {
        if (n >= limit) return { done: true, value: undefined }
        return { done: false, value: n++ }
      },
    },
    pulled: () => n,
  }
}

/** A socket-like sink with a tiny buffer that never drains (a client that stopped reading). */
function stuckSink(): Writable {
  return new Writable({ highWaterMark: 64, write(_chunk, _encoding, _callback) { /* never calls back */ } })
}

function collectingSink(): { sink: Writable, chunks: string[] } {
  const chunks: string[] = []
  return { sink: new Writable({ write(chunk: Buffer, _encoding, callback) { chunks.push(chunk.toString()); callback() } }), chunks }
}

const options = (signal: AbortSignal, extra: Partial<Parameters<typeof pumpToClient>[3]> = {}) => ({
  signal, heartbeat: null, heartbeatMs: 1000, slowClientMs: 100, ...extra,
})

describe('pumpToClient', () => {
  it('stops pulling when the client stops reading, and cuts it off after slowClientMs', async () => {
    const { source, pulled } = counting()
    const started = Date.now()
    const result = await pumpToClient(source, stuckSink(), (n) => 'x'.repeat(100) + n, options(new AbortController().signal))
    expect(result.reason).toBe('slow-client')
    expect(Date.now() - started).toBeGreaterThanOrEqual(90)
    // One item fills the 64-byte buffer: nothing more is pulled while it stays full.
    expect(pulled()).toBe(1)
  })

  it('delivers everything in order and reports done', async () => {
    const { source } = counting(50)
    const { sink, chunks } = collectingSink()
    const result = await pumpToClient(source, sink, (n) => `${n},`, options(new AbortController().signal))
    expect(result.reason).toBe('done')
    expect(chunks.join('')).toBe(Array.from({ length: 50 }, (_, i) => `${i},`).join(''))
  })

  it('returns client-gone promptly when the signal aborts during a pending pull, and releases the source', async () => {
    let returned = false
    const source: AsyncIterator<number> = {
      next: () => new Promise(() => {}), // a backend that ignores the signal
      async return() {
        returned = true
        return { done: true, value: undefined }
      },
    }
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 20)
    const result = await pumpToClient(source, collectingSink().sink, String, options(controller.signal))
    expect(result.reason).toBe('client-gone')
    expect(returned).toBe(true)
  })

  it('reports a failing source as error, with the error', async () => {
    const boom = new Error('boom')
    const source: AsyncIterator<number> = { next: () => Promise.reject(boom) }
    const result = await pumpToClient(source, collectingSink().sink, String, options(new AbortController().signal))
    expect(result).toEqual({ reason: 'error', error: boom })
  })

  it('writes heartbeats while the source is quiet', async () => {
    const controller = new AbortController()
    const { sink, chunks } = collectingSink()
    const source: AsyncIterator<number> = { next: () => new Promise(() => {}) }
    setTimeout(() => controller.abort(), 120)
    await pumpToClient(source, sink, String, options(controller.signal, { heartbeat: ': hb\n\n', heartbeatMs: 20 }))
    expect(chunks.filter((c) => c === ': hb\n\n').length).toBeGreaterThanOrEqual(3)
  })

  it('formats server-sent events', () => {
    expect(sseEvent('entry', '{"a":1}', '7')).toBe('id: 7\nevent: entry\ndata: {"a":1}\n\n')
    expect(sseEvent('error', '{}')).toBe('event: error\ndata: {}\n\n')
  })
})

describe('export framing', () => {
  it('frames encoded bytes exactly as src/log/export.ts frames the value', () => {
    for (const size of [1, 100, 127, 128, 300, 16_383, 16_384, 70_000]) {
      const value = { pad: 'x'.repeat(size) }
      expect(frameBytes(encodeCanonical(value))).toEqual(frameRecord(value))
    }
    expect(() => frameBytes(new Uint8Array(0))).toThrow(/empty/)
  })
})

describe('a slow SSE client end to end', () => {
  it('is disconnected when it stops reading, and the server goes on', async () => {
    const h = await startHarness({ limits: { slowClientMs: 300 } })
    try {
      const a = alice()
      // ~16 KiB entries, about 24 MiB of events: more than loopback socket buffers hold.
      const big = 'y'.repeat(15 * 1024)
      for (let block = 0; block < 10; block++) {
        for (let i = 0; i < 100; i++) await h.backend.submitEntry(makeEntry(a, 'team/bulk', { big, i }), new AbortController().signal)
        h.backend.commit({ certify: false })
      }
      const { port } = new URL(h.url)
      const socket = connect(Number(port), '127.0.0.1')
      socket.on('error', () => {})
      socket.pause() // never read
      socket.write('GET /v1/subscribe?from=0 HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n')
      const slow = 'synod_http_stream_closed_total{kind="subscribe",reason="slow-client"} 1'
      let metrics = ''
      await waitUntil(() => {
        void h.metrics.registry.getSingleMetricAsString('synod_http_stream_closed_total').then((text) => { metrics = text })
        return metrics.includes(slow)
      }, 20_000).catch(() => {})
      expect(metrics).toContain(slow)
      socket.destroy()
      const health = await fetch(`${h.url}/healthz`)
      expect(health.status).toBe(200)
    } finally {
      await h.close()
    }
  })
})
