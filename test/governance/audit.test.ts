// `synod audit`'s pipeline (audit/run-audit.ts) re-checks governance (docs/formats.md
// section 13) from the export alone: a chain whose blocks broke a policy fails with the
// rule's code at the entry's height and position, on one thread and with the pool.
import { afterAll, describe, expect, it } from 'vitest'
import { runAudit } from '../../audit/run-audit.ts'
import { SignaturePool } from '../../node/workers/signature-pool.ts'
import { ChainBuilder } from '../support/chain-builder.ts'
import { chunked, exportBytes } from '../support/export-file.ts'
import { governedNet, hexOf, policyPayloadText } from '../support/governance.ts'

describe('the audit re-checks governance', () => {
  const g = governedNet('audit-gov')
  const chainId = g.genesis.chainId
  const pool = new SignaturePool(2)
  afterAll(async () => {
    await pool.close()
  })

  function chain(breakPolicy: boolean): ChainBuilder {
    const c = new ChainBuilder(g.net)
    c.add([g.acmeRoot.entryText(chainId, 'acme', policyPayloadText({ writers: hexOf(g.alice), schema: { type: 'object', required: ['action'] } }))])
    c.add([g.alice.entry(chainId, 'acme', { action: 'buy' }), g.globexRoot.entry(chainId, 'globex', { any: 1 })])
    c.add([g.alice.entry(chainId, 'acme/desk', breakPolicy ? { note: 'no action' } : { action: 'sell' })])
    return c
  }

  for (const threaded of [false, true]) {
    it(`passes a chain that keeps its policies, and names the entry that breaks one${threaded ? ' (signature pool)' : ''}`, async () => {
      const options = { genesis: g.genesis, ...(threaded ? { pool } : {}) }
      const good = chain(false)
      expect((await runAudit(chunked(exportBytes(g.genesis, good.items)), options)).ok).toBe(true)
      const bad = chain(true)
      const report = await runAudit(chunked(exportBytes(g.genesis, bad.items)), options)
      expect(report.ok).toBe(false)
      expect(report.failure).toMatchObject({ code: 'entry-schema-mismatch', height: 3, position: 0 })
      expect(report.failure?.reason).toMatch(/no member "action"/)
    })
  }
})
