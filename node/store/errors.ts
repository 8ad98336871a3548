/** A storage condition with a stable `name` and a `code`: 'wrong-genesis', 'not-open',
 * 'corrupt' (stored data breaks an invariant), 'bad-commit' (a commit that does not
 * extend the head), 'out-of-range'. */
export class StoreError extends Error {
  override readonly name = 'StoreError'
  readonly code: string
  constructor(code: string, message: string) {
    super(message)
    this.code = code
  }
}
