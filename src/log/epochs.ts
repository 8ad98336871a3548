// Epochs: the validator set changes through the log (docs/formats.md section 15,
// docs/protocol.md "Epochs and reconfiguration"). This module is the one place that says
// which set holds for a block: what a reconfiguration entry is, when it is effective,
// which epoch a block's header must name after its parent, and where a chain is after a
// block. The block rule (block-rule.ts), the auditor's ChainVerifier and receipt
// verification (verify.ts) all ask it; it is pure (no state of its own: positions are
// values a caller keeps per block).
import { bytesEqual, encodeCanonical, type CborValue } from '../codec/cbor.ts'
import { domainMessage, signDomain } from '../crypto/domain.ts'
import { ED25519, type SignatureScheme } from '../crypto/signature-scheme.ts'
import { fromHex, sha256, toHex } from '../crypto/hash.ts'
import { LIMITS } from '../limits.ts'
import { checkQuorumSignatures, describeCertificateProblem, type CertificateProblem, type Signatures } from './certificates.ts'
import { blockHash, type BlockHeader } from './block.ts'
import type { CommitCertificate } from './certificates.ts'
import type { Entry } from './entry-types.ts'
import type { Genesis } from './genesis.ts'
import { ValidatorSet, type ValidatorInfo } from './validator-set.ts'
import { ValidatorDirectory } from './validator-directory.ts'
import { isJsonObject as isObject, ownMember as member, unknownMember } from '../codec/json-members.ts'

/** The value of the reserved payload member `synod` that claims a reconfiguration. */
export const RECONFIGURE = 'reconfigure'

/** The validators of one epoch, with what every check of that epoch needs. */
export interface Epoch {
  /** 0 for the genesis set, then one more per effective reconfiguration. */
  readonly number: number
  readonly validators: readonly ValidatorInfo[]
  readonly set: ValidatorSet
  /** H(CBOR(validators)): what the next reconfiguration's approvals name as `previous`. */
  readonly setHash: Uint8Array
  /** Height of the epoch's first block (1 for epoch 0). */
  readonly firstHeight: number
}

/** The validators as the genesis encodes them (docs/formats.md sections 3 and 15.1). */
export function validatorsToCbor(validators: readonly ValidatorInfo[]): CborValue {
  return validators.map((v) => ({ name: v.name, publicKey: v.publicKey, addresses: v.addresses as string[] }))
}

export function setHashOf(validators: readonly ValidatorInfo[]): Uint8Array {
  return sha256(encodeCanonical(validatorsToCbor(validators)))
}

function epochOf(number: number, validators: readonly ValidatorInfo[], firstHeight: number, set?: ValidatorSet): Epoch {
  return { number, validators, set: set ?? new ValidatorSet(validators), setHash: setHashOf(validators), firstHeight }
}

/** Epoch 0: the genesis validators, from height 1. `set` reuses a ValidatorSet already
 * built for the genesis. */
export function genesisEpoch(genesis: Genesis, set?: ValidatorSet): Epoch {
  return epochOf(0, genesis.validators, 1, set)
}

// ---------------------------------------------------------------------------------
// The reconfiguration entry (section 15.2)
// ---------------------------------------------------------------------------------

/** What a reconfiguration entry states: the target epoch, its set, and the approvals of
 * the set before it (a signer bitmap over that set and one signature per signer). */
export interface Reconfiguration {
  readonly epoch: number
  /** The last height at which it can take effect: an approval round that did not commit
   * in time is over, and the validators may approve another set for the epoch. */
  readonly expires: number
  readonly validators: readonly ValidatorInfo[]
  readonly approvals: Signatures
}

export type ReconfigurationPayload =
  | { readonly type: 'none' }
  | { readonly type: 'reconfiguration', readonly reconfiguration: Reconfiguration }
  | { readonly type: 'malformed', readonly problem: string }

