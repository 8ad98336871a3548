// The documented shape of every API route (docs/api.md): parameters and answers as JSON
// Schema, from which openapi.ts builds the OpenAPI description served at /openapi.json.
// The routes themselves are registered by the modules in routes/ (one per group, in the
// order below), plus GET /v1/head and GET /v1/blocks/:height in node/runtime/run-node.ts.
//
// These schemas document; they do not validate. The handlers check their input
// themselves (params.ts, entryFromCbor), with the API's own error codes, and answer with
// plain JSON.stringify; fastify's schema validation and serialisation would answer other
// codes and could drop fields. So the routes carry no fastify schema, and the test
// test/node/api-openapi.test.ts holds these schemas to the truth instead: every route is
// here, and real answers of the main routes validate against them.

/** A JSON Schema object (draft 2020-12, as OpenAPI 3.1 uses). */
export type JsonSchema = { readonly [key: string]: unknown }

/** One route's documentation, in the shape of a fastify route schema. */
export interface RouteDoc {
  readonly summary: string
  readonly description?: string
  readonly tags: readonly string[]
  readonly params?: JsonSchema
  readonly querystring?: JsonSchema
  readonly headers?: JsonSchema
  readonly body?: JsonSchema
  /** By status code ('200', '4xx', ...): a JSON Schema of a JSON answer, or
   * { description, content: { 'media/type': { schema } } } for another media type. */
  readonly response: { readonly [status: string]: JsonSchema }
}

const hex32: JsonSchema = { type: 'string', pattern: '^[0-9a-f]{64}$', description: '32 bytes as lower-case hex' }
const hex64: JsonSchema = { type: 'string', pattern: '^[0-9a-f]{128}$', description: '64 bytes (an Ed25519 signature) as lower-case hex' }
const hexBytes: JsonSchema = { type: 'string', pattern: '^(?:[0-9a-f]{2})*$', description: 'bytes as lower-case hex' }
const uint: JsonSchema = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER }
const uintText: JsonSchema = { type: 'string', pattern: '^[0-9]{1,16}$', description: 'an unsigned integer' }
const nullable = (schema: JsonSchema): JsonSchema => ({ oneOf: [schema, { type: 'null' }] })

const errorAnswer: JsonSchema = {
  type: 'object',
  description: 'Every error: a stable code and a message; some codes add values (seq, lastSeq, reason)',
  required: ['error'],
  additionalProperties: false,
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' } },
      additionalProperties: { type: ['string', 'integer'] },
    },
  },
}

/** The JSON form of an entry (src/log/json.ts): the canonical CBOR fields, bytes as hex. */
const entry: JsonSchema = {
  type: 'object',
  required: ['agent', 'namespace', 'seq', 'payload', 'refs', 'key', 'sig'],
  additionalProperties: false,
  properties: {
    agent: { ...hex32, description: "the agent's Ed25519 public key" },
    namespace: { type: 'string' },
    seq: uint,
    payload: { type: 'string', description: 'the decision as JSON text, byte for byte as signed' },
    refs: { type: 'array', items: hex32, description: 'ids of earlier entries' },
    key: { type: 'string', description: 'idempotency key ("" when none)' },
    sig: hex64,
  },
}

/** A commit certificate: a quorum of validators signing (chainId, height, block, logSize, logRoot). */
const checkpoint: JsonSchema = {
  type: 'object',
  required: ['height', 'block', 'logSize', 'logRoot', 'signers', 'sigs'],
  additionalProperties: false,
  properties: {
    height: uint,
    block: hex32,
    logSize: uint,
    logRoot: hex32,
    signers: { ...hexBytes, description: 'signer bitmap: bit i is validator i of the genesis' },
    sigs: { type: 'array', items: hex64 },
  },
}

const receipt: JsonSchema = {
  type: 'object',
  description: 'verifies offline with verifyReceipt(receipt, genesis)',
  required: ['entry', 'index', 'proof', 'checkpoint'],
  additionalProperties: false,
  properties: { entry, index: uint, proof: { type: 'array', items: hex32 }, checkpoint },
}

const record: JsonSchema = {
  type: 'object',
  required: ['id', 'index', 'height', 'entry'],
  additionalProperties: false,
  properties: { id: hex32, index: uint, height: uint, entry },
}

const idParam: JsonSchema = { type: 'object', required: ['id'], properties: { id: { ...hex32, description: 'the entry id' } } }

