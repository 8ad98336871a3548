// The 60-second chaos run (npm run chaos) as part of the test suite: real validator
// processes under SDK load and seeded SIGKILLs, judged once idle. Runs the script as a
// child process with a fixed seed and expects every check to pass; on failure the
// assertion shows the run's summary and failed checks, and its replay command.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const SCRIPT = fileURLToPath(new URL('../../scripts/chaos.ts', import.meta.url))
const SEED = 1
const DURATION_S = 60
/** Startup, 60 s of load, up to 35 s for commits in flight, 30 s to go idle, exports and
 * audits, shutdown: generous for a small shared machine. */
const RUN_MS_MAX = 600_000

describe('chaos run (real processes)', () => {
  it(`passes every check with seed ${SEED} for ${DURATION_S} s`, async () => {
    const child = spawn(process.execPath, [SCRIPT, '--seed', String(SEED), '--duration', String(DURATION_S)], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr = (stderr + chunk).slice(-64 * 1024) })
    // The script kills its validators by pid on SIGTERM; a run past the bound gets one.
    const timer = setTimeout(() => child.kill('SIGTERM'), RUN_MS_MAX - 10_000)
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)))
    clearTimeout(timer)
    const report = `${stdout}\n--- stderr (tail) ---\n${stderr}`
    expect(stdout, report).toMatch(/^chaos (PASSED|FAILED) \| seed 1 \| duration 60 s/m)
    expect(code, report).toBe(0)
  }, RUN_MS_MAX)
})
