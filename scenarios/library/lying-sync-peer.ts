// lying-sync-peer: n = 7 (f = 2). Node 6 answers every sync request with forged or
// altered blocks (swapped entries, altered headers, spliced chains, forged commit
// certificates, wrong blocks, silence). Node 0 is down for 3 s, so it restarts well
// behind; for the next 2 s its links to every honest peer are down and the liar is the
// only node it can reach, while the five others keep committing. Every block it is
// offered then is a lie it must refuse (the report's rejection table shows them). After
// the links return it must catch up from the honest peers. Expected: safe-and-live.
import { crash, defineScenario, link } from '../dsl/index.ts'

export default defineScenario({
  name: 'lying-sync-peer',
  description: 'n=7: node 6 forges every sync answer; node 0 restarts behind and can first reach only node 6',
  cluster: { nodes: 7 },
  byzantine: [{ node: 6, behaviour: 'lying-sync' }],
  faults: [
    crash({ node: 0, at: 300, until: 3300 }),
    link({ from: 0, to: [1, 2, 3, 4, 5], at: 3300, until: 5300, loss: 1 }),
  ],
  workload: { agents: 3, ratePerSecond: 40 },
  durationMs: 6000,
  expect: { outcome: 'safe-and-live' },
})
