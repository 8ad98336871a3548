// Sealed decisions and their erasure (docs/formats.md section 14, docs/sdk.md "Sealed
// decisions"): commitSealed() seals the payload, commits the commitments and uploads
// the sidecar to every node; getSealed() verifies the entry's receipt, fetches the
// sidecar from any node that has it and opens it, checking blob and key against the
// entry (a node can withhold a sidecar, never change one unnoticed); erase() commits the
// erase entry, after which every honest node deletes the sidecar. Browser-safe.
import { validatorSetOf } from '../src/log/genesis.ts'
import { fromHex, toHex } from '../src/crypto/hash.ts'
import { judgeErase } from '../src/sealed/erasure.ts'
import { erasePayloadText, readSealedPayload, type SealSpec } from '../src/sealed/payload.ts'
import type { Committer } from './commit.ts'
import {
  ConfigurationError, InvalidEntryError, InvalidProofError, NodeResponseError, NodeUnreachableError, SealedOpenError, SealedUnavailableError,
  type NodeError,
} from './errors.ts'
import type { AgentIdentity } from './identity.ts'
import { SDK_LIMITS } from './limits.ts'
import type { NodeApi } from './node-api.ts'
import { Attempt } from './node-pool.ts'
import type { CommitOptions, ReadOptions } from './options.ts'
import { getDecision, type ReadDependencies } from './read.ts'
import { payloadTextOf } from './records.ts'
import { keyMatches, openSealed, sealPayloadText } from './sealing.ts'
import type { CommittedDecision } from './types.ts'
import { anySignal, isAbortOf, sleep } from './util.ts'

export interface SealOptions extends CommitOptions {
  /** The key to seal under (32 bytes, or 64 hex characters), e.g. one key per data
   * subject; default: a fresh random key for this entry. */
  readonly key?: Uint8Array | string
  /** Deposit the key with the nodes, beside the blob: readers without the key can then
   * read the payload until it is erased (so it is hidden from nobody who can ask a node;
   * what it gains is erasability). Default false: only holders of the key can read. */
  readonly depositKey?: boolean
}

export interface SealedCommit {
  /** The committed entry as signed (its payload holds the commitments only), with the
   * receipt the client verified. */
  readonly decision: CommittedDecision
  /** The sealing key, hex. Keep it to read the payload (unless deposited); hand it to
   * the readers who may read it. */
  readonly key: string
  /** The sealed blob: upload it again with uploadSealed() if no node took it. */
  readonly blob: Uint8Array
  /** The nodes that keep the sidecar now. */
  readonly storedOn: readonly string[]
  /** What the other nodes answered. */
  readonly errors: readonly NodeError[]
}

export interface OpenedDecision {
  /** The committed sealed entry, with its verified receipt. */
  readonly decision: CommittedDecision
  /** The plaintext payload, a payload JSON text, checked against the entry's commitments. */
  readonly payloadText: string
  /** It parsed, validated by the namespace's schema when there is one (else payloadError). */
  readonly payload: unknown
  readonly payloadError: string | null
  /** The node that served the sidecar. */
  readonly servedBy: string
}

export interface ErasedDecision {
  /** The erase entry, committed, with its verified receipt. */
  readonly erase: CommittedDecision
  /** The sealed entry it erases (still in the log, with its receipt). */
  readonly sealed: CommittedDecision
}

export interface SealedDependencies {
  readonly reads: ReadDependencies
  readonly committer: Committer
  readonly identity: AgentIdentity | null
}

function keyBytes(key: Uint8Array | string | undefined): Uint8Array | undefined {
  if (key === undefined || key instanceof Uint8Array) return key
  if (typeof key !== 'string' || !/^[0-9a-f]{64}$/.test(key)) throw new InvalidEntryError('a sealing key is 32 bytes, or 64 lower-case hex characters')
  return fromHex(key)
}

function sealedSpecOf(decision: CommittedDecision): SealSpec {
  const read = readSealedPayload(decision.entry)
  if (read.type !== 'sealed') throw new InvalidEntryError(`entry ${decision.id} is not a sealed entry (docs/formats.md section 14)`)
  return read.spec
}

