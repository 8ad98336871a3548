// CPU time and RSS of a process from /proc (Linux): utime + stime from /proc/<pid>/stat,
// VmRSS and VmHWM from /proc/<pid>/status. Elsewhere every figure is null.
import { readFileSync } from 'node:fs'

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ: 100 on every Linux ABI). */
const CLOCK_TICKS_PER_SECOND = 100

export interface ProcSample {
  readonly atMs: number
  /** User + system CPU time so far, in ms. */
  readonly cpuMs: number | null
  readonly rssMB: number | null
  /** Peak RSS so far (VmHWM). */
  readonly peakRssMB: number | null
}

export function sampleProcess(pid: number): ProcSample {
  const atMs = performance.now()
  let cpuMs: number | null = null
  let rssMB: number | null = null
  let peakRssMB: number | null = null
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) may hold spaces: count fields after its closing ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const ticks = Number(fields[11]) + Number(fields[12]) // fields 14 and 15 of the line
    cpuMs = (ticks * 1000) / CLOCK_TICKS_PER_SECOND
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = (name: string): number | null => {
      const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)
      return m === null ? null : Math.round(Number(m[1]) / 1024)
    }
    rssMB = kb('VmRSS')
    peakRssMB = kb('VmHWM')
  } catch {
    // not Linux, or the process is gone
  }
  return { atMs, cpuMs, rssMB, peakRssMB }
}

/** CPU use between two samples, in cores (1.0 = one core busy all the time). */
export function cpuCores(from: ProcSample, to: ProcSample): number | null {
  if (from.cpuMs === null || to.cpuMs === null || to.atMs <= from.atMs) return null
  return Math.round(((to.cpuMs - from.cpuMs) / (to.atMs - from.atMs)) * 100) / 100
}

/** CPU time the processes spent between two samples each, in ms, summed; null if unknown. */
export function cpuMsSpent(from: readonly ProcSample[], to: readonly ProcSample[]): number | null {
  let total = 0
  for (let i = 0; i < from.length; i++) {
    const a = from[i]!.cpuMs
    const b = to[i]?.cpuMs ?? null
    if (a === null || b === null) return null
    total += b - a
  }
  return total
}
