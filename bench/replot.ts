// Redraws a run's cluster plots from its results JSON (after a change to the plots):
//   npx node bench/replot.ts bench/results/<run>.json [...]
// The limit is the run's own: its verifies/s on one core x its cores / the validators.
import { readFileSync, writeFileSync } from 'node:fs'
import { clusterPlots, type Sweep } from './cluster-plots.ts'

for (const file of process.argv.slice(2)) {
  if (!file.endsWith('.json')) throw new Error(`${file}: give a run's .json`)
  const run = JSON.parse(readFileSync(file, 'utf8')) as { verifyPerCore?: number, machine?: { cores?: number }, results?: { cluster?: { nodes: number, sweeps: Sweep[] } } }
  const cluster = run.results?.cluster
  if (cluster === undefined || run.verifyPerCore === undefined || run.machine?.cores === undefined) {
    process.stderr.write(`${file}: no cluster results; nothing to plot\n`)
    continue
  }
  const limit = Math.round((run.verifyPerCore * run.machine.cores) / cluster.nodes)
  for (const plot of clusterPlots(cluster, limit)) {
    const out = file.replace(/\.json$/, `-${plot.suffix}`)
    writeFileSync(out, plot.svg)
    process.stderr.write(`wrote ${out}\n`)
  }
}