/** Answers a node gives while it has not committed the entry yet: ask it again. */
function notYet(err: unknown): boolean {
  return err instanceof NodeResponseError && (err.code === 'entry-not-committed' || err.code === 'unknown-entry' || err.transient)
}

/** See SynodClient.commitSealed. */
export async function commitSealed(deps: SealedDependencies, namespace: string, payload: unknown, options: SealOptions): Promise<SealedCommit> {
  if (deps.identity === null) throw new ConfigurationError('commitSealed() needs an identity (SynodClientOptions.identity)')
  const plaintext = payloadTextOf(deps.reads.schemas, namespace, payload)
  const sealed = await sealPayloadText(plaintext, keyBytes(options.key))
  const decision = await deps.committer.commitText(deps.identity, namespace, sealed.payload, options)
  const uploaded = await uploadSealed(deps, decision.id, sealed.blob, options.depositKey === true ? sealed.key : null, options)
  return { decision, key: toHex(sealed.key), blob: sealed.blob, ...uploaded }
}

/** See SynodClient.uploadSealed: to every node, each asked again (bounded) while it
 * has not committed the entry yet. */
export async function uploadSealed(deps: SealedDependencies, id: string, blob: Uint8Array, key: Uint8Array | null, options: ReadOptions & { timeoutMs?: number }): Promise<{ storedOn: string[], errors: NodeError[] }> {
  const { pool } = deps.reads
  const deadline = anySignal([options.signal], options.timeoutMs ?? pool.settings.commitTimeoutMs)
  const storedOn: string[] = []
  const attempt = new Attempt()
  await Promise.all(pool.nodes.map(async (node) => {
    let unreachable = 0
    for (let round = 0; round < SDK_LIMITS.sidecarUploadTriesMax; round++) {
      try {
        await node.putSidecar(id, blob, key, deadline)
        storedOn.push(node.url)
        return
      } catch (err) {
        if (isAbortOf(err, options.signal)) throw err
        if (deadline.aborted) return
        pool.noteError(attempt, err, options.signal)
        // A node that lags is asked again; one that does not answer, once more only (a
        // node that is down would hold the whole upload to the deadline).
        if (err instanceof NodeUnreachableError) unreachable += 1
        if (!(notYet(err) || (err instanceof NodeUnreachableError && unreachable < SDK_LIMITS.sidecarUnreachableTriesMax))) return
        try {
          await sleep(Math.max(pool.backoffMs(round), SDK_LIMITS.sidecarRetryMinMs), deadline)
        } catch {
          return
        }
      }
    }
  }))
  const stored = new Set(storedOn)
  return { storedOn: pool.nodes.map((n) => n.url).filter((u) => stored.has(u)), errors: attempt.list().filter((e) => !stored.has(e.node)) }
}

/** Whether the node's word that `id` is erased holds: the erase entry it names has a
 * verified receipt and erases `sealed` under the rule (src/sealed/erasure.ts) as far as
 * the genesis decides it. On a chain with namespace governance the rule also reads the
 * policies in force (an admin may erase, a policy's writers may, retention does), which
 * a client does not replay: there the word of f+1 nodes decides (getSealed). */
async function erasureHolds(deps: SealedDependencies, sealed: CommittedDecision, eraseId: string, options: ReadOptions): Promise<boolean> {
  try {
    const erase = await getDecision(deps.reads, eraseId, { signal: options.signal })
    const read = readSealedPayload(erase.entry)
    if (read.type !== 'erase' || toHex(read.target) !== sealed.id || erase.index <= sealed.index) return false
    return judgeErase(erase.entry, { entry: sealed.entry, erased: false }, deps.reads.pool.genesis.policy, null) === null
  } catch (err) {
    if (isAbortOf(err, options.signal)) throw err
    return false
  }
}

