// The chaos run's checks (scripts/chaos/checks.ts) on made-up observations: a healthy
// run passes every check, and each kind of damage fails exactly the check named for it.
// Also its arguments, and that its fault and load choices come from the seed alone.
import { describe, expect, it } from 'vitest'
import { runChecks, strandedCandidates, type ChaosObservation } from '../../scripts/chaos/checks.ts'
import type { AcceptedEntry, AckedCommit } from '../../scripts/chaos/load.ts'
import type { NodeObservation } from '../../scripts/chaos/observe.ts'
import { ChaosUsageError, parseChaosArgs, replayCommand } from '../../scripts/chaos/options.ts'
import { drawFault } from '../../scripts/chaos/faults.ts'
import { drawAction } from '../../scripts/chaos/load.ts'
import { CHAOS_LIMITS } from '../../scripts/chaos/limits.ts'
import { Prng } from '../../scenarios/sim/prng.ts'

const id = (i: number): string => i.toString(16).padStart(64, '0')
const KEYS = [0, 1, 2, 3, 4].map((i) => `chaos-0-${i}`)
const IDS = [0, 1, 2, 3, 4].map((i) => id(i + 1))

function node(index: number, ids: readonly string[] = IDS, keys: readonly string[] = KEYS): NodeObservation {
  return {
    node: index,
    head: { height: 3, hash: 'ab'.repeat(32), logSize: ids.length },
    healthStatus: 'ok',
    mempoolEntries: 0,
    exportError: null,
    audit: { ok: true, height: 3, certifiedHeight: 3, entries: ids.length, failure: null },
    log: { ids, keys, lastHeight: 3 },
  }
}

function healthy(): ChaosObservation {
  const acked: AckedCommit[] = IDS.map((entryId, i) => ({ id: entryId, index: i, agent: 0, key: KEYS[i]! }))
  const accepted = new Map<string, AcceptedEntry>(IDS.map((entryId, i) => [entryId, { id: entryId, agent: 'cd'.repeat(32), seq: i + 1, key: KEYS[i]! }]))
  return {
    load: { started: 5, acked, failed: [], accepted, unfinished: 0 },
    nodes: [0, 1, 2, 3].map((i) => node(i)),
    errorLines: [0, 1, 2, 3].map((i) => ({ node: i, count: 0, examples: [], readError: null })),
    entryStatuses: new Map(),
    kills: [{ kind: 'leader', node: 1, pid: 10, atMs: 1000, downMs: 10, restartMs: 2000, restartError: null }],
    unexpectedExits: [],
    finalStops: [0, 1, 2, 3].map((i) => ({ node: i, wasRunning: true, code: 0 })),
  }
}

function failedNames(o: ChaosObservation): string[] {
  return runChecks(o).filter((c) => !c.ok).map((c) => c.name)
}