const NONE: ReconfigurationPayload = { type: 'none' }
const PAYLOAD_MEMBERS = new Set(['synod', 'epoch', 'expires', 'validators', 'signers', 'sigs'])
const VALIDATOR_MEMBERS = new Set(['name', 'publicKey', 'addresses'])
const KEY_HEX = /^[0-9a-f]{64}$/
const SIG_HEX = /^[0-9a-f]{128}$/
const BYTES_HEX = /^(?:[0-9a-f]{2})*$/
const utf8 = new TextEncoder()


function isLabel(value: unknown): value is string {
  if (typeof value !== 'string') return false
  const bytes = utf8.encode(value).length
  return bytes >= 1 && bytes <= LIMITS.labelBytesMax
}

function readValidator(value: unknown, i: number): ValidatorInfo | string {
  if (!isObject(value)) return `validators[${i}] is not an object`
  const extra = unknownMember(value, VALIDATOR_MEMBERS)
  if (extra !== null) return `validators[${i}] has an unknown member ${JSON.stringify(extra.slice(0, 40))}`
  const name = member(value, 'name')
  if (!isLabel(name)) return `validators[${i}].name must be a text of 1 to ${LIMITS.labelBytesMax} UTF-8 bytes`
  const publicKey = member(value, 'publicKey')
  if (typeof publicKey !== 'string' || !KEY_HEX.test(publicKey)) return `validators[${i}].publicKey is not 64 lower-case hex characters`
  const addresses = member(value, 'addresses')
  if (!Array.isArray(addresses) || addresses.length > LIMITS.validatorAddressesMax) return `validators[${i}].addresses must be a list of at most ${LIMITS.validatorAddressesMax} texts`
  for (const [j, address] of addresses.entries()) {
    if (!isLabel(address)) return `validators[${i}].addresses[${j}] must be a text of 1 to ${LIMITS.labelBytesMax} UTF-8 bytes`
  }
  return { name, publicKey: fromHex(publicKey), addresses: addresses as string[] }
}

function readReconfiguration(payload: { readonly [key: string]: unknown }): Reconfiguration | string {
  const extra = unknownMember(payload, PAYLOAD_MEMBERS)
  if (extra !== null) return `unknown member ${JSON.stringify(extra.slice(0, 40))}`
  const epoch = member(payload, 'epoch')
  if (typeof epoch !== 'number' || !Number.isSafeInteger(epoch) || epoch < 1) return '"epoch" must be an integer of at least 1'
  const expires = member(payload, 'expires')
  if (typeof expires !== 'number' || !Number.isSafeInteger(expires) || expires < 1) return '"expires" must be a block height of at least 1'
  const list = member(payload, 'validators')
  if (!Array.isArray(list) || list.length < 4 || list.length > LIMITS.validatorsMax) return `"validators" must be a list of 4 to ${LIMITS.validatorsMax} validators`
  const validators: ValidatorInfo[] = []
  const keys = new Set<string>()
  for (const [i, item] of list.entries()) {
    const v = readValidator(item, i)
    if (typeof v === 'string') return v
    const key = toHex(v.publicKey)
    if (keys.has(key)) return `validators[${i}] repeats the key ${key}`
    keys.add(key)
    validators.push(v)
  }
  const signers = member(payload, 'signers')
  if (typeof signers !== 'string' || !BYTES_HEX.test(signers) || signers.length > 2 * Math.ceil(LIMITS.validatorsMax / 8)) {
    return `"signers" must be a signer bitmap of at most ${Math.ceil(LIMITS.validatorsMax / 8)} bytes in lower-case hex`
  }
  const sigs = member(payload, 'sigs')
  if (!Array.isArray(sigs) || sigs.length > LIMITS.validatorsMax) return `"sigs" must be a list of at most ${LIMITS.validatorsMax} signatures`
  for (const [i, sig] of sigs.entries()) {
    if (typeof sig !== 'string' || !SIG_HEX.test(sig)) return `sigs[${i}] is not 128 lower-case hex characters`
  }
  return { epoch, expires, validators, approvals: { signers: fromHex(signers), sigs: (sigs as string[]).map(fromHex) } }
}

