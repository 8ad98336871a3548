import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { runTask } from '../../scenarios/run/sweep.ts'

const bin = fileURLToPath(new URL('../../bin/synod.js', import.meta.url))
const synod = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000 })

describe('synod simulate', () => {
  it('prints one JSON summary on the last line with --json', () => {
    const seed = 31
    console.log(`cli seed ${seed}`)
    const r = synod('simulate', '--nodes', '4', '--byzantine', '1', '--behaviour', 'withhold', '--runs', '2', '--seed', String(seed), '--json')
    expect(r.status, r.stderr).toBe(0)
    const last = r.stdout.trim().split('\n').at(-1)!
    const summary = JSON.parse(last)
    for (const key of ['runs', 'safetyViolations', 'livenessFailures', 'commits', 'latencyP50', 'latencyP99']) expect(summary).toHaveProperty(key)
    expect(summary.runs).toBe(2)
    expect(summary.safetyViolations).toBe(0)
    expect(summary.commits).toBeGreaterThan(0)
  })

  it('reports a fork with its replay command and fails beyond f', () => {
    const r = synod('simulate', '--nodes', '4', '--byzantine', '2', '--behaviour', 'twins', '--runs', '1', '--seed', '1', '--json')
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/agreement: height/)
    expect(r.stderr).toContain('replay: npx synod simulate --nodes 4 --byzantine 2 --behaviour twins --runs 1 --seed 1')
    expect(JSON.parse(r.stdout.trim().split('\n').at(-1)!).safetyViolations).toBe(1)
  })

  it('rejects bad flags with a clear error', () => {
    const bad = [
      [['--nodes', '3'], /--nodes must be between 4 and 64/],
      [['--runs', 'x'], /--runs must be a whole number/],
      [['--behaviour', 'evil'], /unknown behaviour 'evil'/],
      [['--nodes', '4', '--byzantine', '4'], /--byzantine 4 must be below --nodes 4/],
      [['--signatures', 'fast'], /unknown signature mode 'fast'; one of: standin, ed25519/],
      [['--workers', '0'], /--workers must be between 1 and 256/],
      [['--catch-up', '--byzantine', '2', '--behaviour', 'forge'], /--catch-up runs one Byzantine node \(none when honest\): --byzantine must be 1, not 2/],
    ] as const
    for (const [args, message] of bad) {
      const r = synod('simulate', ...args)
      expect(r.status).not.toBe(0)
      expect(r.stderr).toMatch(message)
    }
  })

  it('--catch-up replays the catch-up run the sweep ran (scenarios/run/catch-up.ts)', () => {
    const seed = 4100
    console.log(`cli catch-up seed ${seed}`)
    const r = synod('simulate', '--nodes', '4', '--byzantine', '1', '--behaviour', 'range-cc-sibling', '--catch-up', '--runs', '1', '--seed', String(seed), '--json')
    expect(r.status, r.stderr).toBe(0)
    const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!)
    const d = runTask({ seed, config: { nodes: 4, byzantine: 1, behaviour: 'range-cc-sibling', catchUp: true }, signatures: 'standin', checkLive: true })
    expect(d.ok, d.problems.join(' | ')).toBe(true)
    expect(d.replay).toBe(`npx synod simulate --nodes 4 --byzantine 1 --behaviour range-cc-sibling --runs 1 --seed ${seed} --signatures standin --catch-up`)
    expect(summary.blocks).toBe(d.blocksCommitted)
    expect(summary.messages).toBe(d.messages)
  }, 120_000)
})
