// Browser access to the HTTP API (node/api/cors.ts): no CORS by default, '*' or a list of
// origins when configured; preflights answered; the CORS headers on every kind of answer
// (JSON, errors, the event stream, the receipt long poll); the config value validated.
import { afterEach, describe, expect, it } from 'vitest'
import { toHex } from '../../src/crypto/hash.ts'
import { entryId } from '../../src/log/entry.ts'
import { checkCorsOrigins, InvalidCorsOriginsError } from '../../node/api/cors.ts'
import { CORS_LIMITS } from '../../node/api/limits.ts'
import { parseConfig } from '../../node/runtime/config.ts'
import { ConfigError } from '../../node/runtime/errors.ts'
import { alice, entryJson, makeEntry, postJson, request, SseReader, startHarness, type Harness, type HarnessOptions } from './api-fixture.ts'

const PAGE = 'http://127.0.0.1:5173'
const OTHER = 'https://evil.example'

let harness: Harness | null = null
afterEach(async () => {
  await harness?.close()
  harness = null
})

async function start(options: HarnessOptions): Promise<Harness> {
  harness = await startHarness(options)
  return harness
}

function preflight(url: string, origin: string, method: string, headers?: string): Promise<Awaited<ReturnType<typeof request>>> {
  return request(url, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': method, ...(headers === undefined ? {} : { 'access-control-request-headers': headers }) },
  })
}

function listed(header: string | null): string[] {
  return (header ?? '').split(',').map((s) => s.trim().toLowerCase()).filter((s) => s.length > 0)
}

describe('CORS off (the default)', () => {
  it('sends no CORS header and answers a preflight like an unknown route', async () => {
    const h = await start({})
    const health = await request(`${h.url}/healthz`, { headers: { origin: PAGE } })
    expect(health.status).toBe(200)
    expect(health.headers.get('access-control-allow-origin')).toBeNull()
    const pre = await preflight(`${h.url}/v1/entries`, PAGE, 'POST', 'content-type')
    expect(pre.status).toBe(404)
    expect(pre.body.error.code).toBe('no-route')
    expect(pre.headers.get('access-control-allow-origin')).toBeNull()
  })
})

describe("CORS for any origin ('*', as the devnet)", () => {
  it('answers the preflight of each route with the methods, headers and max age a page needs', async () => {
    const h = await start({ corsOrigins: '*' })
    const id = '00'.repeat(32)
    const cases: [string, string, string | undefined][] = [
      ['/v1/entries', 'POST', 'content-type'],
      ['/v1/entries?namespace=a', 'GET', undefined],
      [`/v1/entries/${id}`, 'GET', undefined],
      [`/v1/receipts/${id}?wait=5000`, 'GET', undefined],
      ['/v1/subscribe?from=0', 'GET', 'last-event-id'],
      ['/v1/export', 'GET', undefined],
      ['/v1/checkpoint', 'GET', undefined],
      ['/healthz', 'GET', undefined],
      ['/openapi.json', 'GET', undefined],
    ]
    for (const [path, method, headers] of cases) {
      const pre = await preflight(`${h.url}${path}`, PAGE, method, headers)
      expect({ path, status: pre.status }).toEqual({ path, status: 204 })
      expect(pre.headers.get('access-control-allow-origin')).toBe('*')
      expect(listed(pre.headers.get('access-control-allow-methods'))).toEqual(expect.arrayContaining(['get', 'head', 'post']))
      expect(listed(pre.headers.get('access-control-allow-headers'))).toEqual(expect.arrayContaining(['content-type', 'last-event-id']))
      expect(pre.headers.get('access-control-max-age')).toBe(String(CORS_LIMITS.preflightMaxAgeSeconds))
      expect(pre.headers.get('access-control-allow-credentials')).toBeNull()
    }
  })

  it('a preflight that is not one (no requested method) is refused with 400', async () => {
    const h = await start({ corsOrigins: '*' })
    const bad = await request(`${h.url}/v1/entries`, { method: 'OPTIONS', headers: { origin: PAGE } })
    expect(bad.status).toBe(400)
  })

  it('puts the CORS headers on JSON answers, errors and a 202 long poll, and exposes Retry-After', async () => {
    const h = await start({ corsOrigins: '*' })
    const entry = makeEntry(alice())
    const posted = await request(`${h.url}/v1/entries`, { method: 'POST', headers: { origin: PAGE, 'content-type': 'application/json' }, body: JSON.stringify(entryJson(entry)) })
    expect(posted.status).toBe(202)
    expect(posted.headers.get('access-control-allow-origin')).toBe('*')
    expect(listed(posted.headers.get('access-control-expose-headers'))).toEqual(expect.arrayContaining(['retry-after', 'x-synod-export-format']))

    // The long poll ends pending (nothing commits): 202 with Retry-After, readable by the page.
    const waited = await request(`${h.url}/v1/receipts/${toHex(entryId(entry))}?wait=20`, { headers: { origin: PAGE } })
    expect(waited.status).toBe(202)
    expect(waited.headers.get('access-control-allow-origin')).toBe('*')
    expect(waited.headers.get('retry-after')).toBe('1')

    const missing = await request(`${h.url}/v1/entries/${'ab'.repeat(32)}`, { headers: { origin: PAGE } })
    expect(missing.status).toBe(404)
    expect(missing.headers.get('access-control-allow-origin')).toBe('*')
    const noRoute = await request(`${h.url}/v2/nothing`, { headers: { origin: PAGE } })
    expect(noRoute.status).toBe(404)
    expect(noRoute.headers.get('access-control-allow-origin')).toBe('*')
  })

  it('puts the CORS headers on a rate-limited answer (the hooks before the limit run first)', async () => {
    const frozen = 1000
    const h = await start({ corsOrigins: '*', limits: { ipRatePerSecond: 1, ipBurst: 1 }, now: () => frozen })
    await request(`${h.url}/v1/checkpoint`, { headers: { origin: PAGE } })
    const limited = await request(`${h.url}/v1/checkpoint`, { headers: { origin: PAGE } })
    expect(limited.status).toBe(429)
    expect(limited.headers.get('access-control-allow-origin')).toBe('*')
    expect(limited.headers.get('retry-after')).not.toBeNull()
  })

  it('puts the CORS headers on the event stream (a hijacked reply) and on the export', async () => {
    const h = await start({ corsOrigins: '*' })
    await postJson(`${h.url}/v1/entries`, entryJson(makeEntry(alice())))
    h.backend.commit()
    const sse = await SseReader.open(`${h.url}/v1/subscribe?from=0`, { origin: PAGE })
    try {
      expect(sse.status).toBe(200)
      expect(sse.headers?.get('access-control-allow-origin')).toBe('*')
      expect(sse.headers?.get('content-type')).toMatch(/^text\/event-stream/)
    } finally {
      sse.close()
    }
    const res = await fetch(`${h.url}/v1/export`, { headers: { origin: PAGE } })
    expect(res.status).toBe(200)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    await res.arrayBuffer()
  })
})

