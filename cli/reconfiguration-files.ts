// The files of a validator-set change (docs/formats.md section 15.2, docs/operations.md
// "Changing the validator set"): the statement the current validators approve, one
// approval per validator, and each validator's approval record, which keeps the one rule
// that makes a set change unique per epoch (docs/protocol.md, "The reconfiguration entry
// and who authorises it"): an honest validator has at most one unexpired approval per
// target epoch. Pure: reading, checking and assembling; the command does the I/O.
import { sha256, toHex, fromHex } from '../src/crypto/hash.ts'
import { verifySignature } from '../src/crypto/ed25519.ts'
import { genesisEpoch, nextEpoch, checkReconfiguration, describeReconfigurationProblem, readReconfigurationPayload, reconfigurationPayloadText, reconfigurationSigningMessage, setHashOf, type Epoch, type Reconfiguration, type ReconfigurationStatement } from '../src/log/epochs.ts'
import { genesisHash, type Genesis } from '../src/log/genesis.ts'
import { bitmapOf } from '../src/log/signer-bitmap.ts'
import type { ValidatorInfo } from '../src/log/validator-set.ts'

export const STATEMENT_FORMAT = 'synod-reconfiguration/v1'
export const APPROVAL_FORMAT = 'synod-reconfiguration-approval/v1'
export const RECORD_FORMAT = 'synod-approval-record/v1'

export class ReconfigurationFileError extends Error {
  override readonly name = 'ReconfigurationFileError'
}

/** A statement file: what the validators of epoch `epoch - 1` approve, with that set
 * itself (`current`), so each approver sees whom it hands the chain to and from whom. */
export interface StatementFile {
  readonly chainId: string
  /** The genesis hash, hex: the chain the statement is for. */
  readonly genesis: string
  readonly epoch: number
  readonly expires: number
  /** The validators of epoch `epoch - 1` (the approvers), and of epoch `epoch`. */
  readonly current: readonly ValidatorInfo[]
  readonly validators: readonly ValidatorInfo[]
}

export interface ApprovalFile {
  readonly chainId: string
  readonly epoch: number
  /** H(signing message), hex: which statement this approves. */
  readonly statement: string
  readonly publicKey: string
  readonly signature: string
}

export interface ApprovalRecord {
  readonly approvals: readonly { readonly chainId: string, readonly epoch: number, readonly expires: number, readonly statement: string }[]
}

const HEX64 = /^[0-9a-f]{64}$/
const HEX128 = /^[0-9a-f]{128}$/

