// The C2SP transparency-log routes (docs/api.md "Transparency logs", docs/formats.md
// section 11), at the root of the node's URL, which is the log's tlog-tiles prefix:
//   GET  /checkpoint                  newest commit certificate as a signed checkpoint note
//   GET  /tile/<L>/<N>[.p/<W>]        hash tiles;  GET /tile/entries/<N>[.p/<W>]  entry bundles
//   GET  /witness/add-checkpoint?old= the body to POST to a witness's add-checkpoint
//   POST /witness/cosignatures        a cosigned checkpoint note back from a witness
//   GET  /witness/cosigned[?size=]    the newest (or that size's) cosigned checkpoint note
// Everything served is checked against the newest commit certificate first: a tile or a
// bundle is served only when every hash in it is of a certified tree, so a mirror that
// caches them forever caches only what validators signed.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { CodecError } from '../../../src/codec/errors.ts'
import type { CommitCertificate } from '../../../src/log/certificates.ts'
import { checkpointNoteOfCc, commitDataOfCheckpoint, commitNoteText, validatorNoteVerifiers } from '../../../src/log/checkpoint-note.ts'
import { cosignatureTimestamp, formatAddCheckpoint } from '../../../src/log/cosignature.ts'
import { validatorSetOf } from '../../../src/log/genesis.ts'
import { LIMITS } from '../../../src/limits.ts'
import { formatSignatureLine, openNote, parseNote, type NoteSignature, type NoteVerifier } from '../../../src/log/note.ts'
import { encodeEntryBundle, encodeTile, parseTilePath, TILE_HEIGHT, TILE_WIDTH, BUNDLE_ENTRY_BYTES_MAX } from '../../../src/log/tiles.ts'
import type { NodeBackend, TransparencySource } from '../backend.ts'
import { ApiError } from '../errors.ts'
import { onlyKnown, optionalUint, requiredUint } from '../params.ts'
import { CosignatureStore } from './cosignature-store.ts'

export interface TransparencyRouteDependencies {
  readonly backend: NodeBackend
  /** The server's backend call with a deadline (server.ts). */
  readonly call: <T>(request: FastifyRequest, run: (signal: AbortSignal) => Promise<T>, timeoutMs?: number) => Promise<T>
}

/** Cosignatures dated this far ahead of the node's clock are refused (tlog-cosignature:
 * verifiers MAY reject future timestamps); clocks of honest witnesses are not that far off. */
const COSIGNATURE_FUTURE_SECONDS_MAX = 600
const TEXT = 'text/plain; charset=utf-8'
const IMMUTABLE = 'public, max-age=31536000, immutable'
const MUTABLE = 'no-cache, max-age=0'

