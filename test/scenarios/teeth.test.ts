// The checkers have teeth: with f+1 Byzantine twins (more than the protocol tolerates),
// a deterministic search over seeds finds a run where honest nodes commit a fork, and
// the agreement checker reports it.
import { describe, expect, it } from 'vitest'
import { faultTolerance } from '../../src/log/validator-set.ts'
import { ED25519 } from '../../src/crypto/signature-scheme.ts'
import { runOne } from '../../scenarios/runner.ts'
import { checkAgreement } from '../../scenarios/checkers/agreement.ts'

describe('checkers catch forks beyond f faults', () => {
  for (const nodes of [4, 7]) {
    it(`n=${nodes}, K=f+1 twins: some seed in 1..40 forks and is caught`, () => {
      const byzantine = faultTolerance(nodes) + 1
      let found: { seed: number, violations: string[] } | null = null
      for (let seed = 1; seed <= 40 && found === null; seed++) {
        const o = runOne(seed, { nodes, byzantine, behaviour: 'twins' }, false)
        if (o.safetyViolations.some((v) => v.startsWith('agreement'))) found = { seed, violations: o.safetyViolations }
      }
      console.log(`n=${nodes} K=${byzantine} twins: fork found at seed ${found?.seed}: ${found?.violations[0]}`)
      expect(found).not.toBeNull()
    }, 180_000)
  }

  it('the agreement checker flags different blocks at one height (unit)', () => {
    const chain = (hashes: string[]) => ({ name: hashes.join(''), committed: [], hashes, ccs: new Map(), ids: new Set<string>() })
    const run = { genesis: null as never, signatures: ED25519, submitted: new Set<string>(), probes: new Set<string>(), convergenceMs: 0, livenessBoundMs: 0 }
    expect(checkAgreement({ ...run, honest: [chain(['g', 'a', 'b']), chain(['g', 'a'])] })).toEqual([])
    expect(checkAgreement({ ...run, honest: [chain(['g', 'a', 'b']), chain(['g', 'a', 'c'])] })).toHaveLength(1)
  })
})
