// Epochs (docs/formats.md section 15): the reconfiguration entry, the epoch rule, the
// auditor following the epoch chain, and receipts across epochs. Chains come from an
// independent builder (test/support/epoch-chain.ts) with real signatures.
import { describe, expect, it } from 'vitest'
import { decodeCanonical, encodeCanonical } from '../../src/codec/cbor.ts'
import { sha256, toHex } from '../../src/crypto/hash.ts'
import { blockHash, headerFromCbor, headerToCbor, type BlockHeader } from '../../src/log/block.ts'
import { encodeEntry } from '../../src/log/entry.ts'
import { leafHash, MerkleAccumulator } from '../../src/log/merkle.ts'
import {
  checkReconfiguration, epochRuling, genesisEpoch, genesisPosition, nextEpoch, readReconfigurationPayload,
  setHashOf, type EpochPosition,
} from '../../src/log/epochs.ts'
import { genesisToCbor, validatorSetOf } from '../../src/log/genesis.ts'
import { receiptFromCbor, receiptFromJson, receiptToCbor, receiptToJson } from '../../src/log/receipt.ts'
import { ChainVerifier, verifyChain, verifyEpochChanges, verifyReceipt, type ChainItem } from '../../src/log/verify.ts'
import { Verifier } from '../../src/consensus/verifier.ts'
import { TestAgent, testNet } from '../support/chain-builder.ts'
import { EpochChainBuilder, seedsFor, validatorsOf } from '../support/epoch-chain.ts'

const CHAIN = 'epochs-chain'

function freshChain(): EpochChainBuilder {
  return new EpochChainBuilder(testNet(4, CHAIN))
}

/** A chain that goes 4 -> 5 (one added) -> 4 (an original one removed) -> 7, with
 * ordinary entries in every epoch; epoch 1's boundary certificate is that of a suffix
 * block (its reconfiguration block's own two-chain failed). */
function reconfiguredChain(): { b: EpochChainBuilder, user: TestAgent } {
  const b = freshChain()
  const user = new TestAgent(`${CHAIN}/user`)
  b.add([user.entry(CHAIN, 'app/a', { n: 1 })])
  const old = b.current.seeds
  const five = [...old, ...seedsFor(`${CHAIN}/joiner`, 1)]
  b.reconfigure(five, 'five', [user.entry(CHAIN, 'app/a', { n: 2 })])
  b.add([user.entry(CHAIN, 'app/a', { n: 3 })])
  b.add([])
  const four = five.slice(1) // the first original validator leaves
  b.reconfigure(four, 'four', [], 1)
  b.add([user.entry(CHAIN, 'app/a', { n: 4 })])
  const seven = [...four, ...seedsFor(`${CHAIN}/grow`, 3)]
  b.reconfigure(seven, 'seven')
  b.add([user.entry(CHAIN, 'app/a', { n: 5 })])
  b.add([user.entry(CHAIN, 'app/a', { n: 6 })])
  return { b, user }
}

async function audit(b: EpochChainBuilder, items: readonly ChainItem[] = b.items) {
  return verifyChain(items, b.net.genesis)
}