export function registerTransparencyRoutes(app: FastifyInstance, deps: TransparencyRouteDependencies): void {
  const { backend, call } = deps
  const cosignatures = new CosignatureStore()
  let context: { source: TransparencySource, verifiers: NoteVerifier[], quorum: number } | null = null
  const source = (): NonNullable<typeof context> => {
    const s = backend.transparency
    if (s === undefined) throw new ApiError(404, 'not-served', 'this node does not serve the transparency-log routes')
    if (context === null || context.source !== s) {
      const set = validatorSetOf(s.genesis)
      context = { source: s, verifiers: validatorNoteVerifiers(s.genesis.chainId, set), quorum: set.quorum }
    }
    return context
  }
  const latest = async (request: FastifyRequest): Promise<CommitCertificate> => {
    const cc = await call(request, (signal) => backend.latestCheckpoint(signal))
    if (cc === null) throw new ApiError(404, 'no-checkpoint', 'no block has been certified yet')
    return cc
  }

  app.get('/checkpoint', async (request, reply) => {
    onlyKnown(request.query, [])
    const { source: s } = source()
    const cc = await latest(request)
    const note = checkpointNoteOfCc(s.genesis.chainId, validatorSetOf(s.genesis), cc)
    const kept = cosignatures.of(commitNoteText(s.genesis.chainId, cc))
    return text(reply, note + (kept?.cosignatures.map(formatSignatureLine).join('') ?? ''), MUTABLE)
  })

  app.get('/tile/*', async (request, reply) => {
    onlyKnown(request.query, [])
    const { source: s } = source()
    let address
    try {
      address = parseTilePath((request.params as { '*': string })['*'])
    } catch (err) {
      throw new ApiError(404, 'no-such-tile', `not a tile path: ${(err as Error).message}`)
    }
    const { level, index, width } = address
    const cc = await latest(request)
    const treeLevel = level === 'entries' ? 0 : TILE_HEIGHT * level
    // Every hash of the tile is a subtree of the certified tree: (index*256 + width) * 2^treeLevel <= size.
    if ((index * TILE_WIDTH + width) * 2 ** treeLevel > cc.logSize) {
      throw new ApiError(404, 'no-such-tile', `tile ${level}/${index} of width ${width} is not in the certified tree of ${cc.logSize} entries`)
    }
    if (level === 'entries') {
      const entries = await call(request, (signal) => s.entryEncodings(index * TILE_WIDTH, width, signal))
      const large = entries.findIndex((e) => e.length > BUNDLE_ENTRY_BYTES_MAX)
      if (large >= 0) {
        throw new ApiError(422, 'entry-too-large-for-bundle', `entry ${index * TILE_WIDTH + large} is ${entries[large]!.length} bytes, over an entry bundle's 65,535 (read it with GET /v1/export)`)
      }
      return binary(reply, encodeEntryBundle(entries))
    }
    const hashes = await call(request, (signal) => s.subtreeHashes(treeLevel, index * TILE_WIDTH, width, signal))
    return binary(reply, encodeTile(hashes))
  })

  app.get('/witness/add-checkpoint', async (request, reply) => {
    const q = request.query as Record<string, unknown>
    onlyKnown(q, ['old'])
    const old = requiredUint(q.old, 'old')
    const { source: s } = source()
    const cc = await latest(request)
    if (old > cc.logSize) throw new ApiError(400, 'invalid-parameter', `old: ${old} is above the checkpoint's size ${cc.logSize}`)
    const proof = old === 0 ? [] : await call(request, (signal) => backend.consistencyProof(old, cc.logSize, signal))
    const note = checkpointNoteOfCc(s.genesis.chainId, validatorSetOf(s.genesis), cc)
    return text(reply, formatAddCheckpoint({ oldSize: old, proof, checkpoint: note }), MUTABLE)
  })

  app.get('/witness/cosigned', async (request, reply) => {
    const q = request.query as Record<string, unknown>
    onlyKnown(q, ['size'])
    const size = optionalUint(q.size, 'size')
    source()
    const kept = cosignatures.newest(size)
    if (kept === null) throw new ApiError(404, 'no-cosigned-checkpoint', size === undefined ? 'no witness cosignature is held' : `no witness cosignature is held for size ${size}`)
    const lines = [...kept.validatorLines, ...kept.cosignatures].map(formatSignatureLine).join('')
    return text(reply, `${kept.text}\n${lines}`, MUTABLE)
  })

  // Witnesses answer in text: a parser for text/plain in this scope only (the rest of
  // the API takes JSON alone).
  void app.register(async (scope) => {
    scope.addContentTypeParser('text/plain', { parseAs: 'string', bodyLimit: LIMITS.noteBytesMax }, (_request, body, done) => done(null, body))
    scope.post('/witness/cosignatures', async (request) => {
      onlyKnown(request.query, [])
      if (typeof request.body !== 'string') throw new ApiError(415, 'unsupported-media-type', 'send the cosigned checkpoint note as text/plain')
      const ctx = source()
      const added = acceptCosigned(ctx, cosignatures, request.body, Math.floor(Date.now() / 1000))
      return { accepted: added.accepted, size: added.size }
    })
  })
}

/** Checks a posted cosigned note: a quorum of validators signed its text, and every line
 * of a configured witness verifies; keeps those lines. */
function acceptCosigned(
  ctx: { source: TransparencySource, verifiers: NoteVerifier[], quorum: number },
  store: CosignatureStore, body: string, nowSeconds: number,
): { accepted: number, size: number } {
  let note
  let size
  try {
    note = parseNote(body)
    size = commitDataOfCheckpoint(ctx.source.genesis.chainId, note.text).logSize
  } catch (err) {
    if (err instanceof CodecError) throw new ApiError(400, 'malformed-note', `not a checkpoint note of this chain: ${err.message}`)
    throw err
  }
  const validators = openNote(note, ctx.verifiers, ctx.quorum)
  if (validators === null) throw new ApiError(403, 'checkpoint-not-certified', `the checkpoint does not carry valid signatures of a quorum (${ctx.quorum}) of validators`)
  const witnesses = ctx.source.witnesses
  if (witnesses.length === 0) throw new ApiError(403, 'no-witnesses-configured', 'this node keeps no cosignatures: no witness keys are configured (http.witnesses)')
  const opened = openNote(note, witnesses, 1)
  if (opened === null) throw new ApiError(403, 'no-valid-cosignature', 'no valid cosignature of a configured witness (or one that fails to verify)')
  const isKey = (sig: NoteSignature, keys: readonly NoteVerifier[]): boolean => keys.some((k) => k.keyId === sig.keyId && k.name === sig.name)
  const known = note.signatures.filter((sig) => isKey(sig, opened.verified))
  for (const c of known) {
    const t = cosignatureTimestamp(c.signature)
    if (t === null || t === 0n) throw new ApiError(400, 'bad-cosignature', `the cosignature of ${c.name} has no timestamp`)
    if (t > BigInt(nowSeconds + COSIGNATURE_FUTURE_SECONDS_MAX)) throw new ApiError(400, 'bad-cosignature', `the cosignature of ${c.name} is dated ${t}, ahead of this node's clock`)
  }
  const validatorLines = note.signatures.filter((sig) => isKey(sig, validators.verified))
  return { accepted: store.add(note.text, size, validatorLines, known), size }
}

function text(reply: FastifyReply, body: string, cache: string): FastifyReply {
  return reply.type(TEXT).header('cache-control', cache).send(body)
}

function binary(reply: FastifyReply, bytes: Uint8Array): FastifyReply {
  return reply.type('application/octet-stream').header('cache-control', IMMUTABLE).send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
}
