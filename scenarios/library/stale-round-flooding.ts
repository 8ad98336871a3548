// stale-round-flooding: node 3 floods its peers with 500 junk messages per second:
// validly signed timeouts and votes for stale rounds, garbage-signed votes and entries,
// replayed proposals, block requests for unknown hashes and range requests for the
// whole log. Honest nodes ignore or reject all of it and keep committing.
// (The simulator has no bandwidth model: this checks the protocol's handling of junk.)
// Expected: safe-and-live.
import { defineScenario } from '../dsl/index.ts'

export default defineScenario({
  name: 'stale-round-flooding',
  description: 'node 3 sprays 500 stale-round and garbage messages per second',
  cluster: { nodes: 4 },
  byzantine: [{ node: 3, behaviour: 'flood', params: { ratePerSecond: 500 } }],
  workload: { agents: 3, ratePerSecond: 20 },
  durationMs: 5000,
  expect: { outcome: 'safe-and-live' },
})
