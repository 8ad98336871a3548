import { describe, expect, it } from 'vitest'
import { Mailbox } from '../../node/runtime/mailbox.ts'

describe('Mailbox', () => {
  it('regression: relayed entry batches were bounded in count only (16,384 batches of up to 1 MiB)', async () => {
    const mailbox = new Mailbox<string>(16_384, 16, 3 * 1024 * 1024)
    const batch = (i: number): Parameters<Mailbox<string>['pushNetwork']>[0] => ({ type: 'network', from: 1, bulk: true, message: `batch ${i}`, bytes: 1024 * 1024 })
    const taken = Array.from({ length: 10 }, (_, i) => mailbox.pushNetwork(batch(i)))
    expect(taken.filter(Boolean).length).toBe(3)
    expect(mailbox.bulkDropped).toBe(7)
    // Consensus traffic is not held back by a full bulk queue.
    expect(mailbox.pushNetwork({ type: 'network', from: 1, bulk: false, message: 'vote', bytes: 1024 * 1024 })).toBe(true)
    // Room again as the loop takes batches.
    const first = await mailbox.next()
    const second = await mailbox.next()
    expect([first, second].some((input) => input?.type === 'network' && input.bulk)).toBe(true)
    expect(mailbox.pushNetwork(batch(10))).toBe(true)
    mailbox.close(new Error('done'))
  })
})
