// Decision agreement: every honest node computes the same decision states (docs/formats.md
// section 12) from its committed chain, compared at the highest height all of them have
// committed (above it a node that is behind may still see a decision pending). The states
// come from the core's DecisionLedger, the function the node's API, the SDK and the
// auditor use, so this checks that it is deterministic over what each node stored.
import { DecisionLedger } from '../../src/decisions/state.ts'
import type { Checker, NodeChain } from './types.ts'

/** Violations reported per run: the first ones show the problem; a broken ledger would
 * otherwise repeat one line per decision. */
const VIOLATIONS_MAX = 10

function statesAt(node: NodeChain, height: number): Map<string, string> {
  const ledger = new DecisionLedger()
  for (let h = 1; h <= height; h++) {
    const block = node.committed[h]!
    for (const entry of block.entries) ledger.append({ entry, index: ledger.logSize, height: h })
    ledger.advanceTo(h)
  }
  const out = new Map<string, string>()
  for (const s of ledger.states()) {
    out.set(s.id, `${s.status} approvals [${s.approvals.map((v) => v.id.slice(0, 8)).join(',')}] rejections [${s.rejections.map((v) => v.id.slice(0, 8)).join(',')}]`)
  }
  return out
}

export const checkDecisionAgreement: Checker = (run) => {
  if (run.honest.length === 0) return []
  const height = Math.min(...run.honest.map((n) => n.committed.length - 1))
  const violations: string[] = []
  let reference: { node: string, states: Map<string, string> } | null = null
  for (const node of run.honest) {
    let states: Map<string, string>
    try {
      states = statesAt(node, height)
    } catch (err) {
      violations.push(`decision-agreement: ${node.name}: the decision ledger failed at or below height ${height}: ${(err as Error).message}`)
      continue
    }
    if (reference === null) {
      reference = { node: node.name, states }
      continue
    }
    for (const id of new Set([...reference.states.keys(), ...states.keys()])) {
      const a = reference.states.get(id) ?? 'absent'
      const b = states.get(id) ?? 'absent'
      if (a !== b && violations.length < VIOLATIONS_MAX) {
        violations.push(`decision-agreement: decision ${id.slice(0, 12)} at height ${height}: ${reference.node} computes ${a}, ${node.name} computes ${b}`)
      }
    }
  }
  return violations
}

/** How many decisions end in each state on the first honest node (for reports and tests). */
export function decisionSummary(node: NodeChain): Record<string, number> {
  const out: Record<string, number> = { pending: 0, approved: 0, rejected: 0, expired: 0 }
  for (const s of statesAt(node, node.committed.length - 1).values()) out[s.split(' ')[0]!]! += 1
  return out
}
