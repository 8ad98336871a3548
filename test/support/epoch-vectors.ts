// The `epochs` part of docs/test-vectors.json (docs/formats.md section 15): the approval
// statements of two epoch changes with their signatures (checkable with bare SHA-256 and
// Ed25519), exports across epochs that `synod audit` must accept or refuse with a given
// code, and receipts of a later epoch with their epoch changes. Built from fixed seeds.
import { toHex } from '../../src/crypto/hash.ts'
import { readReconfigurationPayload, reconfigurationSigningMessage, setHashOf } from '../../src/log/epochs.ts'
import { genesisToJson } from '../../src/log/genesis.ts'
import { receiptToJson, type Receipt } from '../../src/log/receipt.ts'
import type { ValidatorInfo } from '../../src/log/validator-set.ts'
import { TestAgent, testNet, type TestNet } from './chain-builder.ts'
import { EpochChainBuilder, seedsFor, validatorsOf, type AddOptions } from './epoch-chain.ts'
import { exportBytes } from './export-file.ts'

const CHAIN = 'epochs-vectors'

type Expect = { readonly ok: true } | { readonly code: string, readonly height?: number, readonly position?: number }

/** Genesis (4 validators) -> epoch 1 (a fifth joins) -> epoch 2 (validator 0 of the
 * genesis leaves), an ordinary entry in each epoch. Epoch 0's boundary certificate is
 * the CC of its reconfiguration block; epoch 1's is the CC of the second of two suffix
 * blocks (the record carries their headers as links). `firstOfEpoch1` changes how the
 * first block of epoch 1 is built (to make it invalid); `certifyBoundary` false leaves
 * the reconfiguration block without its certificate. */
function chainOf(net: TestNet, firstOfEpoch1: AddOptions = {}, certifyBoundary = true): EpochChainBuilder {
  const b = new EpochChainBuilder(net)
  const user = new TestAgent(`${CHAIN}/user`)
  b.add([user.entry(CHAIN, 'app/log', { epoch: 0 })])
  const five = [...b.current.seeds, ...seedsFor(`${CHAIN}/joiner`, 1)]
  const fiveValidators = validatorsOf(five, 'org')
  const change1 = b.reconfiguration(fiveValidators)
  b.add([change1], { certify: certifyBoundary }, { seeds: five, validators: fiveValidators, entry: change1 })
  b.add([user.entry(CHAIN, 'app/log', { epoch: 1 })], firstOfEpoch1)
  const four = five.slice(1)
  b.reconfigure(four, 'org', [], 2)
  b.add([user.entry(CHAIN, 'app/log', { epoch: 2 })])
  b.add([])
  return b
}

function validatorsJson(validators: readonly ValidatorInfo[]) {
  return validators.map((v) => ({ name: v.name, publicKey: toHex(v.publicKey), addresses: [...v.addresses] }))
}

