// Fuzzing the HTTP API with generated bodies and query strings: every answer is a
// documented status with the JSON error shape, never a 500, and the server keeps going.
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { agent, alice, entryJson, makeEntry, request, startHarness, type Harness } from './api-fixture.ts'

const FC_SEED = Number(process.env.FC_SEED ?? 0xf0_22)
console.info(`[api-fuzz.test] fast-check seed ${FC_SEED} (replay with FC_SEED=${FC_SEED})`)

const ENTRY_STATUSES = new Set([200, 202, 400, 403, 409, 413, 415, 422])
const QUERY_STATUSES = new Set([200, 400, 414, 431])

let h: Harness
beforeAll(async () => {
  h = await startHarness({ limits: { ipRatePerSecond: 1e6, ipBurst: 1e6, agentRatePerSecond: 1e6, agentBurst: 1e6 } })
})
afterAll(async () => {
  await h.close()
})

function checkAnswer(answer: Awaited<ReturnType<typeof request>>, allowed: Set<number>, what: string): boolean {
  if (!allowed.has(answer.status)) throw new Error(`${what}: status ${answer.status}: ${answer.text.slice(0, 300)}`)
  if (answer.status >= 400 && answer.status !== 431) {
    const error = answer.body?.error
    if (typeof error?.code !== 'string' || typeof error?.message !== 'string') throw new Error(`${what}: not the error shape: ${answer.text.slice(0, 300)}`)
  }
  return true
}

const valid = entryJson(makeEntry(alice())) as Record<string, unknown>
const fields = Object.keys(valid)

/** A valid entry with one field replaced, removed or added. */
const mutated = fc.oneof(
  fc.tuple(fc.constantFrom(...fields), fc.jsonValue({ maxDepth: 3 })).map(([k, v]) => ({ ...valid, [k]: v })),
  fc.constantFrom(...fields).map((k) => Object.fromEntries(Object.entries(valid).filter(([key]) => key !== k))),
  fc.tuple(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 })).map(([k, v]) => ({ ...valid, [k]: v })),
  fc.tuple(fc.constantFrom('agent', 'sig'), fc.nat(63), fc.constantFrom('0', 'f', 'g', 'A', '')).map(([k, i, c]) => {
    const hex = valid[k] as string
    return { ...valid, [k]: hex.slice(0, i) + c + hex.slice(i + 1) }
  }),
)

describe('fuzzing POST /v1/entries', () => {
  it('answers any JSON value, any mutated entry and any text with a 4xx or a success, never a 500', async () => {
    const bodies = fc.oneof(
      fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
      mutated.map((v) => JSON.stringify(v)),
      fc.string({ maxLength: 200 }),
      fc.string({ unit: 'binary', maxLength: 100 }),
    )
    await fc.assert(fc.asyncProperty(bodies, async (body) => {
      const answer = await request(`${h.url}/v1/entries`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
      return checkAnswer(answer, ENTRY_STATUSES, `body ${JSON.stringify(body).slice(0, 200)}`)
    }), { seed: FC_SEED, numRuns: 300 })
    expect((await request(`${h.url}/healthz`)).status).toBe(200)
  })
})

describe('fuzzing GET /v1/entries', () => {
  it('answers any query string with 200 or a 4xx, never a 500', async () => {
    const keys = fc.constantFrom('namespace', 'agent', 'fromHeight', 'toHeight', 'cursor', 'limit', 'x', '__proto__', 'constructor')
    const values = fc.oneof(fc.string({ maxLength: 30 }), fc.nat().map(String), fc.constantFrom('-1', '1e9', 'ab'.repeat(32), 'i0', '%', '%zz'))
    const queries = fc.array(fc.tuple(keys, values), { maxLength: 5 })
    await fc.assert(fc.asyncProperty(queries, async (pairs) => {
      const query = pairs.map(([k, v]) => `${encodeURIComponent(k)}=${v.startsWith('%') ? v : encodeURIComponent(v)}`).join('&')
      const answer = await request(`${h.url}/v1/entries?${query}`)
      return checkAnswer(answer, QUERY_STATUSES, `query ${query}`)
    }), { seed: FC_SEED, numRuns: 300 })
    expect((await request(`${h.url}/healthz`)).status).toBe(200)
  })
})

describe('adversarial strings in every field of a signed entry and every query', () => {
  // Names an object answers from its prototype: the remote crash (an entry to namespace
  // `constructor` stopped the validator) came from a lookup on a plain object.
  const names = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', 'then', 'length', 'tostring', 'valueof']
  const word = fc.oneof(fc.constantFrom(...names), fc.string({ maxLength: 8 }))
  const namespace = fc.array(fc.oneof(fc.constantFrom(...names), fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,5}$/)), { minLength: 1, maxLength: 3 }).map((s) => s.join('/'))
  const payload = fc.dictionary(word, fc.oneof(word, fc.integer()), { maxKeys: 4 })

  it('signed entries from fresh agents are answered with a documented status, and the node keeps serving', async () => {
    let label = 0
    await fc.assert(fc.asyncProperty(namespace, payload, fc.oneof(fc.constant(''), word), async (ns, data, key) => {
      const who = agent(`adversarial-${label++}`)
      const entry = makeEntry(who, ns, data, { key: key.slice(0, 64) })
      const answer = await request(`${h.url}/v1/entries`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(entryJson(entry)) })
      checkAnswer(answer, ENTRY_STATUSES, `namespace ${JSON.stringify(ns)} payload ${JSON.stringify(data)}`)
      const query = await request(`${h.url}/v1/entries?namespace=${encodeURIComponent(ns)}&agent=${who.hex}`)
      return checkAnswer(query, QUERY_STATUSES, `query namespace ${JSON.stringify(ns)}`)
    }), { seed: FC_SEED, numRuns: 150 })
    expect((await request(`${h.url}/healthz`)).status).toBe(200)
  })
})
