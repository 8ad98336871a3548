// The auditor reports decision states (audit/decisions.ts): the same states as the node's
// ledger, on one thread and with the signature pool, from the genesis and from a partial export.
import { afterAll, describe, expect, it } from 'vitest'
import { toHex } from '../../src/crypto/hash.ts'
import { entryId } from '../../src/log/entry.ts'
import { runAudit } from '../../audit/run-audit.ts'
import { SignaturePool } from '../../node/workers/signature-pool.ts'
import { chunked, exportBytes } from '../support/export-file.ts'
import { decisionChainWithOutcomes } from '../support/decision-chain.ts'

describe('decision states in the audit report', () => {
  const { c, rejected, expiring } = decisionChainWithOutcomes()
  const pool = new SignaturePool(2)
  afterAll(async () => {
    await pool.close()
  })

  for (const threaded of [false, true]) {
    it(`counts approved, rejected and expired decisions and the ignored votes${threaded ? ' (signature pool)' : ''}`, async () => {
      const report = await runAudit(chunked(exportBytes(c.net.genesis, c.chain.items), 997), { genesis: c.net.genesis, ...(threaded ? { pool } : {}) })
      expect(report.ok).toBe(true)
      expect(report.decisions.counts).toEqual({ approved: 1, rejected: 1, expired: 1, pending: 0 })
      expect(report.decisions.ignored).toEqual({ 'vote-after-decided': 2, 'vote-from-non-approver': 1, 'vote-after-deadline': 1 })
      const byId = new Map(report.decisions.decisions.map((d) => [d.id, d]))
      expect(byId.get(toHex(entryId(c.decision)))).toMatchObject({ status: 'approved', approvals: 2 })
      expect(byId.get(toHex(entryId(rejected)))).toMatchObject({ status: 'rejected', rejections: 2 })
      expect(byId.get(toHex(entryId(expiring)))).toMatchObject({ status: 'expired', approvals: 0 })
    })
  }

  it('stops at toHeight: a decision pending there is reported pending', async () => {
    const report = await runAudit(chunked(exportBytes(c.net.genesis, c.chain.items), 4096), { genesis: c.net.genesis, toHeight: 3, allowUncertifiedTail: true })
    expect(report.decisions.counts).toEqual({ approved: 1, rejected: 0, expired: 0, pending: 2 })
  })
})
