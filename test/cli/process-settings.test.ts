// `synod audit` runs with V8's young generation capped and glibc's allocator giving memory
// back (bin/synod.js): the process that runs the command has the flag and the
// environment, the same values the devnet gives its validators; a flag or a variable the
// user gives wins, and other commands (`synod start` among them) are not re-run.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { VALIDATOR_MALLOC_ENV, VALIDATOR_NODE_FLAGS } from '../../devnet/cluster.ts'

const dir = mkdtempSync(join(tmpdir(), 'synod-process-settings-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
// Loaded into every process of the chain (NODE_OPTIONS reaches children): each prints
// its flags and allocator settings.
const probe = join(dir, 'probe.cjs')
writeFileSync(probe, `process.stderr.write('[probe] ' + JSON.stringify({ execArgv: process.execArgv, malloc: Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('MALLOC_'))) }) + '\\n')\n`)

interface Probe { readonly execArgv: string[], readonly malloc: Record<string, string> }

function probes(args: string[], env: Record<string, string> = {}, nodeOptions = ''): Probe[] {
  const base: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('MALLOC_')) base[k] = v
  const run = spawnSync(process.execPath, ['bin/synod.js', ...args], { encoding: 'utf8', timeout: 60_000, env: { ...base, ...env, NODE_OPTIONS: `--require ${probe} ${nodeOptions}`.trim() } })
  expect(run.status, run.stderr).toBe(0)
  return run.stderr.split('\n').filter((l) => l.startsWith('[probe] ')).map((l) => JSON.parse(l.slice(8)) as Probe)
}

describe('the process a long-running command runs in', () => {
  it('synod audit: the young generation capped and the devnet\'s allocator settings', () => {
    const last = probes(['audit', '--help']).at(-1)!
    expect(last.execArgv).toEqual(expect.arrayContaining([...VALIDATOR_NODE_FLAGS]))
    expect(last.malloc).toEqual(VALIDATOR_MALLOC_ENV)
  })

  it('a flag or variable given by the user wins, and nothing is re-run for it', () => {
    const runs = probes(['audit', '--help'], { MALLOC_ARENA_MAX: '4' }, '--max-semi-space-size=8')
    const last = runs.at(-1)!
    expect(last.execArgv.some((f) => f.startsWith('--max-semi-space-size=4'))).toBe(false)
    expect(last.malloc.MALLOC_ARENA_MAX).toBe('4')
    // Under the pinned Node (npm test runs on it) the command runs in this very process.
    if (Number(process.versions.node.split('.')[0]) >= 24) expect(runs).toHaveLength(1)
  })

  for (const command of ['start', 'simulate']) {
    it(`synod ${command} is not re-run`, () => {
      const runs = probes([command, '--help'])
      if (Number(process.versions.node.split('.')[0]) >= 24) expect(runs).toHaveLength(1)
      expect(runs.at(-1)!.execArgv.some((f) => f.startsWith('--max-semi-space-size'))).toBe(false)
    })
  }
})
