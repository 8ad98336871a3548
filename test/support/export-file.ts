// Writes chains as synod-export/v1 byte streams, for audit tests.
import { genesisHash, type Genesis } from '../../src/log/genesis.ts'
import { chainItemToCbor, EXPORT_FORMAT, exportHeaderToCbor, frameRecord } from '../../src/log/export.ts'
import type { ChainItem } from '../../src/log/verify.ts'
import { concatBytes } from './bytes.ts'

export function exportBytes(genesis: Genesis, items: readonly ChainItem[]): Uint8Array {
  const records = [
    frameRecord(exportHeaderToCbor({ format: EXPORT_FORMAT, chainId: genesis.chainId, genesis: genesisHash(genesis), from: 1, start: null })),
    ...items.map((item) => frameRecord(chainItemToCbor(item))),
  ]
  return concatBytes(...records)
}

/** Splits bytes into chunks of varying size, as a network or file stream would deliver them. */
export async function* chunked(bytes: Uint8Array, size = 997): AsyncIterable<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size)
}
