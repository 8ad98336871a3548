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
