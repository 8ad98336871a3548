// `synod scenario list | run`: output format, exit codes, replay commands, reports,
// and clear errors for bad scenario files.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { LIBRARY } from '../../scenarios/library/index.ts'

const bin = fileURLToPath(new URL('../../bin/synod.js', import.meta.url))
const dsl = fileURLToPath(new URL('../../scenarios/dsl/index.ts', import.meta.url))
const synod = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000 })

describe('synod scenario', () => {
  it('list: one scenario per line, name first, then a description', () => {
    const r = synod('scenario', 'list')
    expect(r.status, r.stderr).toBe(0)
    const lines = r.stdout.trim().split('\n')
    expect(lines).toHaveLength(LIBRARY.length)
    for (const [i, line] of lines.entries()) {
      const [name, ...rest] = line.split(/\s+/)
      expect(name).toBe(LIBRARY[i]!.name)
      expect(rest.join(' ')).toContain(LIBRARY[i]!.description)
    }
  })

  it('run --signatures standin: the run meets its outcome and its replay names the mode; the net backend refuses it', () => {
    const r = synod('scenario', 'run', 'forged-certificates', '--seed', '7', '--signatures', 'standin', '--json')
    expect(r.status, r.stderr).toBe(0)
    const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!)
    expect(summary.outcomes[0]).toMatchObject({ met: true, safe: true, replay: 'npx synod scenario run forged-certificates --seed 7 --signatures standin' })
    const net = synod('scenario', 'run', 'leader-crash', '--backend', 'net', '--signatures', 'standin')
    expect(net.status).not.toBe(0)
    expect(net.stderr).toContain('--signatures standin is for the sim backend')
  })

  it('run --runs 2 --json: exit 0 when every run met; one JSON object on the last line; reports written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'synod-scenario-'))
    const r = synod('scenario', 'run', 'leader-crash', '--seed', '7', '--runs', '2', '--json', '--report', dir)
    expect(r.status, r.stderr).toBe(0)
    const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!)
    expect(summary).toMatchObject({ scenario: 'leader-crash', expected: 'safe-and-live', backend: 'sim', seeds: [7, 8], runs: 2, met: 2, failed: 0, failingSeeds: [] })
    expect(summary.outcomes.map((o: { seed: number }) => o.seed)).toEqual([7, 8])
    expect(summary.outcomes[0]).toMatchObject({ met: true, safe: true, live: true, replay: 'npx synod scenario run leader-crash --seed 7' })
    expect(summary.outcomes[0].latencyP99).toBeGreaterThan(0)
    expect(readdirSync(dir).sort()).toEqual(['leader-crash-sim-seed7.html', 'leader-crash-sim-seed7.json', 'leader-crash-sim-seed8.html', 'leader-crash-sim-seed8.json'])
    const report = JSON.parse(readFileSync(join(dir, 'leader-crash-sim-seed8.json'), 'utf8'))
    expect(report.seed).toBe(8)
    expect(readFileSync(join(dir, 'leader-crash-sim-seed8.html'), 'utf8')).toMatch(/^<!doctype html>/)
    // The progress bar goes to stderr, never into stdout's JSON.
    expect(r.stderr).toContain('2/2 runs')
  })

  it('run FILE: a run that misses its expected outcome prints its seed and replay command and exits 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'synod-scenario-'))
    const file = join(dir, 'wrong-expectation.ts')
    // A healthy cluster does not stall: expecting 'safe-stalled' must fail.
    writeFileSync(file, `import { defineScenario } from '${dsl}'
export default defineScenario({
  name: 'wrong-expectation', description: 'expects a stall that never happens',
  cluster: { nodes: 4 }, durationMs: 2000,
  expect: { outcome: 'safe-stalled', stall: { from: 500, to: 2000 }, liveAfter: false },
  liveness: false,
})
`)
    const r = synod('scenario', 'run', file, '--seed', '3', '--runs', '2')
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/FAIL seed 3 \(expected safe-stalled; safe=yes stalled=NO\):\n {2}stall: node 0 committed \d+ blocks in \[1100, 2000\] ms, expected none/)
    expect(r.stderr).toContain(`replay: npx synod scenario run ${file} --seed 3`)
    expect(r.stderr).toContain(`replay: npx synod scenario run ${file} --seed 4`)
    expect(r.stdout).toMatch(/2 runs: 0 met, 2 not met/)
  })

  it('reports bad scenario files, unknown names and impossible backends clearly', () => {
    const dir = mkdtempSync(join(tmpdir(), 'synod-scenario-'))
    const bad = join(dir, 'bad.ts')
    writeFileSync(bad, `import { crash, defineScenario } from '${dsl}'
export default defineScenario({
  name: 'bad', description: 'bad', cluster: { nodes: 4 }, durationMs: 1000,
  byzantine: [{ node: 2, behaviour: 'gremlin' }],
  faults: [crash({ node: 9, at: 0, until: 500 })],
  expect: { outcome: 'safe-and-live' },
})
`)
    let r = synod('scenario', 'run', bad)
    expect(r.status).toBe(1)
    expect(r.stderr).toContain("ScenarioError: scenario 'bad' is invalid:")
    expect(r.stderr).toContain('byzantine[0].behaviour: unknown behaviour "gremlin"')
    expect(r.stderr).toContain('faults[0].node: node 9 is not a validator index (n = 4: 0..3)')
    r = synod('scenario', 'run', 'no-such-scenario')
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/no library scenario 'no-such-scenario'.*library: beyond-bound-crashes/)
    r = synod('scenario', 'run', 'twins', '--backend', 'net')
    expect(r.status).not.toBe(0)
    expect(r.stderr).toMatch(/cannot run on the net backend/)
    r = synod('scenario', 'run', 'twins', '--runs', 'x')
    expect(r.status).not.toBe(0)
    expect(r.stderr).toMatch(/--runs must be a whole number/)
  })
})
