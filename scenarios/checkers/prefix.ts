// Prefix consistency: every honest node's committed chain is hash-linked, and of any
// two honest chains the shorter is a prefix of the longer.
import { toHex } from '../../src/crypto/hash.ts'
import type { Checker } from './types.ts'

export const checkPrefix: Checker = (run) => {
  const violations: string[] = []
  for (const node of run.honest) {
    for (let h = 1; h < node.committed.length; h++) {
      const header = node.committed[h]!.header
      if (header.height !== h) violations.push(`prefix: ${node.name} holds height ${header.height} at position ${h}`)
      if (toHex(header.parent) !== node.hashes[h - 1]) violations.push(`prefix: ${node.name} height ${h} does not link to its height ${h - 1}`)
    }
  }
  const sorted = [...run.honest].sort((a, b) => b.hashes.length - a.hashes.length)
  const longest = sorted[0]
  if (longest === undefined) return violations
  for (const node of sorted.slice(1)) {
    for (let h = 0; h < node.hashes.length; h++) {
      if (node.hashes[h] !== longest.hashes[h]) {
        violations.push(`prefix: ${node.name}'s chain (height ${node.hashes.length - 1}) is not a prefix of ${longest.name}'s (height ${longest.hashes.length - 1}): they differ at height ${h}`)
        break
      }
    }
  }
  return violations
}
