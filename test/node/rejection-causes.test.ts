import { describe, expect, it } from 'vitest'
import { penaltyCauseOf } from '../../node/runtime/rejection-causes.ts'

describe('the penalty cause (metrics label) of a core rejection', () => {
  it('regression: the metrics label was decoded from the message by regular expressions', () => {
    // The label follows the code of what broke, not the wording around it.
    expect(penaltyCauseOf({ code: 'block-entry-invalid', index: 0, problem: { code: 'entry-bad-signature' } })).toBe('bad-signature')
    expect(penaltyCauseOf({ code: 'sender-unknown', sender: 9 })).toBe('unknown-sender')
    expect(penaltyCauseOf({ code: 'voter-unknown', voter: 9 })).toBe('unknown-sender')
    expect(penaltyCauseOf({ code: 'block-too-many-bytes', limit: 1 })).toBe('oversized')
    expect(penaltyCauseOf({ code: 'proposer-not-leader', proposer: 1, round: 2 })).toBe('invalid')
  })
})
