// Validity: honest nodes commit only validly signed entries that clients submitted,
// each at most once, with every agent's seq strictly increasing along the log.
import { toHex } from '../../src/crypto/hash.ts'
import { entryId, verifyEntrySignature } from '../../src/log/entry.ts'
import type { Checker } from './types.ts'

export const checkValidity: Checker = (run) => {
  const violations: string[] = []
  const verified = new Map<string, boolean>()
  for (const node of run.honest) {
    const seen = new Set<string>()
    const lastSeq = new Map<string, number>()
    for (let h = 1; h < node.committed.length; h++) {
      for (const entry of node.committed[h]!.entries) {
        const id = toHex(entryId(entry))
        let ok = verified.get(id)
        if (ok === undefined) {
          ok = verifyEntrySignature(entry, run.genesis.chainId, run.signatures)
          verified.set(id, ok)
        }
        if (!ok) violations.push(`validity: ${node.name} height ${h}: entry ${id.slice(0, 12)} has an invalid signature`)
        if (!run.submitted.has(id)) violations.push(`validity: ${node.name} height ${h}: entry ${id.slice(0, 12)} was never submitted`)
        if (seen.has(id)) violations.push(`validity: ${node.name} height ${h}: entry ${id.slice(0, 12)} committed twice`)
        seen.add(id)
        const agent = toHex(entry.agent)
        const last = lastSeq.get(agent)
        if (last !== undefined && entry.seq <= last) violations.push(`validity: ${node.name} height ${h}: agent ${agent.slice(0, 8)} seq ${entry.seq} after ${last}`)
        lastSeq.set(agent, entry.seq)
      }
    }
  }
  return violations
}
