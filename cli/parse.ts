// Flag parsing shared by the commands: each returns the value or throws a clear error.
import { InvalidArgumentError } from 'commander'
import { SIGNATURE_MODES, isSignatureMode, type SignatureMode } from '../scenarios/sim/standin-signatures.ts'

/** A commander argument parser for a whole number in [min, max]. */
export function integerFlag(name: string, min: number, max: number): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${name} must be a whole number, got '${value}'`)
    const n = Number(value)
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be between ${min} and ${max}, got ${value}`)
    return n
  }
}

export function parseHeight(value: string, flag: string, min = 0): number {
  const n = Number(value)
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min) throw new Error(`${flag} must be a whole number >= ${min}, got '${value}'`)
  return n
}

export function parseIntInRange(value: string, flag: string, min: number, max: number): number {
  const n = Number(value)
  if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) throw new Error(`${flag} must be a whole number from ${min} to ${max}, got '${value}'`)
  return n
}

export function parseUrl(value: string, flag: string): URL {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new Error(`${flag} must be a URL such as http://127.0.0.1:8080, got '${value}'`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${flag} must be an http(s) URL, got '${value}'`)
  return url
}

/** A commander argument parser for a simulator signature mode (`standin` or `ed25519`). */
export function signatureModeFlag(value: string): SignatureMode {
  if (!isSignatureMode(value)) throw new InvalidArgumentError(`unknown signature mode '${value}'; one of: ${SIGNATURE_MODES.join(', ')}`)
  return value
}