describe('the reconfiguration entry (15.2)', () => {
  const b = freshChain()
  const validators = validatorsOf(seedsFor('x', 5), 'x')

  it('reads back what the tools write, and is effective only with a quorum of the current set for the next epoch', () => {
    const entry = b.reconfiguration(validators)
    const read = readReconfigurationPayload(entry)
    expect(read.type).toBe('reconfiguration')
    if (read.type !== 'reconfiguration') return
    expect(read.reconfiguration.epoch).toBe(1)
    expect(read.reconfiguration.validators.map((v) => toHex(v.publicKey))).toEqual(validators.map((v) => toHex(v.publicKey)))
    const epoch0 = genesisEpoch(b.net.genesis)
    expect(checkReconfiguration(read.reconfiguration, CHAIN, epoch0, 1)).toBeNull()
    // The same entry is not effective on another chain (the approvals name the chain id).
    expect(checkReconfiguration(read.reconfiguration, 'other-chain', epoch0, 1)).toMatchObject({ code: 'reconfiguration-not-approved', problem: { code: 'certificate-bad-signature' } })
    // Nor in epoch 1 (it names epoch 1, the next would be 2).
    expect(checkReconfiguration(read.reconfiguration, CHAIN, nextEpoch(read.reconfiguration, 5), 6)).toEqual({ code: 'reconfiguration-wrong-epoch', epoch: 1, expected: 2 })
  })

  it('is not effective with fewer approvals than the quorum, for another epoch, or after another set', () => {
    const epoch0 = genesisEpoch(b.net.genesis)
    const judge = (entry: Parameters<typeof readReconfigurationPayload>[0]) => {
      const read = readReconfigurationPayload(entry)
      if (read.type !== 'reconfiguration') throw new Error(`not read: ${read.type}`)
      return checkReconfiguration(read.reconfiguration, CHAIN, epoch0, 1)
    }
    expect(judge(b.reconfiguration(validators, { approvers: 2 }))).toEqual({ code: 'reconfiguration-not-approved', problem: { code: 'certificate-quorum-short', have: 2, need: 3 } })
    expect(judge(b.reconfiguration(validators, { epoch: 2 }))).toEqual({ code: 'reconfiguration-wrong-epoch', epoch: 2, expected: 1 })
    expect(judge(b.reconfiguration(validators, { previousOf: validators }))).toMatchObject({ code: 'reconfiguration-not-approved', problem: { code: 'certificate-bad-signature', signer: 0 } })
    // Expired: in a block above its expiry height (the approval round is over).
    const late = readReconfigurationPayload(b.reconfiguration(validators, { expires: 5 }))
    if (late.type !== 'reconfiguration') throw new Error('fixture')
    expect(checkReconfiguration(late.reconfiguration, CHAIN, epoch0, 5)).toBeNull()
    expect(checkReconfiguration(late.reconfiguration, CHAIN, epoch0, 6)).toEqual({ code: 'reconfiguration-expired', height: 6, expires: 5 })
  })

  it('tells ordinary payloads, claims and malformed claims apart', () => {
    const good = JSON.parse(b.reconfiguration(validators).payload) as Record<string, unknown>
    const text = (value: unknown) => ({ payload: JSON.stringify(value) })
    expect(readReconfigurationPayload({ payload: '{"synod":"decision"}' }).type).toBe('none')
    expect(readReconfigurationPayload({ payload: '[1,2]' }).type).toBe('none')
    expect(readReconfigurationPayload({ payload: '{"a":1}' }).type).toBe('none')
    // The member name spelled with an escape is the same member.
    expect(readReconfigurationPayload({ payload: JSON.stringify(good).replace('"synod"', '"\\u0073ynod"') }).type).toBe('reconfiguration')
    const malformed: [string, unknown][] = [
      ['an unknown member', { ...good, extra: 1 }],
      ['three validators', { ...good, validators: (good.validators as unknown[]).slice(0, 3) }],
      ['a repeated key', { ...good, validators: [...(good.validators as unknown[]).slice(0, 4), (good.validators as unknown[])[0]] }],
      ['an upper-case key', { ...good, validators: (good.validators as { publicKey: string }[]).map((v, i) => i === 0 ? { ...v, publicKey: v.publicKey.toUpperCase() } : v) }],
      ['an empty name', { ...good, validators: (good.validators as object[]).map((v, i) => i === 0 ? { ...v, name: '' } : v) }],
      ['a validator member too many', { ...good, validators: (good.validators as object[]).map((v, i) => i === 0 ? { ...v, stake: 1 } : v) }],
      ['epoch 0', { ...good, epoch: 0 }],
      ['no expiry', Object.fromEntries(Object.entries(good).filter(([k]) => k !== 'expires'))],
      ['expiry 0', { ...good, expires: 0 }],
      ['a fractional epoch', { ...good, epoch: 1.5 }],
      ['a short signature', { ...good, sigs: ['00'] }],
      ['odd-length signers', { ...good, signers: '0' }],
      ['seventeen addresses', { ...good, validators: (good.validators as object[]).map((v, i) => i === 0 ? { ...v, addresses: Array.from({ length: 17 }, (_, j) => `/ip4/10.0.0.${j}`) } : v) }],
    ]
    for (const [name, value] of malformed) expect(readReconfigurationPayload(text(value)).type, name).toBe('malformed')
  })
})