export function buildEpochVectors() {
  const net = testNet(4, CHAIN)
  const b = chainOf(net)
  const genesisSeeds = net.validatorSeeds

  const changes = b.epochs.slice(1).map((epoch) => {
    const entry = b.entries[epoch.changeIndex]!
    const read = readReconfigurationPayload(entry)
    if (read.type !== 'reconfiguration') throw new Error('the builder wrote a reconfiguration')
    const before = b.epochs[epoch.number - 1]!
    return {
      epoch: epoch.number,
      boundaryHeight: epoch.firstHeight - 1,
      previous: toHex(setHashOf(before.validators)),
      validators: validatorsJson(epoch.validators),
      expires: read.reconfiguration.expires,
      signingMessage: toHex(reconfigurationSigningMessage(CHAIN, { epoch: epoch.number, expires: read.reconfiguration.expires, previous: setHashOf(before.validators), validators: epoch.validators })),
      signers: toHex(read.reconfiguration.approvals.signers),
      sigs: read.reconfiguration.approvals.sigs.map(toHex),
      payload: entry.payload,
    }
  })

  const exports: { name: string, hex: string, expect: Expect }[] = []
  const addExport = (name: string, chain: EpochChainBuilder, expect: Expect) => {
    exports.push({ name, hex: toHex(exportBytes(net.genesis, chain.items)), expect })
  }
  addExport('4 -> 5 -> 4 validators: every block against its epoch\'s set', b, { ok: true })
  addExport('the reconfiguration block without its commit certificate (the boundary certificate)', chainOf(net, {}, false), { code: 'missing-boundary-certificate', height: 3 })
  addExport('the block after the reconfiguration block stays in epoch 0 (no epoch field)', chainOf(net, { header: { epoch: undefined } }), { code: 'epoch-mismatch', height: 3 })
  addExport('the first block of epoch 1 at round 4 proposed by validator 0 (4 mod 4, the old n; the leader is 4 mod 5)', chainOf(net, { header: { round: 4, proposer: 0 } }), { code: 'wrong-proposer', height: 3 })
  addExport('the QC for the reconfiguration block signed by the new set (it certifies an epoch-0 block)', chainOf(net, { qcSeeds: [...genesisSeeds.slice(1), ...seedsFor(`${CHAIN}/joiner`, 1)] }), { code: 'bad-qc', height: 3 })
  addExport('the first block of epoch 1 with a commit certificate of the old set', chainOf(net, { ccSeeds: genesisSeeds }), { code: 'bad-commit-certificate', height: 3 })
  const noLinks = chainOf(net)
  const boundary2 = noLinks.epochs[2]!.firstHeight - 1
  noLinks.items[boundary2 - 1] = { ...noLinks.items[boundary2 - 1]!, links: undefined }
  addExport('epoch 1\'s reconfiguration block with the certificate of a suffix block but without the links to it', noLinks, { code: 'cc-mismatch', height: boundary2 })
  const linksElsewhere = chainOf(net)
  linksElsewhere.items[0] = { ...linksElsewhere.items[0]!, links: linksElsewhere.items[boundary2 - 1]!.links }
  addExport('links on a block that is not a reconfiguration block', linksElsewhere, { code: 'bad-boundary-links', height: 1 })

  const lastIndex = b.entries.length - 1
  const lastHeight = b.items.findIndex((item) => item.block.entries.includes(b.entries[lastIndex]!)) + 1
  const valid = b.receipt(lastIndex, lastHeight)
  const epochChanges = valid.epochs!
  const receipts: { name: string, receipt: unknown, expect: Expect }[] = []
  const addReceipt = (name: string, receipt: Receipt, expect: Expect) => receipts.push({ name, receipt: receiptToJson(receipt), expect })
  addReceipt('an entry of epoch 2 under a checkpoint of epoch 2, with both epoch changes', valid, { ok: true })
  addReceipt('the same without its epoch changes', { ...valid, epochs: undefined }, { code: 'bad-commit-certificate' })
  addReceipt('the same with its epoch changes in the wrong order', { ...valid, epochs: [epochChanges[1]!, epochChanges[0]!] }, { code: 'bad-epoch-change', position: 0 })
  addReceipt('an entry of epoch 0 under a checkpoint of epoch 2\'s set for a block of epoch 0', { ...b.plainReceipt(0, 1, b.epochs[2]!.seeds), epochs: epochChanges }, { code: 'checkpoint-before-epoch' })
  addReceipt('an entry of epoch 0 under its own checkpoint: no epoch changes, encoded as before', b.receipt(0, 1), { ok: true })

  return {
    description: 'docs/formats.md section 15: epochs. `changes` are the approval statements of the two epoch changes (each signature is Ed25519 by validator i of the epoch before over signingMessage, i a set bit of signers); `exports` are audited against `genesis`; `receipts` verified against it.',
    genesis: { json: genesisToJson(net.genesis) },
    changes,
    exports,
    receipts,
  }
}
