// The life of the validator processes a networked benchmark starts. They run in their own
// process groups (so a Ctrl-C reaches only the benchmark), which means nothing else stops
// them: they are killed by pid however the benchmark ends (normally, SIGINT, SIGTERM),
// and a run ends one way: measure, stop the nodes, remove the data directory unless kept,
// print the result as the last stdout line.
import { rmSync } from 'node:fs'
import type { NodeProcess } from '../devnet/cluster.ts'

export function killNodesOnExit(nodes: readonly NodeProcess[]): void {
  const killAll = (): void => { for (const node of nodes) node.killNow() }
  process.on('exit', killAll)
  process.on('SIGINT', () => { killAll(); process.exit(130) })
  process.on('SIGTERM', () => { killAll(); process.exit(143) })
}

export async function measureAndReport(measure: () => Promise<Record<string, unknown>>, nodes: readonly NodeProcess[], dir: string, keep: boolean): Promise<never> {
  let result: Record<string, unknown> | null
  try {
    result = await measure()
  } finally {
    await Promise.all(nodes.map((n) => n.stop().catch(() => n.kill())))
    if (!keep) rmSync(dir, { recursive: true, force: true })
  }
  process.stdout.write(JSON.stringify(result) + '\n')
  process.exit(0)
}