describe('the epoch rule (15.3)', () => {
  const b = freshChain()
  const e0 = genesisEpoch(b.net.genesis)
  const read = readReconfigurationPayload(b.reconfiguration(validatorsOf(seedsFor('y', 4), 'y')))
  if (read.type !== 'reconfiguration') throw new Error('fixture')
  const e1 = nextEpoch(read.reconfiguration, 11)
  const before: EpochPosition = { epoch: e0, ending: null }
  const ended: EpochPosition = { epoch: e0, ending: { height: 10, next: e1 } }

  it('keeps the epoch until a reconfiguration block, then switches right after it', () => {
    expect(epochRuling(before, 9, 0, false)).toMatchObject({ ok: true, suffix: false, first: false, epoch: { number: 0 } })
    expect(epochRuling(before, 9, 1, false)).toEqual({ ok: false, code: 'epoch-mismatch', epoch: 1, expected: 0 })
    expect(epochRuling(ended, 10, 1, false)).toMatchObject({ ok: true, first: true, epoch: { number: 1, firstHeight: 11 } })
    // A committed chain has no suffix: after the reconfiguration block, only the switch.
    expect(epochRuling(ended, 10, 0, false)).toEqual({ ok: false, code: 'epoch-mismatch', epoch: 0, expected: 1 })
    expect(epochRuling(ended, 10, 2, false)).toEqual({ ok: false, code: 'epoch-mismatch', epoch: 2, expected: 1 })
  })

  it('allows suffix blocks in a validator\'s tree, and the switch only from the reconfiguration block itself', () => {
    expect(epochRuling(ended, 10, 0, true)).toMatchObject({ ok: true, suffix: true })
    expect(epochRuling(ended, 12, 0, true)).toMatchObject({ ok: true, suffix: true })
    // The first block of epoch 1 has the reconfiguration block as its parent, never a suffix block.
    expect(epochRuling(ended, 12, 1, true)).toEqual({ ok: false, code: 'epoch-mismatch', epoch: 1, expected: 0 })
  })
})

describe('block headers across epochs', () => {
  it('encode epoch 0 as before (no field), refuse an explicit epoch 0, and carry a later epoch', () => {
    const b = freshChain()
    b.add([])
    const h0 = b.head
    expect(Object.keys(headerToCbor(h0) as object)).not.toContain('epoch')
    const withEpoch = { ...h0, epoch: 3 }
    const bytes = encodeCanonical(headerToCbor(withEpoch))
    expect(headerFromCbor(decodeCanonical(bytes))).toEqual(withEpoch)
    expect(blockHash(withEpoch)).not.toEqual(blockHash(h0))
    expect(() => headerFromCbor({ ...(headerToCbor(h0) as object), epoch: 0 })).toThrow(/epoch 0/)
  })
})