/** Reads an entry as a reconfiguration claim. Total: never throws. */
export function readReconfigurationPayload(entry: Pick<Entry, 'payload'>): ReconfigurationPayload {
  // Cheap filter (as for decisions): the member name can only be written as "synod" or
  // with \u escapes, so a payload with neither is not a claim.
  if (!entry.payload.includes('"synod"') && !entry.payload.includes('\\u')) return NONE
  let value: unknown
  try {
    value = JSON.parse(entry.payload)
  } catch {
    return NONE // not reachable for a committed entry (its payload obeys section 4)
  }
  if (!isObject(value) || member(value, 'synod') !== RECONFIGURE) return NONE
  const read = readReconfiguration(value)
  return typeof read === 'string' ? { type: 'malformed', problem: read } : { type: 'reconfiguration', reconfiguration: read }
}

/** The payload text of a reconfiguration, as the tools write it. */
export function reconfigurationPayloadText(r: Reconfiguration): string {
  return JSON.stringify({
    synod: RECONFIGURE,
    epoch: r.epoch,
    expires: r.expires,
    validators: r.validators.map((v) => ({ name: v.name, publicKey: toHex(v.publicKey), addresses: [...v.addresses] })),
    signers: toHex(r.approvals.signers),
    sigs: r.approvals.sigs.map(toHex),
  })
}

/** What the validators of the epoch before approve (section 15.2). */
export interface ReconfigurationStatement {
  readonly epoch: number
  readonly expires: number
  /** The set hash of the epoch before. */
  readonly previous: Uint8Array
  readonly validators: readonly ValidatorInfo[]
}

function statementToCbor(s: ReconfigurationStatement): CborValue {
  return { epoch: s.epoch, expires: s.expires, previous: s.previous, validators: validatorsToCbor(s.validators) }
}

/** The bytes each approving validator signs: the statement under the `reconfigure` domain. */
export function reconfigurationSigningMessage(chainId: string, statement: ReconfigurationStatement): Uint8Array {
  return domainMessage('reconfigure', chainId, statementToCbor(statement))
}

/** A validator's approval of a statement. (An honest validator has at most one unexpired
 * approval per target epoch: the tool that calls this keeps that record, docs/protocol.md.) */
export function approveReconfiguration(seed: Uint8Array, chainId: string, statement: ReconfigurationStatement): Uint8Array {
  return signDomain(seed, 'reconfigure', chainId, statementToCbor(statement))
}

/** Why a well-formed reconfiguration is not effective in `current` (ignoring whether an
 * earlier one was: that is the caller's position), with the values involved. */
export type ReconfigurationProblem =
  | { readonly code: 'reconfiguration-wrong-epoch', readonly epoch: number, readonly expected: number }
  | { readonly code: 'reconfiguration-expired', readonly height: number, readonly expires: number }
  | { readonly code: 'reconfiguration-not-approved', readonly problem: CertificateProblem }

/** Whether `r`, in a block at `height` (null: at a height not known yet, no expiry check),
 * would start the epoch after `current`: it names that epoch, has not expired, and a
 * quorum of `current`'s validators approved exactly this statement after exactly
 * `current`'s set. */
export function checkReconfiguration(r: Reconfiguration, chainId: string, current: Epoch, height: number | null, scheme: SignatureScheme = ED25519): ReconfigurationProblem | null {
  if (r.epoch !== current.number + 1) return { code: 'reconfiguration-wrong-epoch', epoch: r.epoch, expected: current.number + 1 }
  if (height !== null && height > r.expires) return { code: 'reconfiguration-expired', height, expires: r.expires }
  const message = reconfigurationSigningMessage(chainId, { epoch: r.epoch, expires: r.expires, previous: current.setHash, validators: r.validators })
  const problem = checkQuorumSignatures(current.set, r.approvals, () => message, scheme)
  return problem === null ? null : { code: 'reconfiguration-not-approved', problem }
}

/** The epoch an effective reconfiguration starts, its first block at `firstHeight`. */
export function nextEpoch(r: Reconfiguration, firstHeight: number): Epoch {
  return epochOf(r.epoch, r.validators, firstHeight)
}

// ---------------------------------------------------------------------------------
// Positions along a chain (section 15.3)
// ---------------------------------------------------------------------------------

