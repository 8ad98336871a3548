// The replica under governance (docs/protocol.md, "Namespace governance"): submissions
// refused early, proposals valid by construction, and a restart from the replayed state.
import { describe, expect, it } from 'vitest'
import { codePath, describe as describeRejection } from '../../src/consensus/rejections.ts'
import { Replica } from '../../src/consensus/replica.ts'
import type { Action, Message, SubmitResult } from '../../src/consensus/types.ts'
import { initialSafetyState } from '../../src/consensus/safety-rules.ts'
import { DEFAULT_PARAMS } from '../../src/log/genesis.ts'
import type { Entry } from '../../src/log/entry.ts'
import { PolicyLedger } from '../../src/governance/ledger.ts'
import { ChainBuilder, signQc, TestAgent, testNet, type TestNet } from '../support/chain-builder.ts'
import { hexOf, policyPayloadText } from '../support/governance.ts'

const acmeRoot = new TestAgent('replica-gov/acme-root')
const alice = new TestAgent('replica-gov/alice')
const bob = new TestAgent('replica-gov/bob')

function net(params = DEFAULT_PARAMS): TestNet {
  return testNet(4, 'replica-gov', { params, governance: { admins: new Map([['acme', [acmeRoot.publicKey]]]) } })
}

/** Delivers every message at once, in FIFO order, until quiet. No timers fire. */
function cluster(replicas: Replica[]) {
  const n = replicas.length
  const queue: { to: number, from: number, message: Message }[] = []
  const committed: Entry[][] = replicas.map(() => [])
  const rejected: string[] = []
  const submitted: SubmitResult[] = []
  const run = (index: number, actions: Action[]) => {
    for (const a of actions) {
      if (a.type === 'send') queue.push({ to: a.to, from: index, message: a.message })
      if (a.type === 'broadcast') for (let to = 0; to < n; to++) if (to !== index) queue.push({ to, from: index, message: a.message })
      if (a.type === 'commit') committed[index]!.push(...a.blocks.flatMap((b) => b.entries))
      if (a.type === 'rejected') rejected.push(describeRejection(a.reason))
      if (a.type === 'submitted') submitted.push(...a.results)
    }
  }
  const drain = () => {
    for (let i = 0; queue.length > 0 && i < 100_000; i++) {
      const d = queue.shift()!
      run(d.to, replicas[d.to]!.step({ type: 'message', now: 0, from: d.from, message: d.message }))
    }
  }
  return { run, drain, committed, rejected, submitted }
}

describe('replicas under namespace governance', () => {
  it('a policy in force refuses a non-writer\'s submission; a leader drops an entry its parent\'s policy refuses', () => {
    // One entry per block: the policy commits in block 1, bob's entry (admitted before it
    // was in force) is judged by the leader of block 2 against block 1's state.
    const { genesis, validatorSeeds } = net({ ...DEFAULT_PARAMS, blockEntriesMax: 1 })
    const replicas = validatorSeeds.map((seed, i) => new Replica({ genesis, validatorIndex: i, seed }))
    const c = cluster(replicas)
    replicas.forEach((r, i) => c.run(i, r.step({ type: 'start', now: 0 })))
    const chainId = genesis.chainId
    const policy = acmeRoot.entryText(chainId, 'acme', policyPayloadText({ writers: hexOf(alice) }))
    const early = bob.entry(chainId, 'acme', { n: 1 })
    for (const r of [0, 1, 2, 3]) c.run(r, replicas[r]!.step({ type: 'submit', now: 0, entries: [policy, early] }))
    expect(c.submitted.every((s) => s.rejected === null)).toBe(true)
    c.drain()
    expect(c.rejected).toEqual([])
    for (const entries of c.committed) expect(entries).toEqual([policy])
    // bob's entry is never proposed again by a leader that judged it; a replica that has
    // not led since still holds it (it leaves that pool when the replica next leads).
    expect(replicas.every((r) => r.mempoolSize <= 1)).toBe(true)
    expect(replicas.some((r) => r.mempoolSize === 0)).toBe(true)

    c.submitted.length = 0
    c.run(2, replicas[2]!.step({ type: 'submit', now: 0, entries: [bob.entry(chainId, 'acme', { n: 2 }), alice.entry(chainId, 'acme', { n: 3 })] }))
    const [refused, fine] = c.submitted
    expect(refused?.rejected === null || refused === undefined ? null : codePath(refused.rejected)).toBe('entry-governance')
    expect(refused?.rejected?.code === 'entry-governance' ? refused.rejected.rule : null).toBe('entry-not-writer')
    expect(fine?.rejected).toBeNull()
    c.drain()
    expect(c.rejected).toEqual([])
    for (const entries of c.committed) expect(entries.map((e) => e.agent)).toEqual([acmeRoot.publicKey, alice.publicKey])
  })

  it('restarts from the governance state replayed from its committed log, and refuses to restart without it', () => {
    const n = net()
    const { genesis } = n
    const chainId = genesis.chainId
    const chain = new ChainBuilder(n)
    chain.add([acmeRoot.entryText(chainId, 'acme', policyPayloadText({ writers: hexOf(alice) }))])
    chain.add([alice.entry(chainId, 'acme', { n: 1 })])
    chain.add([])
    const head = chain.items.at(-1)!.block
    const ledger = new PolicyLedger(genesis)
    let index = 0
    for (const item of chain.items) for (const entry of item.block.entries) ledger.append({ entry, index: index++, height: item.block.header.height })
    ledger.advanceTo(head.header.height)
    const restored = {
      safety: initialSafetyState(signQc(n, head.header)), committedHead: head, committedQc: signQc(n, head.header),
      committedLog: chain.accumulator.toState(), agentSeqs: new Map(), pendingBlocks: [],
    }
    const options = { genesis, validatorIndex: 0, seed: n.validatorSeeds[0]! }
    expect(() => new Replica(options, restored)).toThrow(/needs the governance state/)
    expect(() => new Replica(options, { ...restored, governance: ledger.state.blockJudge().finish(head.header.height + 1) })).toThrow(/not the committed head's/)
    const replica = new Replica(options, { ...restored, governance: ledger.state })
    replica.step({ type: 'start', now: 0 })
    const out = replica.step({ type: 'submit', now: 0, entries: [bob.entry(chainId, 'acme/x', { n: 2 })] })
    const result = out.find((a) => a.type === 'submitted')
    expect(result?.type === 'submitted' && result.results[0]?.rejected?.code === 'entry-governance' ? result.results[0].rejected.rule : null).toBe('entry-not-writer')
  })
})