describe('the auditor follows the epoch chain (15.4)', () => {
  it('verifies a chain that goes 4 -> 5 -> 4 -> 7 validators, every block against its epoch\'s set', async () => {
    const { b } = reconfiguredChain()
    const report = await audit(b)
    expect(report.failure).toBeNull()
    expect(report.ok).toBe(true)
    expect(report.epoch).toBe(3)
    expect(report.epochs).toEqual(b.epochs.map((e) => ({ epoch: e.number, firstHeight: e.firstHeight, validators: e.seeds.length })))
    expect(report.epochs.map((e) => e.validators)).toEqual([4, 5, 4, 7])
    expect(report.inertReconfigurations).toBe(0)
  })

  it('refuses a block after the reconfiguration block that stays in the old epoch', async () => {
    const b = freshChain()
    b.reconfigure([...b.current.seeds, ...seedsFor('j', 1)], 'five')
    b.add([], { header: { epoch: undefined, proposer: 2 % 4 } })
    const report = await audit(b)
    expect(report.failure).toMatchObject({ code: 'epoch-mismatch', height: 2 })
  })

  it('restarts the rounds at an epoch\'s first block: round 1 below the parent\'s is valid, round 0 is not', async () => {
    const make = () => {
      const b = freshChain()
      b.add([])
      b.add([])
      b.reconfigure([...b.current.seeds, ...seedsFor('j', 1)], 'five')
      return b
    }
    const b = make()
    b.add([])
    expect(b.head.round).toBe(1)
    expect(b.items[2]!.block.header.round).toBe(3)
    expect((await audit(b)).failure).toBeNull()
    const zero = make()
    zero.add([], { header: { round: 0, proposer: 0 } })
    expect((await audit(zero)).failure).toMatchObject({ code: 'round-not-increasing', height: 4, reason: 'round 0 is not above round 0 of its epoch' })
    // A leader may also start the epoch at a later round (after timeouts in the epoch).
    const later = make()
    later.add([], { header: { round: 7, proposer: 2 } })
    expect((await audit(later)).failure).toBeNull()
    // Within the epoch rounds rise as before.
    const again = make()
    again.add([])
    again.add([], { header: { round: 1, proposer: 1 } })
    expect((await audit(again)).failure).toMatchObject({ code: 'round-not-increasing', height: 5 })
  })

  it('refuses a block that claims a new epoch without a reconfiguration', async () => {
    const b = freshChain()
    b.add([], { header: { epoch: 1 } })
    expect((await audit(b)).failure).toMatchObject({ code: 'epoch-mismatch', height: 1 })
  })

  it('needs the boundary certificate with the reconfiguration block', async () => {
    const b = freshChain()
    b.add([])
    const five = [...b.current.seeds, ...seedsFor('j', 1)]
    const validators = validatorsOf(five, 'five')
    const entry = b.reconfiguration(validators)
    b.add([entry], { certify: false }, { seeds: five, validators, entry })
    b.add([])
    expect((await audit(b)).failure).toMatchObject({ code: 'missing-boundary-certificate', height: 3 })
  })

  it('checks the first block\'s QC against the old set, and its proposer and certificate against the new one', async () => {
    const make = () => {
      const b = freshChain()
      const five = [...b.current.seeds, ...seedsFor('j', 1)]
      b.reconfigure(five, 'five')
      return { b, old: b.current.seeds, five }
    }
    {
      // The QC for the reconfiguration block signed by the new set: the old set certifies it.
      const { b, five } = make()
      b.add([], { qcSeeds: five.slice(1) })
      expect((await audit(b)).failure).toMatchObject({ code: 'bad-qc', height: 2 })
    }
    {
      // The epoch's round 1 in the set of 5 is led by validator 1, not 2.
      const { b } = make()
      b.add([], { header: { proposer: 2 } })
      expect((await audit(b)).failure).toMatchObject({ code: 'wrong-proposer', height: 2 })
    }
    {
      // The first block's CC signed by the old set.
      const { b, old } = make()
      b.add([], { ccSeeds: old })
      expect((await audit(b)).failure).toMatchObject({ code: 'bad-commit-certificate', height: 2 })
    }
  })

  it('refuses, after the boundary, a QC and a CC of the old set, and one with the removed validator', async () => {
    const b = freshChain()
    const old = b.current.seeds
    const three = old.slice(1)
    const replaced = [...three, ...seedsFor('r', 1)] // validator 0 replaced
    b.reconfigure(replaced, 'replaced')
    b.add([])
    const good = await audit(b)
    expect(good.ok).toBe(true)
    // The block after: its QC by the old set (the removed validator among its signers).
    const bad = new EpochChainBuilder(b.net)
    bad.reconfigure(replaced, 'replaced')
    bad.add([])
    bad.add([], { qcSeeds: old })
    expect((await audit(bad)).failure).toMatchObject({ code: 'bad-qc', height: 3 })
  })

  it('takes a suffix block\'s certificate as the boundary certificate only with the links from the reconfiguration block', async () => {
    const make = () => {
      const b = freshChain()
      b.reconfigure([...b.current.seeds, ...seedsFor('j', 1)], 'five', [], 3)
      b.add([])
      return b
    }
    const b = make()
    expect(b.items[0]!.links).toHaveLength(3)
    expect((await audit(b)).failure).toBeNull()
    const cases: [string, (links: readonly BlockHeader[]) => readonly BlockHeader[], string][] = [
      ['a link missing in the middle', (links) => [links[0]!, links[2]!], 'bad-boundary-links'],
      ['the last link missing', (links) => links.slice(0, 2), 'cc-mismatch'],
      ['a link that carries entries', (links) => [{ ...links[0]!, entryCount: 1 }, ...links.slice(1)], 'bad-boundary-links'],
      ['a link of the next epoch', (links) => [{ ...links[0]!, epoch: 1 }, ...links.slice(1)], 'bad-boundary-links'],
    ]
    for (const [name, change, code] of cases) {
      const bad = make()
      bad.items[0] = { ...bad.items[0]!, links: change(bad.items[0]!.links!) }
      expect((await audit(bad)).failure, name).toMatchObject({ code, height: 1 })
    }
  })

  it('does not switch on an expired reconfiguration, and refuses it as an epoch change', async () => {
    const b = freshChain()
    b.add([])
    const five = [...b.current.seeds, ...seedsFor('j', 1)]
    const validators = validatorsOf(five, 'five')
    const entry = b.reconfiguration(validators, { expires: 1 }) // its block is at height 2
    b.add([entry], {}, { seeds: five, validators, entry })
    b.add([])
    expect((await audit(b)).failure).toMatchObject({ code: 'epoch-mismatch', height: 3 })
    expect(verifyEpochChanges(b.epochChanges(1), b.net.genesis)).toMatchObject({ ok: false, position: 0, code: 'reconfiguration-expired' })
  })

  it('counts inert reconfigurations and does not switch on them', async () => {
    const b = freshChain()
    const validators = validatorsOf(seedsFor('z', 5), 'z')
    b.add([b.reconfiguration(validators, { approvers: 2 }), b.reconfiguration(validators, { epoch: 2 })])
    b.add([b.reconfiguration(validators, { expires: 1 })]) // at height 2: expired
    // The first effective one ends the epoch; the second in the same block is superseded.
    const five = [...b.current.seeds, ...seedsFor('j', 1)]
    const fiveValidators = validatorsOf(five, 'five')
    const effective = b.reconfiguration(fiveValidators)
    b.add([effective, b.reconfiguration(validators)], {}, { seeds: five, validators: fiveValidators, entry: effective })
    b.add([])
    const report = await audit(b)
    expect(report.failure).toBeNull()
    expect(report.inertReconfigurations).toBe(4)
    expect(report.epochs.map((e) => e.validators)).toEqual([4, 5])
  })

  it('starts a partial verification inside a later epoch from the epoch changes', () => {
    const { b } = reconfiguredChain()
    const startHeight = b.epochs[2]!.firstHeight // the first block of epoch 2 is the start header
    const start = startFor(b, startHeight)
    const withChanges = new ChainVerifier(b.net.genesis, { ...start, epochChanges: b.epochChanges(2) })
    for (const item of b.items.slice(startHeight)) expect(withChanges.push(item)).toBeNull()
    expect(withChanges.finish().ok).toBe(true)
    // Without them the start header names an epoch nothing leads to.
    expect(new ChainVerifier(b.net.genesis, start).failure).toMatchObject({ code: 'bad-start' })
    // With a change missing, the start header names an epoch the changes do not reach.
    expect(new ChainVerifier(b.net.genesis, { ...start, epochChanges: b.epochChanges(1) }).failure).toMatchObject({ code: 'bad-start' })
  })

  it('starts at a boundary: the start header is the reconfiguration block, the next block the new epoch\'s first', () => {
    const { b } = reconfiguredChain()
    const boundary = b.epochs[2]!.firstHeight - 1
    const verifier = new ChainVerifier(b.net.genesis, { ...startFor(b, boundary), epochChanges: b.epochChanges(2) })
    for (const item of b.items.slice(boundary)) expect(verifier.push(item)).toBeNull()
    expect(verifier.finish()).toMatchObject({ ok: true, epoch: 3 })
  })
})

