// The epoch rules an honest node applies to untrusted input, case by case: a
// reconfiguration payload's grammar (docs/formats.md section 15.1: anything else is
// 'malformed', an inert claim), the expiry of an approval round, and the shape of a
// boundary certificate (its links chain from the reconfiguration block as empty blocks of
// its epoch stating its log, and its CC certifies the last of them with that log). Each
// case is one change from a valid input, so each rule is seen to refuse on its own:
// written against the survivors of a mutation run (docs/mutation.md, "src/log").
import { describe, expect, it } from 'vitest'
import { blockHash, type BlockHeader } from '../../src/log/block.ts'
import type { CommitCertificate } from '../../src/log/certificates.ts'
import {
  boundaryShapeProblem, checkReconfiguration, genesisEpoch, readReconfigurationPayload, RECONFIGURE, suffixLinksProblem,
} from '../../src/log/epochs.ts'
import { toHex } from '../../src/crypto/hash.ts'
import { LIMITS } from '../../src/limits.ts'
import { TestAgent, testNet } from '../support/chain-builder.ts'
import { EpochChainBuilder, seedsFor, validatorsOf } from '../support/epoch-chain.ts'

const hex = (byte: number, length: number) => byte.toString(16).padStart(2, '0').repeat(length)

function validPayload(): Record<string, unknown> {
  return {
    synod: RECONFIGURE,
    epoch: 1,
    expires: 50,
    validators: [0, 1, 2, 3].map((i) => ({ name: `org-${i}`, publicKey: hex(i + 1, 32), addresses: [`/ip4/127.0.0.1/tcp/${9000 + i}`] })),
    signers: '07',
    sigs: [hex(0xaa, 64), hex(0xbb, 64), hex(0xcc, 64)],
  }
}

function read(payload: unknown) {
  return readReconfigurationPayload({ payload: JSON.stringify(payload) })
}

function withValidator(i: number, change: Record<string, unknown> | null): Record<string, unknown> {
  const p = validPayload()
  const list = [...(p.validators as Record<string, unknown>[])]
  list[i] = change === null ? 'not an object' as unknown as Record<string, unknown> : { ...list[i]!, ...change }
  return { ...p, validators: list }
}

