// synod verify-receipt on the forms a user has at hand: the bare receipt, and the whole
// body of GET /v1/receipts/:id (which it refused with "unknown field 'id'").
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { buildTestVectors } from '../support/test-vectors.ts'

const vectors = buildTestVectors()
const receipt = vectors.receipt as { entry: unknown }
const id = vectors.entry.id as string

describe('synod verify-receipt', () => {
  const dir = mkdtempSync(join(tmpdir(), 'synod-verify-receipt-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const genesisFile = join(dir, 'genesis.json')
  writeFileSync(genesisFile, JSON.stringify(vectors.genesis.json))
  const verify = (name: string, content: unknown) => {
    const file = join(dir, `${name}.json`)
    writeFileSync(file, JSON.stringify(content))
    const r = spawnSync(process.execPath, ['bin/synod.js', 'verify-receipt', file, '--genesis', genesisFile, '--json'], { encoding: 'utf8', timeout: 30_000 })
    return { status: r.status, verdict: JSON.parse(r.stdout.trim().split('\n').at(-1) ?? 'null') as { id: string, ok: boolean, code?: string, reason?: string } }
  }

  it('accepts the bare receipt', () => {
    expect(verify('bare', receipt)).toMatchObject({ status: 0, verdict: { ok: true, id } })
  })

  it('regression: accepts the body of GET /v1/receipts/:id, which it refused as an unknown field', () => {
    expect(verify('body', { id, status: 'certified', receipt })).toMatchObject({ status: 0, verdict: { ok: true, id } })
  })

  it('refuses a body whose id is not the receipt entry', () => {
    const other = `${id.slice(0, -1)}${id.endsWith('0') ? '1' : '0'}`
    expect(verify('mismatch', { id: other, status: 'certified', receipt })).toMatchObject({ status: 2, verdict: { ok: false, code: 'id-mismatch' } })
  })

  it('says a pending answer has no receipt yet', () => {
    const r = verify('pending', { id, status: 'pending', height: null, index: null })
    expect(r).toMatchObject({ status: 2, verdict: { ok: false, code: 'malformed-receipt' } })
    expect(r.verdict.reason).toContain('has no receipt yet')
  })

  it('names what is wrong with a body of another shape', () => {
    expect(verify('odd-status', { id, status: 'done', receipt }).verdict.reason).toContain("status 'certified' or 'pending'")
    expect(verify('no-receipt', { id, status: 'certified' }).verdict.reason).toContain("needs its 'receipt'")
  })
})