const entryStatus: JsonSchema = {
  type: 'object',
  required: ['id', 'status', 'height', 'index', 'entry', 'receipt'],
  additionalProperties: false,
  properties: {
    id: hex32,
    status: { enum: ['pending', 'committed', 'certified', 'superseded'] },
    height: nullable(uint),
    index: nullable(uint),
    entry: nullable(entry),
    receipt: nullable(receipt),
    seq: { ...uint, description: 'superseded only: the seq of this entry' },
    lastSeq: { ...uint, description: 'superseded only: the committed seq that passed it' },
  },
}

/** A vote the decision rules counted (docs/formats.md section 12). */
const countedVote: JsonSchema = {
  type: 'object',
  required: ['id', 'agent', 'kind', 'index', 'height'],
  additionalProperties: false,
  properties: { id: hex32, agent: hex32, kind: { enum: ['approve', 'reject'] }, index: uint, height: uint },
}

/** One item of a batch answer: the single route's status, then its body fields or its error. */
const batchResult: JsonSchema = {
  type: 'object',
  required: ['httpStatus'],
  properties: {
    httpStatus: { type: 'integer', minimum: 200, maximum: 599, description: 'the status the single route would have answered' },
    id: hex32,
    status: { type: 'string' },
    error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' } } },
    retryAfterMs: { ...uint, description: 'where the single route would send Retry-After' },
  },
}

const media = (type: string, description: string, schema: JsonSchema = { type: 'string' }): JsonSchema => ({ description, content: { [type]: { schema } } })