/** Where a chain is after a block: the block's epoch, and, once the epoch's effective
 * reconfiguration is in the chain, the height of its block (the reconfiguration block)
 * and the epoch it starts. */
export interface EpochPosition {
  readonly epoch: Epoch
  readonly ending: { readonly height: number, readonly next: Epoch } | null
}

export function genesisPosition(genesis: Genesis, set?: ValidatorSet): EpochPosition {
  return { epoch: genesisEpoch(genesis, set), ending: null }
}

/** What the epoch rule says of a block after its parent: its epoch, whether it is a
 * suffix block (epoch ended, not yet switched: empty, never committed) or the first block
 * of its epoch (parent = the reconfiguration block). */
export type EpochRuling =
  | { readonly ok: true, readonly epoch: Epoch, readonly suffix: boolean, readonly first: boolean }
  | { readonly ok: false, readonly code: 'epoch-mismatch', readonly epoch: number, readonly expected: number }

/**
 * The epoch a block after a parent at `parentHeight` with position `parent` may name
 * (`blockEpoch`, 0 when its header has no epoch field): the parent's epoch while that
 * epoch has no effective reconfiguration; once it has, the next epoch if the parent is the
 * reconfiguration block, or (in a validator's tree only, `suffixAllowed`) the parent's
 * epoch again for a suffix block.
 */
export function epochRuling(parent: EpochPosition, parentHeight: number, blockEpoch: number, suffixAllowed: boolean): EpochRuling {
  const current = parent.epoch
  const ending = parent.ending
  if (ending === null) {
    if (blockEpoch === current.number) return { ok: true, epoch: current, suffix: false, first: false }
    return { ok: false, code: 'epoch-mismatch', epoch: blockEpoch, expected: current.number }
  }
  if (blockEpoch === ending.next.number && parentHeight === ending.height) return { ok: true, epoch: ending.next, suffix: false, first: true }
  if (blockEpoch === current.number && suffixAllowed) return { ok: true, epoch: current, suffix: true, first: false }
  // In a committed chain only the switch is allowed; in a tree, the switch right after the
  // reconfiguration block, the old epoch (suffix) after it.
  const expected = parentHeight === ending.height ? ending.next.number : current.number
  return { ok: false, code: 'epoch-mismatch', epoch: blockEpoch, expected }
}

/** A reconfiguration claim that changed nothing, and why (an audit reports it). */
export interface InertReconfiguration {
  readonly position: number
  readonly code: 'reconfiguration-malformed' | 'reconfiguration-superseded' | ReconfigurationProblem['code']
  readonly reason: string
}

/** The position after a valid block at `height` with `entries`, given the ruling its
 * header got, and the claims in it that are inert. */
export function positionAfterBlock(
  parent: EpochPosition,
  ruling: Extract<EpochRuling, { readonly ok: true }>,
  height: number,
  entries: readonly Pick<Entry, 'payload'>[],
  chainId: string,
  scheme: SignatureScheme = ED25519,
): { readonly position: EpochPosition, readonly inert: readonly InertReconfiguration[] } {
  let position: EpochPosition = ruling.first ? { epoch: ruling.epoch, ending: null } : parent
  const inert: InertReconfiguration[] = []
  for (let i = 0; i < entries.length; i++) {
    const after = positionAfterEntry(position, entries[i]!, height, chainId, scheme)
    if (typeof after === 'string') continue
    if ('code' in after) inert.push({ position: i, code: after.code, reason: after.reason })
    else position = after
  }
  return { position, inert }
}

/** The position after one entry of a block at `height` (its block's ruling already
 * applied): a new position when the entry is the epoch's effective reconfiguration, its
 * inertness when it only claims to be one, 'none' when it is an ordinary entry. */
