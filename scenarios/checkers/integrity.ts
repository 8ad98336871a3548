// Integrity: each honest node's committed chain passes the auditor's chain verifier
// (src/log/verify.ts): hash links, QCs, proposers, entries, log roots and every stored
// commit certificate, against nothing but the genesis. Identical chains are verified once.
import { ChainVerifier } from '../../src/log/verify.ts'
import type { Checker } from './types.ts'

export const checkIntegrity: Checker = (run) => {
  const violations: string[] = []
  const done = new Set<string>()
  for (const node of run.honest) {
    const key = `${node.hashes.length}/${node.hashes[node.hashes.length - 1]}`
    if (done.has(key)) continue
    done.add(key)
    const verifier = new ChainVerifier(run.genesis, undefined, run.leaders, run.signatures)
    for (let h = 1; h < node.committed.length; h++) {
      if (verifier.push({ block: node.committed[h]!, cc: node.ccs.get(h) ?? null }) !== null) break
    }
    // The tail after the last CC is committed by the two-chain rule (its CC may still be
    // in flight), so an uncertified tail is allowed here.
    const report = verifier.finish({ allowUncertifiedTail: true })
    if (!report.ok) violations.push(`integrity: ${node.name}: ${report.failure!.code} at height ${report.failure!.height}: ${report.failure!.reason}`)
  }
  return violations
}