/** By "METHOD /fastify/url". */
export const ROUTE_DOCS: ReadonlyMap<string, RouteDoc> = new Map<string, RouteDoc>([
  ['POST /v1/entries', {
    summary: 'Submit a signed entry',
    tags: ['entries'],
    body: entry,
    response: {
      202: { description: 'new to this node: in its mempool and forwarded to the next leaders', type: 'object', required: ['id', 'status'], additionalProperties: false, properties: { id: hex32, status: { const: 'accepted' } } },
      200: { description: 'this node already has this exact entry', type: 'object', required: ['id', 'status'], additionalProperties: false, properties: { id: hex32, status: { const: 'duplicate' } } },
      '4xx': errorAnswer,
      '5xx': errorAnswer,
    },
  }],
  ['POST /v1/entries/batch', {
    summary: 'Submit many signed entries; each answered as POST /v1/entries would answer it',
    tags: ['entries'],
    body: { type: 'object', required: ['entries'], additionalProperties: false, properties: { entries: { type: 'array', minItems: 1, maxItems: 256, items: entry } } },
    response: {
      200: { type: 'object', required: ['results'], additionalProperties: false, properties: { results: { type: 'array', items: batchResult } } },
      '4xx': errorAnswer,
      '5xx': errorAnswer,
    },
  }],
  ['POST /v1/receipts/batch', {
    summary: 'Receipts of many entries; wait= long-polls until any of them settles',
    tags: ['entries'],
    body: {
      type: 'object', required: ['ids'], additionalProperties: false,
      properties: { ids: { type: 'array', minItems: 1, maxItems: 256, items: { type: 'string' } }, wait: { ...uint, maximum: 10_000, description: 'milliseconds to wait, 0 to 10000' } },
    },
    response: {
      200: { type: 'object', required: ['results'], properties: { results: { type: 'array', items: batchResult }, early: { type: 'boolean', description: 'the long poll ended before wait ms: ask again for the ids still pending' } } },
      '4xx': errorAnswer,
      '5xx': errorAnswer,
    },
  }],
  ['GET /v1/entries/:id', {
    summary: 'One entry, its position, and its receipt when there is one',
    tags: ['entries'],
    params: idParam,
    response: { 200: entryStatus, '4xx': errorAnswer, '5xx': errorAnswer },
  }],
  ['GET /v1/receipts/:id', {
    summary: 'The receipt of an entry; wait= long-polls for it',
    tags: ['entries'],
    params: idParam,
    querystring: { type: 'object', properties: { wait: { ...uintText, description: 'milliseconds to wait for the receipt, 0 to 10000 (default 0)' } } },
    response: {
      200: { type: 'object', required: ['id', 'status', 'receipt'], additionalProperties: false, properties: { id: hex32, status: { const: 'certified' }, receipt } },
      202: {
        description: 'known but not yet covered by a commit certificate (Retry-After: 1)',
        type: 'object',
        required: ['id', 'status', 'height', 'index'],
        additionalProperties: false,
        properties: { id: hex32, status: { const: 'pending' }, height: nullable(uint), index: nullable(uint) },
      },
      '4xx': errorAnswer,
      '5xx': errorAnswer,
    },
  }],
  ['GET /v1/entries', {
    summary: 'Committed entries by namespace, agent and height, in log order, paged',
    tags: ['entries'],
    querystring: {
      type: 'object',
      properties: {
        namespace: { type: 'string', description: 'exactly this namespace' },
        agent: { ...hex32, description: "this agent's public key" },
        fromHeight: uintText,
        toHeight: uintText,
        cursor: { type: 'string', description: 'the nextCursor of the previous page' },
        limit: { ...uintText, description: 'page size, 1 to 200 (default 50)' },
      },
    },
    response: {
      200: { type: 'object', required: ['items', 'nextCursor'], additionalProperties: false, properties: { items: { type: 'array', items: record }, nextCursor: nullable({ type: 'string' }) } },
      '4xx': errorAnswer,
      '5xx': errorAnswer,
    },
  }],
  ['GET /v1/subscribe', {
    summary: 'Follow committed entries as server-sent events',
    description: "One `event: entry` per committed entry, `id` its log index, `data` a record {id, index, height, entry}; `event: error` with `data` an error answer if the node fails mid-stream.",
    tags: ['entries'],
    querystring: { type: 'object', properties: { from: { ...uintText, description: 'first log index (default: the end of the log)' }, namespace: { type: 'string' } } },
    headers: { type: 'object', properties: { 'last-event-id': { ...uintText, description: 'resume after this log index (wins over from)' } } },
    response: { 200: media('text/event-stream', 'the event stream'), '4xx': errorAnswer, '5xx': errorAnswer },
  }],
  ['GET /v1/checkpoint', {
    summary: 'The commit certificate of the highest certified block',
    tags: ['chain'],
    response: { 200: { type: 'object', required: ['checkpoint'], additionalProperties: false, properties: { checkpoint } }, '4xx': errorAnswer, '5xx': errorAnswer },
  }],
  ['GET /v1/consistency', {
    summary: 'RFC 9162 consistency proof between two log sizes',
    tags: ['chain'],
    querystring: { type: 'object', required: ['from', 'to'], properties: { from: uintText, to: uintText } },
    response: {
      200: { type: 'object', required: ['from', 'to', 'proof'], additionalProperties: false, properties: { from: uint, to: uint, proof: { type: 'array', items: hex32 } } },
      '4xx': errorAnswer,
      '5xx': errorAnswer,
    },
  }],
  // C2SP transparency-log routes (node/api/routes/transparency.ts, docs/formats.md section 12).
  ['GET /checkpoint', {
    summary: 'The newest commit certificate as a C2SP checkpoint signed note (tlog-checkpoint), with any witness cosignatures of it',
    tags: ['transparency'],
    response: { 200: media('text/plain; charset=utf-8', 'a signed note: checkpoint text, blank line, one signature line per validator (docs/formats.md 11.2)'), '4xx': errorAnswer, '5xx': errorAnswer },
  }],
  ['GET /tile/*', {
    summary: 'tlog-tiles hash tiles tile/<L>/<N>[.p/<W>] and entry bundles tile/entries/<N>[.p/<W>] of the certified log',
    tags: ['transparency'],
    response: { 200: media('application/octet-stream', 'W 32-byte hashes, or W uint16-length-prefixed CBOR entries (docs/formats.md 11.3)'), '4xx': errorAnswer, '5xx': errorAnswer },
  }],
  ['GET /witness/add-checkpoint', {
    summary: 'The body of a tlog-witness add-checkpoint request for the newest checkpoint: old size, consistency proof, checkpoint note',
    tags: ['transparency'],
    querystring: { type: 'object', required: ['old'], properties: { old: { ...uintText, description: 'the size of the checkpoint the witness last cosigned (0 if none)' } } },
    response: { 200: media('text/plain; charset=utf-8', 'docs/formats.md 11.5'), '4xx': errorAnswer, '5xx': errorAnswer },
  }],
  ['POST /witness/cosignatures', {
    summary: 'Gives the node a witness\'s cosignatures: the checkpoint note (validators\' lines) followed by the witness\'s answer lines, as text/plain',
    tags: ['transparency'],
    response: {
      200: { type: 'object', required: ['accepted', 'size'], additionalProperties: false, properties: { accepted: { ...uint, description: 'cosignatures new to the node' }, size: uint } },
      '4xx': errorAnswer,
      '5xx': errorAnswer,
    },
  }],
  ['GET /witness/cosigned', {
    summary: 'The newest checkpoint the node holds witness cosignatures for (or the one of ?size=), as a signed note',
    tags: ['transparency'],
    querystring: { type: 'object', properties: { size: uintText } },
    response: { 200: media('text/plain; charset=utf-8', 'checkpoint note with validator lines then cosignature/v1 lines (docs/formats.md 11.4)'), '4xx': errorAnswer, '5xx': errorAnswer },
  }],
  ['GET /v1/export', {
    summary: 'The chain in the export format synod-export/v1, streamed',
    tags: ['chain'],
    querystring: { type: 'object', properties: { fromHeight: { ...uintText, description: 'default 1' }, toHeight: { ...uintText, description: 'default: the latest committed height' } } },
    response: { 200: media('application/octet-stream', 'length-prefixed canonical CBOR records (docs/formats.md)'), '4xx': errorAnswer, '5xx': errorAnswer },
  }],
  ['GET /v1/head', {
    summary: "This validator's latest committed block (served by validator nodes)",
    tags: ['chain'],
    response: {
      200: { type: 'object', required: ['height', 'hash', 'logSize', 'logRoot', 'round'], additionalProperties: false, properties: { height: uint, hash: hex32, logSize: uint, logRoot: hex32, round: uint } },
    },
  }],
  ['GET /v1/blocks/:height', {
    summary: 'The header of a committed block (served by validator nodes)',
    tags: ['chain'],
    params: { type: 'object', required: ['height'], properties: { height: uintText } },
    response: {
      200: {
        type: 'object',
        required: ['height', 'hash', 'round', 'epoch', 'proposer', 'entryCount', 'logSize', 'logRoot'],
        additionalProperties: false,
        properties: {
          height: uint, hash: hex32, round: uint,
          // The block's epoch (0 for the genesis set) and its proposer's position in that epoch's set.
          epoch: uint, proposer: uint,
          entryCount: uint, logSize: uint, logRoot: hex32,
        },
      },
      '4xx': errorAnswer,
    },
  }],
  ['GET /healthz', {
    summary: 'Node status (not rate limited)',
    tags: ['operations'],
    response: {
      // Open to added fields: a newer node may report more.
      200: {
        type: 'object',
        required: ['status', 'chainId', 'height', 'logSize', 'round', 'peers', 'mempoolEntries'],
        properties: { status: { enum: ['ok', 'syncing'] }, chainId: { type: 'string' }, height: uint, logSize: uint, round: uint, peers: uint, mempoolEntries: uint },
      },
      503: { description: 'stopping', type: 'object', required: ['status'], properties: { status: { const: 'stopping' } } },
    },
  }],
  ['GET /v1/decisions/:id', {
    summary: 'A decision\'s state (pending, approved, rejected, expired) and, once approved, its approval proof',
    description: 'State under docs/formats.md section 12, as of the node\'s committed log; the proof verifies offline with verifyApprovalProof(proof, genesis)',
    tags: ['decisions'],
    params: idParam,
    response: {
      200: {
        type: 'object',
        required: ['id', 'status', 'height', 'decision', 'approvals', 'rejections', 'decidedBy', 'proof', 'proofUnavailable'],
        additionalProperties: false,
        properties: {
          id: hex32,
          status: { enum: ['pending', 'approved', 'rejected', 'expired'] },
          height: { ...uint, description: 'the committed height the state is computed at' },
          decision: {
            type: 'object',
            required: ['proposer', 'namespace', 'index', 'height', 'approvers', 'threshold', 'deadline'],
            additionalProperties: false,
            properties: { proposer: hex32, namespace: { type: 'string' }, index: uint, height: uint, approvers: { type: 'array', items: hex32 }, threshold: uint, deadline: uint },
          },
          approvals: { type: 'array', items: countedVote },
          rejections: { type: 'array', items: countedVote },
          decidedBy: nullable(countedVote),
          proof: nullable({
            type: 'object',
            required: ['decision', 'approvals', 'cutoff'],
            additionalProperties: false,
            properties: { decision: receipt, approvals: { type: 'array', items: receipt }, cutoff: checkpoint },
          }),
          proofUnavailable: { enum: [null, 'uncertified', 'no-cutoff'], description: 'approved without a proof: uncertified (ask again), no-cutoff (no commit certificate up to the deadline)' },
        },
      },
      '4xx': errorAnswer,
      '5xx': errorAnswer,
    },
  }],
  ['GET /v1/policy', {
    summary: 'The namespace governance in force for the next block: the policy record that governs a namespace and its admins',
    description: 'Under docs/formats.md section 13, as of the node\'s committed log; 404 no-governance on a chain whose genesis has no governance member',
    tags: ['governance'],
    querystring: {
      type: 'object',
      required: ['namespace'],
      properties: { namespace: { type: 'string' }, agent: { ...hex32, description: 'also say whether this agent is an admin and a writer there' } },
    },
    response: {
      200: {
        type: 'object',
        required: ['namespace', 'height', 'admins', 'policy'],
        additionalProperties: false,
        properties: {
          namespace: { type: 'string' },
          height: { ...uint, description: 'the committed height the state is after' },
          admins: { type: 'array', items: hex32, description: 'genesis and policy admins of the namespace and its ancestors, nearest first' },
          policy: nullable({
            type: 'object',
            required: ['namespace', 'entry', 'agent', 'height', 'writers', 'admins', 'approvers', 'schema', 'retention'],
            additionalProperties: false,
            properties: {
              namespace: { type: 'string', description: 'the governed namespace whose record is in force (the nearest with one)' },
              entry: hex32, agent: hex32, height: uint,
              writers: { oneOf: [{ const: 'any' }, { type: 'array', items: hex32 }] },
              admins: { type: 'array', items: hex32 },
              approvers: nullable({ type: 'object', required: ['keys', 'threshold'], additionalProperties: false, properties: { keys: { type: 'array', items: hex32 }, threshold: uint } }),
              schema: { description: 'the payload schema as written, or null' },
              retention: nullable({
                type: 'object', required: ['heights'], additionalProperties: false, properties: { heights: uint },
                description: 'how long sealed payloads committed under this record are kept, in heights; null: until erased',
              }),
            },
          }),
          agent: { type: 'object', required: ['key', 'admin', 'writer'], additionalProperties: false, properties: { key: hex32, admin: { type: 'boolean' }, writer: { type: 'boolean' } } },
        },
      },
      '4xx': errorAnswer,
      '5xx': errorAnswer,
    },
  }],
  ['PUT /v1/sealed/:id', {
    summary: 'Keep the sidecar (sealed blob, optionally its key) of a committed sealed entry',
    description: 'docs/formats.md section 14. Checked against the entry\'s commitments (422 sidecar-blob-size, sidecar-blob-commitment, sidecar-key-size, sidecar-key-commitment); refused with 410 erased once an erase of the entry is committed, 409 entry-not-committed while it is pending, 409 not-sealed for another entry',
    tags: ['sealed'],
    params: idParam,
    body: {
      type: 'object',
      required: ['blob'],
      additionalProperties: false,
      properties: {
        blob: { type: 'string', description: 'nonce || ciphertext || tag in padded base64 (RFC 4648 section 4)' },
        key: nullable({ ...hex32, description: 'the AES-256-GCM key, deposited so that readers without it can read until erasure; null or absent to keep it to the writer' }),
      },
    },
    response: {
      200: { type: 'object', required: ['id', 'status'], additionalProperties: false, properties: { id: hex32, status: { const: 'duplicate' } } },
      201: { type: 'object', required: ['id', 'status'], additionalProperties: false, properties: { id: hex32, status: { const: 'stored' } } },
      '4xx': errorAnswer,
      '5xx': errorAnswer,
    },
  }],
  ['GET /v1/sealed/:id', {
    summary: 'The sidecar of a sealed entry, as this node holds it',
    description: '404 sidecar-missing: this node has none (ask another); 410 erased (with the erase entry\'s id): an erase is committed and the sidecar deleted; 409 not-sealed; 404 unknown-entry',
    tags: ['sealed'],
    params: idParam,
    response: {
      200: {
        type: 'object',
        required: ['id', 'blob', 'key'],
        additionalProperties: false,
        properties: { id: hex32, blob: { type: 'string', description: 'padded base64' }, key: nullable(hex32) },
      },
      '4xx': errorAnswer,
      '5xx': errorAnswer,
    },
  }],
  ['GET /metrics', {
    summary: 'Prometheus metrics',
    tags: ['operations'],
    response: { 200: media('text/plain', 'Prometheus text format') },
  }],
  ['GET /openapi.json', {
    summary: 'This description of the API (OpenAPI 3.1)',
    tags: ['operations'],
    response: { 200: { type: 'object', required: ['openapi', 'info', 'paths'], properties: { openapi: { const: '3.1.0' }, info: { type: 'object' }, paths: { type: 'object' } } } },
  }],
])

/** The key of a route in ROUTE_DOCS. */
export function routeDocKey(method: string, url: string): string {
  return `${method} ${url}`
}