describe('chaos checks', () => {
  it('pass on a healthy run', () => {
    expect(failedNames(healthy())).toEqual([])
  })

  it('fail acked-on-every-node when a node holds another entry at an acknowledged index', () => {
    const o = healthy()
    const swapped = [IDS[1]!, IDS[0]!, ...IDS.slice(2)]
    const nodes = [...o.nodes.slice(0, 3), node(3, swapped, [KEYS[1]!, KEYS[0]!, ...KEYS.slice(2)])]
    const result = runChecks({ ...o, nodes }).find((c) => c.name === 'acked-on-every-node')!
    expect(result.ok).toBe(false)
    expect(result.problems.join('\n')).toContain('node 3')
    expect(result.problems.join('\n')).toContain('found at 1')
  })

  it('fail acked-on-every-node and nothing-stranded when a node is behind', () => {
    const o = healthy()
    const nodes = [...o.nodes.slice(0, 3), { ...node(3, IDS.slice(0, 3), KEYS.slice(0, 3)), head: { height: 2, hash: 'ef'.repeat(32), logSize: 3 } }]
    expect(failedNames({ ...o, nodes })).toEqual(['acked-on-every-node', 'heads-agree', 'nothing-stranded'])
  })

  it('fail no-entry-twice on a repeated id and on one commit that made two entries', () => {
    const o = healthy()
    const repeated = runChecks({ ...o, nodes: [node(0, [...IDS, IDS[0]!], [...KEYS, KEYS[0]!]), ...o.nodes.slice(1)] })
    expect(repeated.find((c) => c.name === 'no-entry-twice')!.problems.join('\n')).toContain(`entry ${IDS[0]!.slice(0, 16)} at index 0 and 5`)
    const twice = runChecks({ ...o, nodes: [node(0, [...IDS, id(99)], [...KEYS, KEYS[2]!]), ...o.nodes.slice(1)] })
    expect(twice.find((c) => c.name === 'no-entry-twice')!.problems.join('\n')).toContain(`commit ${KEYS[2]} made two entries`)
  })

  it('fail default-export-audits on an audit failure (e.g. an uncertified tail)', () => {
    const o = healthy()
    const tail = { ...node(2), audit: { ok: false, height: 3, certifiedHeight: 2, entries: 5, failure: { code: 'uncertified-tail', reason: 'no cc', height: 3 } } }
    expect(failedNames({ ...o, nodes: [o.nodes[0]!, o.nodes[1]!, tail, o.nodes[3]!] })).toEqual(['default-export-audits'])
  })

  it('fail nothing-stranded on a non-empty mempool and on an accepted entry no log holds', () => {
    const o = healthy()
    expect(failedNames({ ...o, nodes: [{ ...node(0), mempoolEntries: 2 }, ...o.nodes.slice(1)] })).toEqual(['nothing-stranded'])
    const strandedId = id(77)
    const accepted = new Map(o.load.accepted).set(strandedId, { id: strandedId, agent: 'cd'.repeat(32), seq: 9, key: 'chaos-0-9' })
    const failed = [{ agent: 0, key: 'chaos-0-9', error: 'CommitTimeoutError', message: 'no verified receipt', id: strandedId }]
    const load = { ...o.load, accepted, failed }
    expect(strandedCandidates(load, o.nodes)).toEqual([strandedId])
    const results = runChecks({ ...o, load, entryStatuses: new Map([[strandedId, ['pending', 'unknown', 'pending', 'pending']]]) })
    const stranded = results.find((c) => c.name === 'nothing-stranded')!
    expect(stranded.ok).toBe(false)
    expect(stranded.problems.join('\n')).toContain('its commit(): CommitTimeoutError; on the validators: 0 pending, 1 unknown')
    expect(results.find((c) => c.name === 'commits-acknowledged')!.ok).toBe(false)
  })

  it('pass nothing-stranded for a superseded entry whose decision committed re-signed, and fail it while a validator holds it pending', () => {
    const o = healthy()
    // The first signature of an acknowledged decision (key KEYS[0]), overtaken by a later seq.
    const supersededId = id(78)
    const accepted = new Map(o.load.accepted).set(supersededId, { id: supersededId, agent: 'cd'.repeat(32), seq: 3, key: o.load.acked[0]!.key })
    const load = { ...o.load, accepted }
    const superseded = runChecks({ ...o, load, entryStatuses: new Map([[supersededId, ['superseded', 'unknown', 'unknown', 'unknown']]]) })
    expect(superseded.find((c) => c.name === 'nothing-stranded')!.ok).toBe(true)
    const stillPending = runChecks({ ...o, load, entryStatuses: new Map([[supersededId, ['superseded', 'pending', 'unknown', 'unknown']]]) })
    expect(stillPending.find((c) => c.name === 'nothing-stranded')!.ok).toBe(false)
    const neverSaid = runChecks({ ...o, load, entryStatuses: new Map([[supersededId, ['unknown', 'unknown', 'unknown', 'unknown']]]) })
    expect(neverSaid.find((c) => c.name === 'nothing-stranded')!.ok).toBe(false)
  })

  it('fail no-error-logs, and validators-stay-up on an exit of its own or a failed restart', () => {
    const o = healthy()
    const errorLines = [...o.errorLines.slice(0, 3), { node: 3, count: 2, examples: ["level 50 'unexpected error'"], readError: null }]
    expect(failedNames({ ...o, errorLines })).toEqual(['no-error-logs'])
    expect(failedNames({ ...o, unexpectedExits: [{ node: 2, code: 1, atMs: 5 }] })).toEqual(['validators-stay-up'])
    expect(failedNames({ ...o, kills: [{ ...o.kills[0]!, restartMs: null, restartError: 'exited before ready' }] })).toEqual(['validators-stay-up'])
    expect(failedNames({ ...o, finalStops: [{ node: 0, wasRunning: true, code: 1 }, ...o.finalStops.slice(1)] })).toEqual(['validators-stay-up'])
  })

  it('fail commits-acknowledged when nothing was acknowledged', () => {
    const o = healthy()
    expect(failedNames({ ...o, load: { ...o.load, acked: [] } })).toEqual(['commits-acknowledged'])
  })
})

describe('chaos arguments', () => {
  it('parse the seed and the duration, and print a replay command', () => {
    const options = parseChaosArgs(['--seed', '42', '--duration', '60'], () => 7)
    expect(options).toEqual({ seed: 42, durationS: 60, keep: false, dir: null })
    expect(replayCommand(options)).toBe('npm run chaos -- --seed 42 --duration 60')
    expect(parseChaosArgs([], () => 7).seed).toBe(7)
  })

  it('refuse bad input with a clear error', () => {
    for (const args of [['--seed', '-1'], ['--seed', 'x'], ['--seed', '4294967296'], ['--duration', '1'], ['--duration', '1e3'], ['--bogus']]) {
      expect(() => parseChaosArgs(args, () => 0), args.join(' ')).toThrow(ChaosUsageError)
    }
  })
})

describe('chaos choices', () => {
  const draw = (seed: number): unknown[] => {
    const prng = new Prng(seed)
    return Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? drawFault(prng, 4) : drawAction(prng)))
  }

  it('come from the seed alone', () => {
    expect(draw(7)).toEqual(draw(7))
    expect(draw(7)).not.toEqual(draw(8))
  })

  it('stay within the limits', () => {
    const prng = new Prng(3)
    const kinds = new Set<string>()
    for (let i = 0; i < 500; i++) {
      const f = drawFault(prng, 4)
      kinds.add(f.kind)
      expect(f.randomVictim).toBeGreaterThanOrEqual(0)
      expect(f.randomVictim).toBeLessThan(4)
      expect(f.downMs).toBeLessThanOrEqual(CHAOS_LIMITS.downMsMax)
      expect(f.gapMs).toBeGreaterThanOrEqual(CHAOS_LIMITS.killGapMsMin)
      const a = drawAction(prng)
      expect(a.pads.length === 1 || (a.pads.length >= CHAOS_LIMITS.burstSizeMin && a.pads.length <= CHAOS_LIMITS.burstSizeMax)).toBe(true)
    }
    expect([...kinds].sort()).toEqual(['burst', 'leader', 'random'])
  })
})
