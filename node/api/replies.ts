// The API's answers outside a handler's return value: the one error shape,
// { error: { code, message, ...details } }, and the JSON form of entries and records.
import type { FastifyReply } from 'fastify'
import { toHex } from '../../src/crypto/hash.ts'
import { entryToCbor, type Entry } from '../../src/log/entry.ts'
import { toJson, type JsonValue } from '../../src/log/json.ts'
import type { LogRecord } from './backend.ts'
import type { HttpErrorAnswer } from './errors.ts'

export function errorBody(code: string, message: string, details: Readonly<Record<string, number | string>> = {}): { error: Record<string, number | string> } {
  // Details first: code and message keep their meaning whatever a class names its fields.
  return { error: { ...details, code, message } }
}

export function sendError(reply: FastifyReply, answer: HttpErrorAnswer): FastifyReply {
  if (answer.retryAfterMs !== null) {
    const seconds = Number.isFinite(answer.retryAfterMs) ? Math.max(1, Math.ceil(answer.retryAfterMs / 1000)) : 3600
    void reply.header('retry-after', String(seconds))
  }
  return reply.code(answer.status).type('application/json; charset=utf-8').send(errorBody(answer.code, answer.message, answer.details))
}

export function entryJson(entry: Entry): JsonValue {
  return toJson(entryToCbor(entry))
}

export function recordJson(record: LogRecord): JsonValue {
  return { id: toHex(record.id), index: record.index, height: record.height, entry: entryJson(record.entry) }
}