function positionAfterEntry(
  position: EpochPosition, entry: Pick<Entry, 'payload'>, height: number, chainId: string, scheme: SignatureScheme,
): EpochPosition | 'none' | { readonly code: InertReconfiguration['code'], readonly reason: string } {
  const read = readReconfigurationPayload(entry)
  if (read.type === 'none') return 'none'
  if (read.type === 'malformed') return { code: 'reconfiguration-malformed', reason: read.problem }
  if (position.ending !== null) {
    return { code: 'reconfiguration-superseded', reason: `epoch ${position.epoch.number} already ended at height ${position.ending.height}` }
  }
  const problem = checkReconfiguration(read.reconfiguration, chainId, position.epoch, height, scheme)
  if (problem !== null) return { code: problem.code, reason: describeReconfigurationProblem(problem) }
  return { epoch: position.epoch, ending: { height, next: nextEpoch(read.reconfiguration, height + 1) } }
}

/**
 * Follows the epoch position along a committed chain from its entries alone, in log
 * order, each with its block's height: in a committed chain the block after an epoch's
 * reconfiguration block is the first block of the next epoch (section 15.3), so the
 * headers add nothing. What a restart rebuilds the committed head's position from (the
 * position is not persisted; the committed log was validated when it committed).
 */
/** Where epoch `epoch` began: its effective reconfiguration entry, at log index `index`
 * in the block at `height` (the last block of the epoch before). */
export interface EpochChangePoint {
  readonly epoch: number
  readonly height: number
  readonly index: number
}

export class EpochReplay {
  readonly #genesis: Genesis
  readonly #chainId: string
  readonly #scheme: SignatureScheme
  #position: EpochPosition
  #height = 0
  /** Log index of the next entry appended. */
  #logSize = 0
  #directory: ValidatorDirectory
  #changes: EpochChangePoint[] = []

  /** A replay from the genesis; with `start`, from a point known to be in epoch 0 with no
   * reconfiguration before it (the log size and height there). */
  constructor(genesis: Genesis, scheme: SignatureScheme = ED25519, set?: ValidatorSet, start?: { readonly height: number, readonly logSize: number }) {
    this.#genesis = genesis
    this.#chainId = genesis.chainId
    this.#scheme = scheme
    this.#position = genesisPosition(genesis, set)
    this.#directory = new ValidatorDirectory(genesis.validators)
    if (start !== undefined) {
      this.#height = start.height
      this.#logSize = start.logSize
    }
  }

