// Witnessed receipts across epochs (sdk/transparency.ts): the cosigned checkpoint of a
// later epoch is checked against that epoch's validators through its epoch changes, and
// must tell the same history as the receipt.
import { describe, expect, it } from 'vitest'
import { publicKeyFromSeed } from '../../src/crypto/ed25519.ts'
import { checkpointNoteOfCc, commitNoteText } from '../../src/log/checkpoint-note.ts'
import { cosign } from '../../src/log/cosignature.ts'
import { encodeEntry } from '../../src/log/entry.ts'
import { consistencyProof, leafHash } from '../../src/log/merkle.ts'
import { formatSignatureLine, formatVerifierKey, NOTE_SIG_COSIGNATURE_V1 } from '../../src/log/note.ts'
import { ValidatorSet } from '../../src/log/validator-set.ts'
import { verifyWitnessedReceipt, witnessKeys } from '../../sdk/transparency.ts'
import { seedOf, TestAgent, testNet } from '../support/chain-builder.ts'
import { ccBy, EpochChainBuilder, seedsFor } from '../support/epoch-chain.ts'

const CHAIN = 'witness-epochs'

describe('witnessed receipts across epochs', () => {
  const b = new EpochChainBuilder(testNet(4, CHAIN))
  const user = new TestAgent(`${CHAIN}/user`)
  b.add([user.entry(CHAIN, 'app/x', { i: 1 })])
  // Two of the four replaced: the new set's quorum is no quorum of the genesis set. (With
  // one replaced, three genesis validators sign every checkpoint of epoch 1, which then
  // also verifies as a true statement of a genesis quorum.)
  b.reconfigure([...b.current.seeds.slice(2), ...seedsFor(`${CHAIN}/new`, 2)], 'replaced')
  b.add([user.entry(CHAIN, 'app/x', { i: 2 })])
  b.add([user.entry(CHAIN, 'app/x', { i: 3 })])
  const epoch1 = b.epochs[1]!
  const receipt = b.receipt(0, 1) // an entry of epoch 0 under its own checkpoint
  const head = b.head
  const cc = ccBy(CHAIN, epoch1.seeds, head)
  const note = checkpointNoteOfCc(CHAIN, new ValidatorSet(epoch1.validators), cc)
  const witnessSeed = seedOf(`${CHAIN}/witness`)
  const witnessName = 'witness.example'
  const cosigned = note + formatSignatureLine(cosign(witnessSeed, witnessName, 1_700_000_000n, commitNoteText(CHAIN, cc)))
  const leaves = b.entries.map((e) => leafHash(encodeEntry(e)))
  const proof = consistencyProof(receipt.checkpoint.logSize, head.logSize, (i) => leaves[i]!)
  const witnesses = witnessKeys([formatVerifierKey(witnessName, NOTE_SIG_COSIGNATURE_V1, publicKeyFromSeed(witnessSeed))])
  const options = { cosignedNote: cosigned, consistencyProof: proof, witnesses, witnessesRequired: 1 }

  it('verify with the epoch changes of the cosigned checkpoint', () => {
    expect(verifyWitnessedReceipt(receipt, b.net.genesis, { ...options, cosignedEpochs: b.epochChanges(1) })).toMatchObject({ ok: true, witnesses: [witnessName] })
  })

  it('are refused without them (the note is signed by epoch 1\'s set, not the genesis\'s)', () => {
    expect(verifyWitnessedReceipt(receipt, b.net.genesis, options)).toMatchObject({ ok: false, code: 'bad-checkpoint-note' })
  })
})