function isObject(v: unknown): v is { readonly [key: string]: unknown } {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function own(o: { readonly [key: string]: unknown }, name: string): unknown {
  return Object.hasOwn(o, name) ? o[name] : undefined
}

function validatorsJson(validators: readonly ValidatorInfo[]): unknown[] {
  return validators.map((v) => ({ name: v.name, publicKey: toHex(v.publicKey), addresses: [...v.addresses] }))
}

/** Reads a validator list with the core's own reader (the rules a reconfiguration entry
 * obeys: 4 to the limit, distinct keys, names and addresses bounded). */
function readValidators(value: unknown, what: string): ValidatorInfo[] {
  const read = readReconfigurationPayload({ payload: JSON.stringify({ synod: 'reconfigure', epoch: 1, expires: 1, validators: value, signers: '', sigs: [] }) })
  if (read.type !== 'reconfiguration') throw new ReconfigurationFileError(`${what}: ${read.type === 'malformed' ? read.problem : 'not a validator list'}`)
  return [...read.reconfiguration.validators]
}

/** The epoch the statement's approvers are in: the genesis set for epoch 1, else the set
 * the statement names as current (checked against the previous statement by the caller). */
export function currentEpochOf(statement: StatementFile, genesis: Genesis): Epoch {
  if (statement.epoch === 1) return genesisEpoch(genesis)
  // The first height is not part of what is approved; the set and its hash are.
  return nextEpoch({ epoch: statement.epoch - 1, expires: 1, validators: statement.current, approvals: { signers: new Uint8Array(0), sigs: [] } }, 1)
}

export function statementOf(file: StatementFile): ReconfigurationStatement {
  return { epoch: file.epoch, expires: file.expires, previous: setHashOf(file.current), validators: file.validators }
}

/** H(signing message): names a statement in approvals and records. */
export function statementHash(file: StatementFile): string {
  return toHex(sha256(reconfigurationSigningMessage(file.chainId, statementOf(file))))
}

/** A new statement; for epoch 1 `current` must be the genesis set (checked). */
export function makeStatement(genesis: Genesis, epoch: number, expires: number, current: readonly ValidatorInfo[], validators: unknown): StatementFile {
  if (!Number.isSafeInteger(epoch) || epoch < 1) throw new ReconfigurationFileError(`the target epoch must be an integer of at least 1, got ${epoch}`)
  if (!Number.isSafeInteger(expires) || expires < 1) throw new ReconfigurationFileError(`the expiry must be a block height of at least 1, got ${expires}`)
  if (epoch === 1 && toHex(setHashOf(current)) !== toHex(setHashOf(genesis.validators))) throw new ReconfigurationFileError('epoch 1 follows the genesis set: the current validators must be the genesis validators')
  const next = readValidators(validators, 'the new validators')
  if (toHex(setHashOf(next)) === toHex(setHashOf(current))) throw new ReconfigurationFileError('the new set is the current set: nothing would change')
  return { chainId: genesis.chainId, genesis: toHex(genesisHash(genesis)), epoch, expires, current: [...current], validators: next }
}

export function statementToJson(s: StatementFile): unknown {
  return { format: STATEMENT_FORMAT, chainId: s.chainId, genesis: s.genesis, epoch: s.epoch, expires: s.expires, current: validatorsJson(s.current), validators: validatorsJson(s.validators) }
}

export function statementFromJson(json: unknown, genesis: Genesis, where: string): StatementFile {
  if (!isObject(json) || own(json, 'format') !== STATEMENT_FORMAT) throw new ReconfigurationFileError(`${where}: not a ${STATEMENT_FORMAT} statement file`)
  for (const name of Object.keys(json)) {
    if (!['format', 'chainId', 'genesis', 'epoch', 'expires', 'current', 'validators'].includes(name)) throw new ReconfigurationFileError(`${where}: unknown member '${name.slice(0, 40)}'`)
  }
  if (own(json, 'chainId') !== genesis.chainId || own(json, 'genesis') !== toHex(genesisHash(genesis))) throw new ReconfigurationFileError(`${where}: the statement is for another chain than genesis '${genesis.chainId}'`)
  const current = readValidators(own(json, 'current'), `${where}: current`)
  const epoch = own(json, 'epoch')
  const expires = own(json, 'expires')
  if (typeof epoch !== 'number' || typeof expires !== 'number') throw new ReconfigurationFileError(`${where}: epoch and expires must be numbers`)
  try {
    return makeStatement(genesis, epoch, expires, current, own(json, 'validators'))
  } catch (err) {
    throw new ReconfigurationFileError(`${where}: ${(err as Error).message}`)
  }
}

/** The statement's approvers: the index of `publicKey` in the current set, or throws. */
export function approverIndex(statement: StatementFile, publicKey: Uint8Array): number {
  const hex = toHex(publicKey)
  const index = statement.current.findIndex((v) => toHex(v.publicKey) === hex)
  if (index === -1) throw new ReconfigurationFileError(`key ${hex.slice(0, 16)}... is not a validator of epoch ${statement.epoch - 1}: it cannot approve this statement`)
  return index
}

/**
 * Whether the record lets this validator approve `statement` now, given the height its
 * own committed chain is at (null: unknown). The one-approval rule: another statement for
 * the same epoch of the same chain blocks it until the committed chain is past that
 * statement's expiry (then the other can no longer take effect). Approving the same
 * statement again is allowed (the same signature comes out). Returns null, or why not.
 */
export function approvalBlocked(record: ApprovalRecord, statement: StatementFile, committedHeight: number | null): string | null {
  const hash = statementHash(statement)
  for (const a of record.approvals) {
    if (a.chainId !== statement.chainId || a.epoch !== statement.epoch || a.statement === hash) continue
    if (committedHeight !== null && committedHeight > a.expires) continue
    return `this validator already approved another set for epoch ${a.epoch} (statement ${a.statement.slice(0, 16)}..., expiring at height ${a.expires}); `
      + (committedHeight === null ? 'give --node URL (your validator\'s API) so the committed height can show that approval has expired' : `the committed chain is at height ${committedHeight}, not past ${a.expires}`)
  }
  return null
}

export function recordWith(record: ApprovalRecord, statement: StatementFile): ApprovalRecord {
  const hash = statementHash(statement)
  if (record.approvals.some((a) => a.chainId === statement.chainId && a.statement === hash)) return record
  return { approvals: [...record.approvals, { chainId: statement.chainId, epoch: statement.epoch, expires: statement.expires, statement: hash }] }
}

export function recordToJson(r: ApprovalRecord): unknown {
  return { format: RECORD_FORMAT, approvals: r.approvals.map((a) => ({ ...a })) }
}

export function recordFromJson(json: unknown, where: string): ApprovalRecord {
  if (!isObject(json) || own(json, 'format') !== RECORD_FORMAT || !Array.isArray(own(json, 'approvals'))) throw new ReconfigurationFileError(`${where}: not a ${RECORD_FORMAT} file`)
  const approvals = (own(json, 'approvals') as unknown[]).map((a, i) => {
    if (!isObject(a)) throw new ReconfigurationFileError(`${where}: approvals[${i}] is not an object`)
    const [chainId, epoch, expires, statement] = [own(a, 'chainId'), own(a, 'epoch'), own(a, 'expires'), own(a, 'statement')]
    if (typeof chainId !== 'string' || !Number.isSafeInteger(epoch) || !Number.isSafeInteger(expires) || typeof statement !== 'string' || !HEX64.test(statement)) {
      throw new ReconfigurationFileError(`${where}: approvals[${i}] is not {chainId, epoch, expires, statement}`)
    }
    return { chainId, epoch: epoch as number, expires: expires as number, statement }
  })
  return { approvals }
}

export function approvalToJson(a: ApprovalFile): unknown {
  return { format: APPROVAL_FORMAT, ...a }
}

/** Reads an approval and checks its signature over the statement. */
export function approvalFromJson(json: unknown, statement: StatementFile, where: string): ApprovalFile & { readonly index: number } {
  if (!isObject(json) || own(json, 'format') !== APPROVAL_FORMAT) throw new ReconfigurationFileError(`${where}: not a ${APPROVAL_FORMAT} file`)
  const [chainId, epoch, hash, publicKey, signature] = [own(json, 'chainId'), own(json, 'epoch'), own(json, 'statement'), own(json, 'publicKey'), own(json, 'signature')]
  if (typeof publicKey !== 'string' || !HEX64.test(publicKey) || typeof signature !== 'string' || !HEX128.test(signature)) throw new ReconfigurationFileError(`${where}: publicKey (64 hex) and signature (128 hex) are required`)
  if (chainId !== statement.chainId || epoch !== statement.epoch || hash !== statementHash(statement)) throw new ReconfigurationFileError(`${where}: it approves another statement`)
  const index = approverIndex(statement, fromHex(publicKey))
  if (!verifySignature(fromHex(publicKey), reconfigurationSigningMessage(statement.chainId, statementOf(statement)), fromHex(signature))) {
    throw new ReconfigurationFileError(`${where}: the signature of ${publicKey.slice(0, 16)}... does not verify over the statement`)
  }
  return { chainId, epoch, statement: hash, publicKey, signature, index }
}

/** The reconfiguration entry's payload from the statement and a quorum of approvals of
 * the current set, checked as the validators will check it (expiry aside: the height of
 * the block is not known yet). */
export function assemble(statement: StatementFile, approvals: readonly (ApprovalFile & { readonly index: number })[], genesis: Genesis): { reconfiguration: Reconfiguration, payload: string } {
  const byIndex = new Map<number, ApprovalFile>()
  for (const a of approvals) byIndex.set(a.index, a)
  const signers = [...byIndex.keys()].sort((a, b) => a - b)
  const reconfiguration: Reconfiguration = {
    epoch: statement.epoch, expires: statement.expires, validators: statement.validators,
    approvals: { signers: bitmapOf(signers, statement.current.length), sigs: signers.map((i) => fromHex(byIndex.get(i)!.signature)) },
  }
  const problem = checkReconfiguration(reconfiguration, statement.chainId, currentEpochOf(statement, genesis), null)
  if (problem !== null) throw new ReconfigurationFileError(`not yet a reconfiguration the validators accept (${signers.length} of ${statement.current.length} approvals): ${describeReconfigurationProblem(problem)}`)
  return { reconfiguration, payload: reconfigurationPayloadText(reconfiguration) }
}
