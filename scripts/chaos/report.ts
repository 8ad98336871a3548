// The chaos run's output: one detail block per failed check, then one summary line.
import type { ChaosResult } from './run.ts'
import { replayCommand } from './options.ts'

export function failureDetails(result: ChaosResult): string[] {
  const lines: string[] = []
  for (const c of result.checks) {
    if (c.ok) continue
    lines.push(`FAILED ${c.name}:`)
    for (const p of c.problems) lines.push(`  ${p}`)
  }
  if (!result.ok) lines.push(`data kept in ${result.dir} (node-*/data/node.log, node-*/stderr.log)`)
  return lines
}

export function summaryLine(result: ChaosResult): string {
  const passed = result.checks.filter((c) => c.ok).length
  const failed = result.checks.filter((c) => !c.ok).map((c) => c.name)
  const byKind = (kind: string): number => result.kills.filter((k) => k.kind === kind).length
  return [
    `chaos ${result.ok ? 'PASSED' : 'FAILED'}`,
    `seed ${result.seed}`,
    `duration ${result.durationS} s`,
    `kills ${result.kills.length} (random ${byKind('random')}, leader ${byKind('leader')}, after a burst ${byKind('burst')})`,
    `acked ${result.acked}`,
    `failed commits ${result.failedCommits}`,
    `${result.settle.idle ? `idle after ${result.settle.ms} ms` : `not idle after ${result.settle.ms} ms`}`,
    `checks ${passed} passed, ${failed.length} failed${failed.length > 0 ? ` (${failed.join(', ')})` : ''}`,
    `replay: ${replayCommand(result)}`,
  ].join(' | ')
}