/** The start of a partial verification after `height`: its header and the log frontier. */
function startFor(b: EpochChainBuilder, height: number) {
  const header = b.items[height - 1]!.block.header
  const accumulator = new MerkleAccumulator()
  for (const item of b.items.slice(0, height)) for (const e of item.block.entries) accumulator.append(leafHash(encodeEntry(e)))
  return { header, accumulator: accumulator.toState() }
}

describe('receipts across epochs (15.5)', () => {
  const { b } = reconfiguredChain()
  const lastIndex = b.entries.length - 1
  const lastHeight = b.head.height

  it('verify from the genesis through the epoch changes, and name their epoch', () => {
    const receipt = b.receipt(lastIndex, lastHeight)
    expect(receipt.epochs).toHaveLength(3)
    expect(verifyReceipt(receipt, b.net.genesis)).toEqual({ ok: true })
    // An entry of epoch 0 under a checkpoint of epoch 0 needs no changes, and is encoded as before.
    const early = b.receipt(0, 1)
    expect(early.epochs).toBeUndefined()
    expect(Object.keys(receiptToCbor(early) as object)).toEqual(['entry', 'index', 'proof', 'checkpoint'])
    expect(verifyReceipt(early, b.net.genesis)).toEqual({ ok: true })
  })

  it('round-trip through CBOR and JSON', () => {
    const receipt = b.receipt(lastIndex, lastHeight)
    const back = receiptFromJson(JSON.parse(JSON.stringify(receiptToJson(receipt))))
    expect(verifyReceipt(back, b.net.genesis)).toEqual({ ok: true })
    expect(encodeCanonical(receiptToCbor(back))).toEqual(encodeCanonical(receiptToCbor(receipt)))
    expect(() => receiptFromCbor({ ...(receiptToCbor(receipt) as object), epochs: [] })).toThrow(/epoch-0 receipt/)
  })

  it('fail without the changes, with one missing, out of order, or with a checkpoint before the epoch', () => {
    const receipt = b.receipt(lastIndex, lastHeight)
    const changes = receipt.epochs!
    expect(verifyReceipt({ ...receipt, epochs: undefined }, b.net.genesis)).toMatchObject({ ok: false, code: 'bad-commit-certificate' })
    expect(verifyReceipt({ ...receipt, epochs: changes.slice(0, 2) }, b.net.genesis)).toMatchObject({ ok: false, code: 'bad-commit-certificate' })
    expect(verifyReceipt({ ...receipt, epochs: [changes[1]!, changes[0]!, changes[2]!] }, b.net.genesis)).toMatchObject({ ok: false, code: 'bad-epoch-change', position: 0 })
    // A checkpoint of the last epoch's set for a block of epoch 1 (which that set never certified).
    const heightInEpoch1 = b.epochs[1]!.firstHeight
    const forged = b.plainReceipt(0, heightInEpoch1, b.epochs[3]!.seeds)
    expect(verifyReceipt({ ...forged, epochs: changes }, b.net.genesis)).toMatchObject({ ok: false, code: 'checkpoint-before-epoch' })
  })

  it('refuse an epoch change that is an ordinary entry, or whose boundary does not prove the block that holds it', () => {
    const changes = b.epochChanges(3)
    const ordinary = { ...b.plainReceipt(0, 1), boundary: [b.items[0]!.block.header] }
    expect(verifyEpochChanges([ordinary], b.net.genesis)).toMatchObject({ ok: false, position: 0, code: 'not-a-reconfiguration' })
    const first = changes[0]!
    const otherBlock = b.items[first.boundary[0]!.height - 2]!.block.header
    expect(verifyEpochChanges([{ ...first, boundary: [otherBlock] }], b.net.genesis)).toMatchObject({ ok: false, position: 0, code: 'bad-boundary' })
    expect(verifyEpochChanges([changes[1]!, changes[0]!], b.net.genesis)).toMatchObject({ ok: false, position: 0 })
    const verdict = verifyEpochChanges(changes, b.net.genesis)
    if (!verdict.ok) throw new Error(verdict.reason)
    expect(verdict.epochs.map((e) => [e.number, e.firstHeight, e.set.n])).toEqual(b.epochs.map((e) => [e.number, e.firstHeight, e.seeds.length]))
  })
})

describe('a replica that cannot switch sets yet', () => {
  it('refuses an approved reconfiguration at the door and accepts an inert one', () => {
    const b = freshChain()
    const verifier = new Verifier(b.net.genesis, validatorSetOf(b.net.genesis), 100, 100)
    const validators = validatorsOf(seedsFor('w', 5), 'w')
    expect(verifier.entry(b.reconfiguration(validators))).toEqual({ code: 'entry-reconfiguration-unsupported', epoch: 1 })
    expect(verifier.entry(b.reconfiguration(validators, { approvers: 2 }))).toMatchObject({ agentHex: expect.any(String) })
  })
})

describe('set hashes', () => {
  it('are the hash of the genesis encoding of the validator list', () => {
    const net = testNet(4, CHAIN)
    const cbor = genesisToCbor(net.genesis) as { validators: unknown }
    expect(toHex(setHashOf(net.genesis.validators))).toBe(toHex(sha256(encodeCanonical(cbor.validators as never))))
    expect(genesisPosition(net.genesis).epoch.setHash).toEqual(setHashOf(net.genesis.validators))
  })
})
