export { encodeCanonical, decodeCanonical, bytesEqual, type CborValue } from './cbor.ts'
export { CodecError } from './errors.ts'
export * from './schema.ts'
