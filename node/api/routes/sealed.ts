// Sidecars of sealed entries (docs/api.md "Sealed entries", docs/formats.md section 14):
// PUT /v1/sealed/:id keeps the sealed blob (and, if the writer deposits it, the key) of
// a committed sealed entry, after checking both against the commitments in the entry;
// GET /v1/sealed/:id serves what this node holds, or says it is erased or missing. The
// sidecar is never part of an entry, block or leaf, so nothing here touches the log.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { fromBase64, toBase64 } from '../../../src/codec/base64.ts'
import { fromHex, toHex } from '../../../src/crypto/hash.ts'
import type { Hash } from '../../../src/log/entry.ts'
import { readSealedPayload, SEALED_KEY_BYTES, type SealSpec } from '../../../src/sealed/payload.ts'
import { checkSidecar, SEALED_OVERHEAD_BYTES, type Sidecar, type SidecarLookup } from '../../../src/sealed/sidecar.ts'
import { LIMITS } from '../../../src/limits.ts'
import type { NodeBackend, SidecarSource } from '../backend.ts'
import type { BackendCall } from '../backend-call.ts'
import { ApiError } from '../errors.ts'
import { onlyKnown, requiredHash } from '../params.ts'
import { errorBody } from '../replies.ts'

export interface SealedRouteDependencies {
  readonly backend: NodeBackend
  readonly call: BackendCall
}

/** The longest blob text: base64 of the largest blob. Checked before decoding. */
const BLOB_CHARS_MAX = Math.ceil((LIMITS.sealedPlaintextBytesMax + SEALED_OVERHEAD_BYTES) / 3) * 4
const KEY_HEX = /^[0-9a-f]{64}$/
/** A pending sealed entry usually commits within a block or two: ask again then. */
const PENDING_RETRY_MS = 1000

function sidecarsOf(backend: NodeBackend): SidecarSource {
  if (backend.sidecars === undefined) throw new ApiError(404, 'no-sidecars', 'this node keeps no sidecars of sealed entries')
  return backend.sidecars
}

/** The upload body, checked field by field: { blob: base64, key: 64 hex or null }. */
export function parseSidecarBody(body: unknown): Sidecar {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new ApiError(400, 'malformed-sidecar', 'the body must be a JSON object { blob, key }')
  for (const name of Object.keys(body)) {
    if (name !== 'blob' && name !== 'key') throw new ApiError(400, 'malformed-sidecar', `unknown member ${JSON.stringify(name.slice(0, 40))} (allowed: blob, key)`)
  }
  const blobText = Object.hasOwn(body, 'blob') ? (body as { blob: unknown }).blob : undefined
  const keyText = Object.hasOwn(body, 'key') ? (body as { key: unknown }).key : null
  if (typeof blobText !== 'string') throw new ApiError(400, 'malformed-sidecar', '"blob" must be the sealed blob in padded base64')
  if (blobText.length > BLOB_CHARS_MAX) throw new ApiError(413, 'sidecar-too-large', `"blob" has ${blobText.length} base64 characters; the largest blob (${LIMITS.sealedPlaintextBytesMax} sealed bytes) has ${BLOB_CHARS_MAX}`)
  let blob: Uint8Array
  try {
    blob = fromBase64(blobText)
  } catch (err) {
    throw new ApiError(400, 'malformed-sidecar', `"blob" is not canonical padded base64: ${(err as Error).message}`)
  }
  if (keyText !== null && (typeof keyText !== 'string' || !KEY_HEX.test(keyText))) {
    throw new ApiError(400, 'malformed-sidecar', `"key" must be null or ${2 * SEALED_KEY_BYTES} lower-case hex characters`)
  }
  return { blob, key: keyText === null ? null : fromHex(keyText) }
}

/** The committed sealed entry's commitments, or the API error that says why there are none. */
async function sealedSpec(backend: NodeBackend, id: Hash, request: FastifyRequest, call: BackendCall): Promise<SealSpec> {
  const found = await call(request, (signal) => backend.getEntry(id, signal))
  if (found === null) throw new ApiError(404, 'unknown-entry', `entry ${toHex(id)} is not known to this node`)
  if (found.status === 'pending') throw new ApiError(409, 'entry-not-committed', `entry ${toHex(id)} is not committed yet: upload its sidecar once it is`, PENDING_RETRY_MS)
  if (found.status === 'superseded') throw new ApiError(409, 'entry-superseded', `entry ${toHex(id)} can never commit (a later seq of its agent did)`)
  const read = readSealedPayload(found.entry)
  if (read.type !== 'sealed') throw new ApiError(409, 'not-sealed', `entry ${toHex(id)} is not a sealed entry (docs/formats.md section 14)`)
  return read.spec
}

function erasedReply(reply: FastifyReply, id: Hash, held: SidecarLookup | null): FastifyReply {
  const erase = held?.status === 'erased' ? held.erase : null
  const expiredAt = held?.status === 'erased' ? held.expiredAt : null
  const by = erase !== null ? ` by the committed erase ${toHex(erase)}` : expiredAt !== null ? ` by its namespace's retention at height ${expiredAt}` : ''
  const message = `sealed entry ${toHex(id)} is erased${by}: its sidecar is deleted and never kept again`
  return reply.code(410).send(errorBody('erased', message, erase !== null ? { erase: toHex(erase) } : expiredAt !== null ? { expiredAt } : {}))
}

export function registerSealedRoutes(app: FastifyInstance, deps: SealedRouteDependencies): void {
  const { backend, call } = deps

  app.put('/v1/sealed/:id', async (request, reply) => {
    onlyKnown(request.query, [])
    const id = requiredHash((request.params as { id?: unknown }).id, 'id')
    const sidecars = sidecarsOf(backend)
    const sidecar = parseSidecarBody(request.body)
    const spec = await sealedSpec(backend, id, request, call)
    const problem = checkSidecar(spec, sidecar)
    if (problem !== null) throw new ApiError(422, `sidecar-${problem.code}`, problem.reason)
    const result = await call(request, (signal) => sidecars.put(id, sidecar, signal))
    if (result === 'erased') {
      const held = await call(request, (signal) => sidecars.get(id, signal))
      return erasedReply(reply, id, held)
    }
    return reply.code(result === 'stored' ? 201 : 200).send({ id: toHex(id), status: result })
  })

  app.get('/v1/sealed/:id', async (request, reply) => {
    onlyKnown(request.query, [])
    const id = requiredHash((request.params as { id?: unknown }).id, 'id')
    const sidecars = sidecarsOf(backend)
    const held = await call(request, (signal) => sidecars.get(id, signal))
    if (held.status === 'erased') return erasedReply(reply, id, held)
    if (held.status === 'stored') {
      return { id: toHex(id), blob: toBase64(held.sidecar.blob), key: held.sidecar.key === null ? null : toHex(held.sidecar.key) }
    }
    // Missing: say whether the entry is not sealed, not known, or sealed without a sidecar here.
    await sealedSpec(backend, id, request, call)
    throw new ApiError(404, 'sidecar-missing', `this node holds no sidecar of sealed entry ${toHex(id)}: ask another node, or its writer`)
  })
}