describe('CORS for listed origins', () => {
  it('reflects a listed origin (with Vary: Origin) and sends nothing to another', async () => {
    const h = await start({ corsOrigins: [PAGE] })
    const ok = await request(`${h.url}/healthz`, { headers: { origin: PAGE } })
    expect(ok.headers.get('access-control-allow-origin')).toBe(PAGE)
    expect(listed(ok.headers.get('vary'))).toContain('origin')
    const other = await request(`${h.url}/healthz`, { headers: { origin: OTHER } })
    expect(other.status).toBe(200)
    expect(other.headers.get('access-control-allow-origin')).toBeNull()
    const pre = await preflight(`${h.url}/v1/entries`, PAGE, 'POST', 'content-type')
    expect(pre.status).toBe(204)
    expect(pre.headers.get('access-control-allow-origin')).toBe(PAGE)
    const preOther = await preflight(`${h.url}/v1/entries`, OTHER, 'POST', 'content-type')
    expect(preOther.headers.get('access-control-allow-origin')).toBeNull()
  })
})

describe('the allowed origins in a node config (http.corsOrigins)', () => {
  const config = (corsOrigins: unknown): unknown => ({ dataDir: 'd', keyFile: 'k', genesisFile: 'g', http: { port: 8000, corsOrigins } })

  it('defaults to none and takes * or a list of origins', () => {
    expect(parseConfig({ dataDir: 'd', keyFile: 'k', genesisFile: 'g', http: { port: 8000 } }, '/etc/synod/config.json').http?.corsOrigins).toEqual([])
    expect(parseConfig(config('*'), '/c.json').http?.corsOrigins).toBe('*')
    expect(parseConfig(config(['https://app.example.com', 'http://localhost:3000']), '/c.json').http?.corsOrigins).toEqual(['https://app.example.com', 'http://localhost:3000'])
  })

  it('refuses what a browser never sends as an Origin, naming the field and value', () => {
    const bad: unknown[] = [
      'https://app.example.com', // a bare string other than '*'
      ['https://app.example.com/'], // trailing slash
      ['https://App.Example.com'], // not lower case
      ['https://app.example.com:443'], // default port spelled out
      ['https://app.example.com/path'],
      ['ftp://files.example.com'],
      ['app.example.com'],
      ['*'],
      [''],
      [7],
      ['https://a.example', 'https://a.example'],
      Array.from({ length: CORS_LIMITS.originsMax + 1 }, (_, i) => `https://a${i}.example`),
      { origin: '*' },
    ]
    for (const value of bad) {
      expect(() => checkCorsOrigins(value)).toThrow(InvalidCorsOriginsError)
      let error: unknown
      try {
        parseConfig(config(value), '/c.json')
      } catch (err) {
        error = err
      }
      expect(error).toBeInstanceOf(ConfigError)
      expect((error as Error).message).toMatch(/http\.corsOrigins/)
    }
  })
})
