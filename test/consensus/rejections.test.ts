import { describe, expect, it } from 'vitest'
import { codePath, describe as describeRejection, isRejection, REJECTION_CODES, rootCause, type Rejection } from '../../src/consensus/rejections.ts'

describe('rejections', () => {
  it('render their values in the message (as the free-text reasons did)', () => {
    expect(describeRejection({ code: 'vote-round-not-above-last-voted', round: 7, lastVoted: 9 })).toBe('round 7 is not above last voted round 9')
    expect(describeRejection({ code: 'entry-payload-too-large', bytes: 70_000, limit: 65_536 })).toBe("entry payload of 70000 bytes is over the chain's limit of 65536")
    expect(describeRejection({ code: 'entry-policy-denied', namespace: 'team/x' })).toBe("agent may not write to namespace 'team/x'")
  })

  it('nest: the outer one says where, the root cause what broke', () => {
    const inner: Rejection = { code: 'entry-bad-signature' }
    const outer: Rejection = { code: 'certificate-rejected', certificate: 'justify QC', problem: { code: 'block-entry-invalid', index: 3, problem: inner } }
    expect(describeRejection(outer)).toBe('justify QC: entry 3: entry signature does not verify')
    expect(rootCause(outer)).toBe(inner)
    expect(codePath(outer)).toBe('certificate-rejected/block-entry-invalid/entry-bad-signature')
  })

  it('are told apart from results by their own `code` field only', () => {
    expect(isRejection({ code: 'mempool-full' })).toBe(true)
    expect(isRejection({ entry: {}, idHex: 'ab' })).toBe(false)
    expect(isRejection(Object.create({ code: 'inherited' }) as object)).toBe(false)
  })

  it('every code has a message', () => {
    expect(new Set(REJECTION_CODES).size).toBe(REJECTION_CODES.length)
    expect(REJECTION_CODES.length).toBeGreaterThan(40)
  })
})
