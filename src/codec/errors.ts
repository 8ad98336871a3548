/** Raised for any byte string that is not the one canonical encoding of an allowed value. */
export class CodecError extends Error {
  override readonly name = 'CodecError'
  readonly reason: string
  constructor(reason: string, options?: { cause?: unknown }) {
    super(reason, options)
    this.reason = reason
  }
}