/** See SynodClient.getSealed. */
export async function getSealed(deps: SealedDependencies, id: string, options: ReadOptions & { key?: Uint8Array | string }): Promise<OpenedDecision> {
  const decision = await getDecision(deps.reads, id, { signal: options.signal })
  const spec = sealedSpecOf(decision)
  const given = keyBytes(options.key)
  if (given !== undefined && !keyMatches(spec, given)) throw new SealedOpenError('key-commitment', `the key given is not the one sealed entry ${id} commits to`)
  const { pool } = deps.reads
  const attempt = new Attempt()
  const erasures = new Set<string>()
  /** Nodes that answered 'erased' (by an erase or by retention). */
  let erasedAnswers = 0
  let expiredAt: number | null = null
  let blobWithoutKey = false
  for (const node of pool.ordered()) {
    const got = await askSidecar(node, id, attempt, deps, options.signal)
    if (got === null) continue
    if (got.status === 'erased') {
      erasedAnswers += 1
      if (got.erase !== null) erasures.add(got.erase)
      if (got.expiredAt !== null) expiredAt = got.expiredAt
      continue
    }
    const key = given ?? got.key
    if (key === null) {
      blobWithoutKey = true
      continue
    }
    let payloadText: string
    try {
      payloadText = await openSealed(spec, { blob: got.blob, key })
    } catch (err) {
      if (!(err instanceof SealedOpenError)) throw err
      // The entry's commitments say what the blob and key are: this node served others.
      pool.fault(attempt, new InvalidProofError(node.url, `sidecar-${err.code}`, err.message))
      continue
    }
    let payload: unknown = JSON.parse(payloadText)
    let payloadError: string | null = null
    const schema = deps.reads.schemas?.[decision.namespace]
    if (schema !== undefined) {
      const parsed = schema.safeParse(payload)
      if (parsed.success) payload = parsed.data
      else payloadError = parsed.error.message
    }
    return { decision, payloadText, payload, payloadError, servedBy: node.url }
  }
  for (const eraseId of erasures) {
    if (await erasureHolds(deps, decision, eraseId, options)) throw new SealedUnavailableError(id, 'erased', eraseId, attempt.list())
  }
  // f+1 nodes saying so include an honest one: the log erased it (by an erase the
  // governance allowed, or by retention), whatever a client can check itself.
  if (erasedAnswers >= validatorSetOf(pool.genesis).f + 1) {
    throw new SealedUnavailableError(id, 'erased', erasures.size === 1 ? [...erasures][0]! : null, attempt.list(), expiredAt)
  }
  throw new SealedUnavailableError(id, blobWithoutKey ? 'no-key' : 'unavailable', null, attempt.list())
}

async function askSidecar(node: NodeApi, id: string, attempt: Attempt, deps: SealedDependencies, signal: AbortSignal | undefined): Promise<Awaited<ReturnType<NodeApi['sidecar']>> | null> {
  try {
    return await node.sidecar(id, anySignal([signal], deps.reads.pool.settings.requestTimeoutMs))
  } catch (err) {
    deps.reads.pool.noteError(attempt, err, signal)
    return null
  }
}

/** See SynodClient.erase. */
export async function eraseSealed(deps: SealedDependencies, id: string, options: CommitOptions & { reason?: string }): Promise<ErasedDecision> {
  const identity = deps.identity
  if (identity === null) throw new ConfigurationError('erase() needs an identity (SynodClientOptions.identity)')
  const sealed = await getDecision(deps.reads, id, { signal: options.signal })
  sealedSpecOf(sealed)
  const policy = deps.reads.pool.genesis.policy
  // The rule judged before signing, on a stand-in with this client's key and the sealed
  // entry's namespace (all the rule reads of the erase itself), so a refused erase is
  // never committed.
  const standIn = { ...sealed.entry, agent: identity.publicKey, payload: erasePayloadText(options.reason), refs: [fromHex(id)] }
  const problem = judgeErase(standIn, { entry: sealed.entry, erased: false }, policy, null)
  // With governance on, an admin of the namespace or a writer its policy names may erase
  // too: the policies in force are the validators' to judge (rule 3), not refused here.
  const governed = deps.reads.pool.genesis.governance !== undefined
  if (problem !== null && !(governed && problem === 'erase-not-allowed')) {
    throw new InvalidEntryError(`this agent cannot erase ${id}: ${problem} (only its author, any writer of a closed namespace, or an admin of the namespace)`)
  }
  const { refs: _refs, ...rest } = options
  const erase = await deps.committer.commitText(identity, sealed.namespace, erasePayloadText(options.reason), { ...rest, refs: [id] })
  return { erase, sealed }
}
