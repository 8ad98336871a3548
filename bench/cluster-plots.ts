// The cluster sweep's plots (throughput and latency against the offered rate, per payload
// size), from a run's results: written by bench/run.ts, redrawn by bench/replot.ts.
import { linePlot, type Series } from './svg-plot.ts'

export interface SweepStep { offeredPerSec: number, committedPerSec: number, p50Ms: number | null, p99Ms: number | null, nodeCpuCores: (number | null)[], nodeCpuMsPerCommit?: number | null, nodeRssMB: (number | null)[], generatorCpuCores: number, saturated: boolean }
export interface Sweep { payloadBytes: number, saturationPerSec: number, steps: SweepStep[], at80: SweepStep }

/** One SVG per sweep and figure, keyed by the file name's suffix after the run's name. */
export function clusterPlots(c: { nodes: number, sweeps: readonly Sweep[] }, limit: number): { suffix: string, svg: string }[] {
  const plots: { suffix: string, svg: string }[] = []
  for (const s of c.sweeps) {
    const offeredMax = Math.max(...s.steps.map((p) => p.offeredPerSec))
    const tput: Series[] = [
      { name: 'committed/s', points: [...s.steps, s.at80].map((p) => [p.offeredPerSec, p.committedPerSec] as const) },
      // References, not data: they do not stretch the axes (bench/svg-plot.ts).
      { name: 'offered = committed', points: [[0, 0], [offeredMax, offeredMax]], dashed: true, reference: true },
      { name: `limit ${limit}/s`, points: [[0, limit], [offeredMax, limit]], dashed: true, reference: true },
    ]
    const lat: Series[] = [
      { name: 'p50 ms', points: [...s.steps, s.at80].filter((p) => p.p50Ms !== null).map((p) => [p.offeredPerSec, p.p50Ms!] as const) },
      { name: 'p99 ms', points: [...s.steps, s.at80].filter((p) => p.p99Ms !== null).map((p) => [p.offeredPerSec, p.p99Ms!] as const) },
    ]
    plots.push({ suffix: `cluster-${s.payloadBytes}B-throughput.svg`, svg: linePlot(tput, { title: `Cluster (n=${c.nodes}, ${s.payloadBytes} B): committed vs offered`, xLabel: 'offered entries/s (open loop)', yLabel: 'committed entries/s' }) })
    plots.push({ suffix: `cluster-${s.payloadBytes}B-latency.svg`, svg: linePlot(lat, { title: `Cluster (n=${c.nodes}, ${s.payloadBytes} B): commit latency vs offered`, xLabel: 'offered entries/s (open loop)', yLabel: 'submit -> verified receipt, ms' }) })
  }
  return plots
}