describe('a reconfiguration payload', () => {
  it('reads when every member is as section 15.1 says', () => {
    const r = read(validPayload())
    expect(r.type).toBe('reconfiguration')
    if (r.type !== 'reconfiguration') return
    expect(r.reconfiguration.epoch).toBe(1)
    expect(r.reconfiguration.expires).toBe(50)
    expect(r.reconfiguration.validators.map((v) => toHex(v.publicKey))).toEqual([hex(1, 32), hex(2, 32), hex(3, 32), hex(4, 32)])
    expect(r.reconfiguration.approvals.sigs).toHaveLength(3)
  })

  it('is no claim at all without "synod": "reconfigure"', () => {
    expect(read({ ...validPayload(), synod: 'decision' })).toEqual({ type: 'none' })
    expect(readReconfigurationPayload({ payload: '{"a":1}' })).toEqual({ type: 'none' })
    expect(readReconfigurationPayload({ payload: '[1,2]' })).toEqual({ type: 'none' })
  })

  const longLabel = 'x'.repeat(LIMITS.labelBytesMax + 1)
  const cases: [string, unknown, RegExp][] = [
    ['an unknown member', { ...validPayload(), extra: 1 }, /^unknown member "extra"$/],
    ['epoch 0', { ...validPayload(), epoch: 0 }, /"epoch" must be an integer of at least 1/],
    ['epoch as text', { ...validPayload(), epoch: '1' }, /"epoch"/],
    ['a fractional epoch', { ...validPayload(), epoch: 1.5 }, /"epoch"/],
    ['expires 0', { ...validPayload(), expires: 0 }, /"expires" must be a block height of at least 1/],
    ['expires as text', { ...validPayload(), expires: '50' }, /"expires"/],
    ['a fractional expiry', { ...validPayload(), expires: 2.5 }, /"expires"/],
    ['three validators', { ...validPayload(), validators: (validPayload().validators as unknown[]).slice(0, 3) }, /"validators" must be a list of 4 to/],
    ['validators not a list', { ...validPayload(), validators: {} }, /"validators" must be a list/],
    ['too many validators', { ...validPayload(), validators: Array.from({ length: LIMITS.validatorsMax + 1 }, (_, i) => ({ name: `v${i}`, publicKey: i.toString(16).padStart(64, '0'), addresses: [] })) }, /"validators" must be a list of 4 to/],
    ['a validator that is not an object', withValidator(2, null), /^validators\[2\] is not an object$/],
    ['a validator with an unknown member', withValidator(1, { port: 1 }), /^validators\[1\] has an unknown member "port"$/],
    ['an empty name', withValidator(0, { name: '' }), /^validators\[0\]\.name must be a text of 1 to/],
    ['a name over the label limit', withValidator(0, { name: longLabel }), /^validators\[0\]\.name/],
    ['a name that is not text', withValidator(0, { name: 7 }), /^validators\[0\]\.name/],
    ['an upper-case key', withValidator(3, { publicKey: hex(0xab, 32).toUpperCase() }), /^validators\[3\]\.publicKey is not 64 lower-case hex characters$/],
    ['a short key', withValidator(3, { publicKey: hex(1, 31) }), /^validators\[3\]\.publicKey/],
    ['addresses not a list', withValidator(1, { addresses: '/ip4/1.2.3.4' }), /^validators\[1\]\.addresses must be a list of at most/],
    ['too many addresses', withValidator(1, { addresses: Array.from({ length: LIMITS.validatorAddressesMax + 1 }, (_, i) => `/ip4/127.0.0.1/tcp/${i + 1}`) }), /^validators\[1\]\.addresses must be a list/],
    ['an empty address', withValidator(1, { addresses: [''] }), /^validators\[1\]\.addresses\[0\] must be a text of 1 to/],
    ['an address over the label limit', withValidator(1, { addresses: ['/ip4/127.0.0.1', longLabel] }), /^validators\[1\]\.addresses\[1\]/],
    ['a repeated key', withValidator(2, { publicKey: hex(1, 32) }), /^validators\[2\] repeats the key/],
    ['signers not hex', { ...validPayload(), signers: 'zz' }, /"signers" must be a signer bitmap of at most/],
    ['signers of odd length', { ...validPayload(), signers: '007' }, /"signers"/],
    ['signers too long', { ...validPayload(), signers: '00'.repeat(Math.ceil(LIMITS.validatorsMax / 8) + 1) }, /"signers"/],
    ['signers as a number', { ...validPayload(), signers: 7 }, /"signers"/],
    ['sigs not a list', { ...validPayload(), sigs: hex(0xaa, 64) }, /"sigs" must be a list of at most/],
    ['too many sigs', { ...validPayload(), sigs: Array.from({ length: LIMITS.validatorsMax + 1 }, () => hex(0xaa, 64)) }, /"sigs" must be a list/],
    ['a short sig', { ...validPayload(), sigs: [hex(0xaa, 63)] }, /^sigs\[0\] is not 128 lower-case hex characters$/],
    ['a sig that is not text', { ...validPayload(), sigs: [hex(0xaa, 64), 5] }, /^sigs\[1\]/],
  ]
  for (const [what, payload, problem] of cases) {
    it(`is malformed with ${what}`, () => {
      const r = read(payload)
      expect(r.type).toBe('malformed')
      if (r.type === 'malformed') expect(r.problem).toMatch(problem)
    })
  }

  it('at the limits themselves it still reads (the bounds are inclusive)', () => {
    const label = 'y'.repeat(LIMITS.labelBytesMax)
    const atLimits = withValidator(0, { name: label, addresses: Array.from({ length: LIMITS.validatorAddressesMax }, () => label) })
    expect(read({ ...atLimits, signers: '00'.repeat(Math.ceil(LIMITS.validatorsMax / 8)) }).type).toBe('reconfiguration')
    expect(read(withValidator(0, { name: 'z' })).type).toBe('reconfiguration')
  })
})

