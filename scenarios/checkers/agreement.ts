// Agreement: no two honest nodes commit different blocks at the same height.
import type { Checker } from './types.ts'

export const checkAgreement: Checker = (run) => {
  const violations: string[] = []
  const byHeight = new Map<number, { hash: string, node: string }>()
  for (const node of run.honest) {
    for (let h = 1; h < node.hashes.length; h++) {
      const seen = byHeight.get(h)
      if (seen === undefined) byHeight.set(h, { hash: node.hashes[h]!, node: node.name })
      else if (seen.hash !== node.hashes[h]) {
        violations.push(`agreement: height ${h}: ${seen.node} committed ${seen.hash.slice(0, 12)}, ${node.name} committed ${node.hashes[h]!.slice(0, 12)}`)
      }
    }
  }
  return violations
}
