// Agent identities (memory and file), the seq source, and the SSE parser.
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { verifyEntrySignature } from '../../src/log/entry.ts'
import { AgentIdentity, ClockSequence } from '../../sdk/index.ts'
import { loadIdentity, loadOrCreateIdentity, saveIdentity } from '../../sdk/identity-file.ts'
import { parseSse, type SseEvent } from '../../sdk/sse.ts'

const dir = mkdtempSync(join(tmpdir(), 'synod-identity-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('AgentIdentity', () => {
  it('generates distinct identities and signs entries that verify', () => {
    const a = AgentIdentity.generate()
    const b = AgentIdentity.generate()
    expect(a.publicKeyHex).not.toBe(b.publicKeyHex)
    const entry = a.sign({ namespace: 'x/y', seq: 1, payload: '{}', refs: [], idempotencyKey: '' }, 'chain')
    expect(verifyEntrySignature(entry, 'chain')).toBe(true)
    expect(verifyEntrySignature(entry, 'other-chain')).toBe(false)
  })

  it('is deterministic from a seed and never serialises it', () => {
    const a = AgentIdentity.fromSeed('11'.repeat(32))
    expect(AgentIdentity.fromSeed(new Uint8Array(32).fill(0x11)).publicKeyHex).toBe(a.publicKeyHex)
    expect(JSON.stringify(a)).toBe(JSON.stringify({ publicKey: a.publicKeyHex }))
    expect(() => AgentIdentity.fromSeed('11')).toThrow(RangeError)
  })

  it('saves with mode 0600 and loads back; refuses wider modes and mismatches', () => {
    const path = join(dir, 'agent.json')
    const a = AgentIdentity.generate()
    saveIdentity(a, path)
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(loadIdentity(path).publicKeyHex).toBe(a.publicKeyHex)
    expect(() => saveIdentity(AgentIdentity.generate(), path)).toThrow(/already exists/)
    chmodSync(path, 0o644)
    expect(() => loadIdentity(path)).toThrow(/chmod 600/)
    chmodSync(path, 0o600)
    const json = JSON.parse(readFileSync(path, 'utf8')) as Record<string, string>
    writeFileSync(path, JSON.stringify({ ...json, publicKey: '00'.repeat(32) }), { mode: 0o600 })
    expect(() => loadIdentity(path)).toThrow(/does not match/)
  })

  it('loadOrCreateIdentity creates once, then loads', () => {
    const path = join(dir, 'new.json')
    const first = loadOrCreateIdentity(path)
    const second = loadOrCreateIdentity(path)
    expect(first.created).toBe(true)
    expect(second.created).toBe(false)
    expect(second.identity.publicKeyHex).toBe(first.identity.publicKeyHex)
  })
})

describe('ClockSequence', () => {
  it('is microseconds, strictly increasing even when the clock stalls or steps back', () => {
    let now = 1_700_000_000_000
    const seq = new ClockSequence(() => now)
    const a = seq.next()
    expect(a).toBe(now * 1000)
    const b = seq.next()
    now -= 5000
    const c = seq.next()
    expect(b).toBe(a + 1)
    expect(c).toBe(b + 1)
    seq.observe(c + 100)
    expect(seq.next()).toBe(c + 101)
  })
})

describe('parseSse', () => {
  async function events(chunks: string[], max = 1000): Promise<SseEvent[]> {
    const encoder = new TextEncoder()
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const c of chunks) controller.enqueue(encoder.encode(c))
        controller.close()
      },
    })
    const out: SseEvent[] = []
    for await (const e of parseSse(body, max)) out.push(e)
    return out
  }

  it('parses events split anywhere, with CRLF, comments and multi-line data', async () => {
    const text = 'retry: 2000\r\n: hello\r\n\r\nid: 7\r\nevent: entry\r\ndata: {"a":\r\ndata: 1}\r\n\r\nid: 8\nevent: entry\ndata: x\n\n'
    for (const size of [1, 2, 3, 7, text.length]) {
      const chunks = Array.from({ length: Math.ceil(text.length / size) }, (_, i) => text.slice(i * size, (i + 1) * size))
      expect(await events(chunks)).toEqual([
        { id: '7', event: 'entry', data: '{"a":\n1}' },
        { id: '8', event: 'entry', data: 'x' },
      ])
    }
  })

  it('refuses an event over the bound', async () => {
    await expect(events([`data: ${'x'.repeat(2000)}\n\n`])).rejects.toThrow(/over 1000/)
    await expect(events(['data: ' + 'x'.repeat(2000)])).rejects.toThrow(/over 1000/)
  })
})
