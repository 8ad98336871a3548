// Reading JSON objects whose member names come from outside (payloads, reserved payload
// shapes): own members only, so that a name like `__proto__` or `constructor` never
// reaches an object's prototype, and the first member outside an allowed set.

export type JsonObject = { readonly [key: string]: unknown }

/** A JSON object (not null, not an array). */
export function isJsonObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/** The member `name` of `object` if it is its own, else undefined. */
export function ownMember(object: JsonObject, name: string): unknown {
  return Object.hasOwn(object, name) ? object[name] : undefined
}

/** The first member name of `object` not in `allowed`, or null. */
export function unknownMember(object: object, allowed: ReadonlySet<string>): string | null {
  for (const name of Object.keys(object)) if (!allowed.has(name)) return name
  return null
}

/** The member that marks a payload as one of Synod's reserved shapes (decisions, votes,
 * policies, sealed entries, erases). */
export const RESERVED_MEMBER = 'synod'

/** Whether a payload JSON text can hold the reserved member: without the name spelled out
 * or a \u escape it cannot (no other JSON escape stands for a letter, so the name is
 * written as "synod" or with \u escapes, e.g. "\u0073ynod"). A filter that spares the
 * parse of every ordinary payload. */
export function mayHoldReservedMember(payload: string): boolean {
  return payload.includes(`"${RESERVED_MEMBER}"`) || payload.includes('\\u')
}

/** A payload that is a JSON object which may carry the reserved member, with that
 * member's value (undefined when absent); null for any other payload. Never throws. */
export function reservedPayload(payload: string): { readonly object: JsonObject, readonly reserved: unknown } | null {
  if (!mayHoldReservedMember(payload)) return null
  let value: unknown
  try {
    value = JSON.parse(payload)
  } catch {
    return null // not reachable for a committed entry (docs/formats.md section 4), harmless otherwise
  }
  return isJsonObject(value) ? { object: value, reserved: ownMember(value, RESERVED_MEMBER) } : null
}
