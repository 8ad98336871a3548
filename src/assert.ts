// Assertions on invariants: a condition the code relies on and that no input may break.
// A failed assertion is a bug in Synod (or corrupt local state), never a peer's doing:
// input from outside is validated and refused with a reason, not asserted on.

/** Thrown when an invariant does not hold. Not caught anywhere on purpose. */
export class AssertionError extends Error {
  override readonly name = 'AssertionError'
}

/** Throws an AssertionError with `message` unless `condition` holds. One condition per
 * call, so that a failure names exactly what broke. */
export function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new AssertionError(message)
}