  /** An independent copy: stepped on, it leaves this one as it is. */
  clone(): EpochReplay {
    const copy = new EpochReplay(this.#genesis, this.#scheme)
    copy.#position = this.#position
    copy.#height = this.#height
    copy.#logSize = this.#logSize
    copy.#directory = ValidatorDirectory.fromKeys(this.#directory.keys)
    copy.#changes = [...this.#changes]
    return copy
  }

  /** The height the replay has reached. */
  get height(): number {
    return this.#height
  }

  /** Each epoch change so far, in order (epoch 1 first). */
  get changes(): readonly EpochChangePoint[] {
    return this.#changes
  }

  /** The position after the last height given (append or advanceTo). */
  get position(): EpochPosition {
    return this.#position
  }

  /** The validator directory after the entries given: the genesis set, then each
   * effective reconfiguration's new keys (a replica's, after the same commits). */
  get directory(): ValidatorDirectory {
    return this.#directory
  }

  /** The next committed entry, in a block at `height` (not below the last one's). */
  append(entry: Pick<Entry, 'payload'>, height: number): void {
    this.advanceTo(height)
    const index = this.#logSize++
    const after = positionAfterEntry(this.#position, entry, height, this.#chainId, this.#scheme)
    if (typeof after !== 'string' && !('code' in after)) {
      this.#position = after
      if (after.ending !== null) {
        this.#directory.learn(after.ending.next.validators)
        this.#changes.push({ epoch: after.ending.next.number, height, index })
      }
    }
  }

  /** The chain has committed up to `height`: past a reconfiguration block, the next epoch. */
  advanceTo(height: number): void {
    if (height < this.#height) throw new RangeError(`the replay is at height ${this.#height}, not back at ${height}`)
    this.#height = height
    const ending = this.#position.ending
    if (ending !== null && height > ending.height) this.#position = { epoch: ending.next, ending: null }
  }
}

/** The position after the last of `blocks`, a committed chain from height 0 or 1 up. */
export function positionAfterBlocks(
  genesis: Genesis, blocks: Iterable<{ readonly header: { readonly height: number }, readonly entries: readonly Pick<Entry, 'payload'>[] }>, scheme: SignatureScheme = ED25519,
): EpochPosition {
  return replayBlocks(genesis, blocks, scheme).position
}

/** The replay after the last of `blocks` (its position and validator directory), a
 * committed chain from height 0 or 1 up. */
export function replayBlocks(
  genesis: Genesis, blocks: Iterable<{ readonly header: { readonly height: number }, readonly entries: readonly Pick<Entry, 'payload'>[] }>, scheme: SignatureScheme = ED25519,
): EpochReplay {
  const replay = new EpochReplay(genesis, scheme)
  for (const block of blocks) {
    const height = block.header.height
    for (const entry of block.entries) replay.append(entry, height)
    replay.advanceTo(height)
  }
  return replay
}

export function describeReconfigurationProblem(problem: ReconfigurationProblem): string {
  switch (problem.code) {
    case 'reconfiguration-wrong-epoch': return `it names epoch ${problem.epoch}, the next epoch is ${problem.expected}`
    case 'reconfiguration-expired': return `it is in a block at height ${problem.height}, after it expired at height ${problem.expires}`
    case 'reconfiguration-not-approved': return `its approvals are not a quorum of the current set: ${describeCertificateProblem(problem.problem)}`
  }
}

/** Whether an entry would be an effective reconfiguration of `epoch` if nothing before it
 * in the epoch was and it had not expired: what a replica that cannot yet switch sets
 * refuses (docs/protocol.md). */
export function wouldReconfigure(entry: Pick<Entry, 'payload'>, chainId: string, epoch: Epoch, scheme: SignatureScheme = ED25519): boolean {
  const read = readReconfigurationPayload(entry)
  return read.type === 'reconfiguration' && checkReconfiguration(read.reconfiguration, chainId, epoch, null, scheme) === null
}

// ---------------------------------------------------------------------------------
// Boundary certificates (section 15.3)
// ---------------------------------------------------------------------------------

/** Why `links` are not the suffix of the reconfiguration block `header` (hash `hash`, of
 * epoch `epoch`), or null: empty blocks of that epoch stating its log, each the child of
 * the one before, the first the reconfiguration block's child. */
export function suffixLinksProblem(links: readonly BlockHeader[], hash: Uint8Array, header: BlockHeader, epoch: number): string | null {
  let parent = { height: header.height, hash }
  for (const [i, link] of links.entries()) {
    if (link.height !== parent.height + 1 || !bytesEqual(link.parent, parent.hash)) return `link ${i} is not the child of the block before it`
    if ((link.epoch ?? 0) !== epoch || link.entryCount !== 0) return `link ${i} is not an empty block of epoch ${epoch}`
    if (link.logSize !== header.logSize || !bytesEqual(link.logRoot, header.logRoot)) return `link ${i} states another log than the reconfiguration block's`
    parent = { height: link.height, hash: blockHash(link) }
  }
  return null
}

/** Why `cc` with `links` is not a boundary certificate's shape for the reconfiguration
 * block `header` (hash `hash`), or null: the links are its suffix (suffixLinksProblem)
 * and the CC is for the last of them (the block itself without links) and states its log.
 * The CC's signatures are the caller's to check, against the set of `header`'s epoch. */
export function boundaryShapeProblem(cc: CommitCertificate, links: readonly BlockHeader[], hash: Uint8Array, header: BlockHeader): string | null {
  const linked = suffixLinksProblem(links, hash, header, header.epoch ?? 0)
  if (linked !== null) return linked
  const last = links.length === 0 ? { height: header.height, hash } : { height: links[links.length - 1]!.height, hash: blockHash(links[links.length - 1]!) }
  if (cc.height !== last.height || !bytesEqual(cc.block, last.hash)) return `the certificate is for height ${cc.height}, not for the last link's ${last.height}`
  if (cc.logSize !== header.logSize || !bytesEqual(cc.logRoot, header.logRoot)) return 'the certificate states another log than the reconfiguration block\'s'
  return null
}
