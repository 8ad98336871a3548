// The payload grammar (src/log/payload-json.ts): RFC 8259 JSON text with unique member
// names, no lone surrogate escapes and no number out of a double's range.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CodecError } from '../../src/codec/errors.ts'
import { entryFromCbor, entryToCbor, signEntry } from '../../src/log/entry.ts'
import { payloadJsonProblem } from '../../src/log/payload-json.ts'
import { TestAgent } from '../support/chain-builder.ts'

const seed = Number(process.env.FC_SEED ?? 20261203)
const agent = new TestAgent('payload-json')

function readWithPayload(payload: string): unknown {
  const body = { agent: agent.publicKey, namespace: 'acme', seq: 1, payload, refs: [], idempotencyKey: '' }
  return entryFromCbor(entryToCbor({ ...body, sig: new Uint8Array(64) }))
}

describe('payload JSON', () => {
  it('regression: duplicate member names, lone surrogate escapes and 1e400 were accepted (JSON.parse reads them)', () => {
    for (const payload of ['{"a":1,"a":2}', '{"a\\u0062":1,"ab":2}', '"\\ud800"', '["\\udfff"]', '1e400', '{"n":-1e400}']) {
      expect(() => JSON.parse(payload)).not.toThrow()
      expect(payloadJsonProblem(payload), payload).not.toBeNull()
      expect(() => readWithPayload(payload), payload).toThrow(CodecError)
      expect(() => signEntry({ agent: agent.publicKey, namespace: 'acme', seq: 1, payload, refs: [], idempotencyKey: '' }, 'c', agent.seed), payload).toThrow(CodecError)
    }
  })

  it('names the problem and where it is', () => {
    expect(payloadJsonProblem('{"a":1,"a":2}')).toBe('a duplicate member name "a" at character 7')
    expect(payloadJsonProblem('[1,]')).toBe('expected a value at character 3')
  })

  it('scans nesting iteratively (no stack overflow at any depth a payload can have)', () => {
    expect(payloadJsonProblem('['.repeat(40_000) + ']'.repeat(40_000))).toBeNull()
    expect(payloadJsonProblem('{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000))).toBeNull()
  })

  it(`accepts what JSON.stringify writes from JSON values (fast-check seed ${seed}, replay with FC_SEED=${seed})`, () => {
    fc.assert(fc.property(fc.json(), (text) => {
      expect(payloadJsonProblem(text)).toBeNull()
    }), { seed, numRuns: 500 })
  })

  it(`agrees with JSON.parse on the grammar of damaged texts, apart from its three rules (seed ${seed})`, () => {
    const damaged = fc.tuple(fc.json(), fc.nat(), fc.constantFrom('', '"', ',', '}', ']', '\\', ':', 'e', '-', ' ', '0', '"a":1,'))
      .map(([text, at, insert]) => { const i = at % (text.length + 1); return text.slice(0, i) + insert + text.slice(i + 1) })
    fc.assert(fc.property(damaged, (text) => {
      const problem = payloadJsonProblem(text)
      let parses = true
      try {
        JSON.parse(text)
      } catch {
        parses = false
      }
      if (problem === null) expect(parses).toBe(true)
      else if (parses) expect(problem).toMatch(/duplicate member name|lone surrogate|out of the range of a double/)
    }), { seed, numRuns: 2000 })
  })
})
