// How benchmark result files are named (docs/performance.md, "Result files"): every name
// starts with the run's UTC time, so no name claims to be the latest; bench/results/ holds
// the runs the README and docs/performance.md cite, bench/results/archive/ the ones they
// superseded, under the same names.
import { existsSync, mkdirSync, readdirSync, renameSync } from 'node:fs'
import { join } from 'node:path'

export const ARCHIVE_DIR = 'archive'
/** A run of `npm run bench`: <YYYY-MM-DD>T<HHMM>Z-<quick|full>[-<tag>]. */
const RUN_NAME = /^(\d{4}-\d{2}-\d{2}T\d{4}Z)-(quick|full)(-[a-z0-9][a-z0-9-]*)?$/
const TAG = /^[a-z0-9][a-z0-9-]{0,40}$/

/** The file name stem of a run started at `at`. */
export function runName(at: Date, quick: boolean, tag?: string): string {
  if (tag !== undefined && !TAG.test(tag)) throw new Error(`--tag must be lower-case letters, digits and '-' (at most 41), got '${tag}'`)
  const stamp = at.toISOString().slice(0, 16).replace(':', '') + 'Z'
  return `${stamp}-${quick ? 'quick' : 'full'}${tag === undefined ? '' : `-${tag}`}`
}

/** The run a result file belongs to ('2026-11-22T0427Z-quick-final' for its .json, .md and
 * -cluster-*.svg, -cluster-n7-*.svg for a cluster of another size), or null for a file of
 * another kind (rss, flood). */
export function runOf(file: string): { name: string, kind: 'quick' | 'full' } | null {
  const stem = file.replace(/(-cluster-(n\d+-)?\d+B-(throughput|latency)\.svg|\.json|\.md)$/, '')
  const m = RUN_NAME.exec(stem)
  return m === null ? null : { name: stem, kind: m[2] as 'quick' | 'full' }
}

/** Moves the files of every other run of the same kind from `dir` into dir/archive/
 * (when `current` becomes the run the README cites). Returns the files moved. */
export function archiveSuperseded(dir: string, current: string): string[] {
  const kind = runOf(`${current}.json`)?.kind
  if (kind === undefined) throw new Error(`'${current}' is not a run name`)
  const moved: string[] = []
  for (const file of readdirSync(dir)) {
    const run = runOf(file)
    if (run === null || run.kind !== kind || run.name === current) continue
    mkdirSync(join(dir, ARCHIVE_DIR), { recursive: true })
    const target = join(dir, ARCHIVE_DIR, file)
    if (existsSync(target)) throw new Error(`${target} exists already; not overwriting an archived result`)
    renameSync(join(dir, file), target)
    moved.push(file)
  }
  return moved
}
