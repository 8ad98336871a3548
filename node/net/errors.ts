/** A transport condition: a stable `name`, and a `code` saying which. */
export class TransportError extends Error {
  override readonly name = 'TransportError'
  /** 'already-started', 'not-started', 'wrong-key', 'bad-address', 'not-a-validator', 'rejected'. */
  readonly code: string
  constructor(code: string, message: string) {
    super(message)
    this.code = code
  }
}
