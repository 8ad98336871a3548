// Liveness: once faults stop (at most f Byzantine nodes remain, the network is
// synchronous and partitions have healed), every honest node commits every probe entry
// within the run's bound (20 s of virtual time by default).
import type { Checker } from './types.ts'

export const checkLiveness: Checker = (run) => {
  const violations: string[] = []
  for (const node of run.correct ?? run.honest) {
    let missing = 0
    for (const probe of run.probes) if (!node.ids.has(probe)) missing++
    if (missing > 0) violations.push(`liveness: ${node.name} has not committed ${missing} of ${run.probes.size} probe entries ${run.livenessBoundMs} ms after faults stopped (height ${node.committed.length - 1})`)
  }
  if (violations.length === 0 && run.convergenceMs < 0) violations.push('liveness: the run did not converge')
  return violations
}