describe('the approval round of a reconfiguration expires', () => {
  it('effective in a block at its expiry height, not one height later', () => {
    const net = testNet(4, 'expiry-rule')
    const b = new EpochChainBuilder(net)
    const entry = b.reconfiguration(validatorsOf([...b.current.seeds, ...seedsFor('expiry-rule/joiner', 1)], 'org'), { expires: 20 })
    const r = readReconfigurationPayload(entry)
    if (r.type !== 'reconfiguration') throw new Error('the builder wrote a reconfiguration')
    const epoch = genesisEpoch(net.genesis)
    expect(checkReconfiguration(r.reconfiguration, net.genesis.chainId, epoch, 20)).toBeNull()
    expect(checkReconfiguration(r.reconfiguration, net.genesis.chainId, epoch, null)).toBeNull()
    expect(checkReconfiguration(r.reconfiguration, net.genesis.chainId, epoch, 21)).toEqual({ code: 'reconfiguration-expired', height: 21, expires: 20 })
  })
})

describe('the shape of a boundary certificate', () => {
  // Genesis (4) -> 5 validators; the second change (back to 4) is certified through two
  // suffix blocks: its boundary certificate is the CC of the second, with both as links.
  const net = testNet(4, 'boundary-shape')
  const b = new EpochChainBuilder(net)
  const user = new TestAgent('boundary-shape/user')
  b.add([user.entry('boundary-shape', 'app/log', { n: 0 })])
  const five = [...b.current.seeds, ...seedsFor('boundary-shape/joiner', 1)]
  const change = b.reconfiguration(validatorsOf(five, 'org'))
  b.add([change], {}, { seeds: five, validators: validatorsOf(five, 'org'), entry: change })
  b.add([user.entry('boundary-shape', 'app/log', { n: 1 })])
  b.reconfigure(five.slice(1), 'org', [], 2)
  b.add([])
  const record = b.items.find((i) => i.links !== undefined)!
  const header = record.block.header
  const hash = blockHash(header)
  const links = record.links!
  const cc = record.cc!
  const epoch = header.epoch ?? 0

  const relinked = (i: number, change: Partial<BlockHeader>): BlockHeader[] => links.map((l, j) => (j === i ? { ...l, ...change } : l))

  it('the certificate as built fits (the control)', () => {
    expect(links).toHaveLength(2)
    expect(suffixLinksProblem(links, hash, header, epoch)).toBeNull()
    expect(boundaryShapeProblem(cc, links, hash, header)).toBeNull()
  })

  const linkCases: [string, BlockHeader[], RegExp][] = [
    ['a link at the wrong height', relinked(0, { height: header.height + 2 }), /^link 0 is not the child of the block before it$/],
    ['a link whose parent is another block', relinked(0, { parent: new Uint8Array(32).fill(9) }), /^link 0 is not the child/],
    ['a second link that does not follow the first', relinked(1, { parent: hash }), /^link 1 is not the child/],
    ['a link of another epoch', relinked(0, { epoch: epoch + 1 }), new RegExp(`^link 0 is not an empty block of epoch ${epoch}$`)],
    ['a link with entries', relinked(0, { entryCount: 1 }), /^link 0 is not an empty block/],
    ['a link stating another log size', relinked(0, { logSize: header.logSize + 1 }), /^link 0 states another log than the reconfiguration block's$/],
    ['a link stating another log root', relinked(0, { logRoot: new Uint8Array(32).fill(7) }), /^link 0 states another log/],
  ]
  for (const [what, bad, problem] of linkCases) {
    it(`refuses ${what}, in the links and so in the certificate`, () => {
      expect(suffixLinksProblem(bad, hash, header, epoch)).toMatch(problem)
      expect(boundaryShapeProblem(cc, bad, hash, header)).toMatch(problem)
    })
  }

  const ccCases: [string, CommitCertificate, readonly BlockHeader[], RegExp][] = [
    ['a CC for the first link, with two links', { ...cc, height: links[0]!.height, block: blockHash(links[0]!) }, links, /^the certificate is for height/],
    ['a CC naming another block at the last link\'s height', { ...cc, block: new Uint8Array(32).fill(3) }, links, /^the certificate is for height/],
    ['a CC for the last link without the links', cc, [], /^the certificate is for height/],
    ['a CC stating another log size', { ...cc, logSize: cc.logSize + 1 }, links, /^the certificate states another log than the reconfiguration block's$/],
    ['a CC stating another log root', { ...cc, logRoot: new Uint8Array(32).fill(5) }, links, /^the certificate states another log/],
  ]
  for (const [what, badCc, withLinks, problem] of ccCases) {
    it(`refuses ${what}`, () => {
      expect(boundaryShapeProblem(badCc, withLinks, hash, header)).toMatch(problem)
    })
  }
})
