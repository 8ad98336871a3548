// big-block-catch-up: n = 4, all honest, entries of 30-60 KB in blocks of up to 2 MiB
// (the genesis default blockBytesMax). Node 0 is down from 0.3 s to 20 s, so it restarts
// far behind and catches up by height ranges whose blocks are bigger than a sync
// response's byte budget once was (1 MiB): a response then ended at a block whose
// commit certificate it did not carry, and the restarted node refused it and asked
// again forever (issue 11, defect 2). Expected: safe-and-live.
import { crash, defineScenario } from '../dsl/index.ts'

export default defineScenario({
  name: 'big-block-catch-up',
  description: 'n=4: node 0 restarts behind a chain of blocks over 1 MiB and must catch up',
  cluster: { nodes: 4, params: { blockEntriesMax: 64, blockBytesMax: 2 * 1024 * 1024, payloadBytesMax: 64 * 1024 } },
  network: { delayMs: [80, 120] },
  faults: [crash({ node: 0, at: 300, until: 20_000 })],
  workload: { agents: 3, ratePerSecond: 100, until: 21_000, payloadBytes: [40_000, 60_000] },
  durationMs: 24_000,
  expect: { outcome: 'safe-and-live' },
})
