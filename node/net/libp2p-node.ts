// The libp2p node under the transport: TCP + Noise + Yamux, identified by the
// validator's own Ed25519 key, with a connection gater that admits only the validators of
// the directory (and none in a cool-off).
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@libp2p/yamux'
import { identify } from '@libp2p/identify'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import type { PeerId, PrivateKey } from '@libp2p/interface'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { NODE_LIMITS } from '../limits.ts'
import { TransportError } from './errors.ts'

export type Services = { identify: unknown }

/** The libp2p key of validator `selfIndex` from its seed; refused unless it is the
 * key the genesis names for that validator. */
export async function validatorPrivateKey(seed: Uint8Array, selfIndex: number, selfPeer: PeerId): Promise<PrivateKey> {
  const privateKey = await generateKeyPairFromSeed('Ed25519', seed)
  if (!privateKey.publicKey.toMultihash().bytes.every((b, i) => b === selfPeer.toMultihash().bytes[i])) {
    throw new TransportError('wrong-key', `the key does not belong to validator ${selfIndex} (${selfPeer.toString()})`)
  }
  return privateKey
}

export interface ValidatorLibp2pOptions {
  readonly privateKey: PrivateKey
  readonly listen: readonly string[]
  /** How many validators the chain may have (connection limits). */
  readonly n: number
  /** True for a peer that may not connect. */
  readonly isDenied: (peer: PeerId) => boolean
}

export function createValidatorLibp2p(options: ValidatorLibp2pOptions): Promise<Libp2p<Services>> {
  const { privateKey, n, isDenied } = options
  return createLibp2p<Services>({
    privateKey,
    addresses: { listen: [...options.listen] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: {
      denyDialPeer: isDenied,
      denyInboundEncryptedConnection: isDenied,
      denyOutboundEncryptedConnection: isDenied,
      // Validators listen on the addresses the genesis gives, which may be private.
      denyDialMultiaddr: () => false,
    },
    connectionManager: {
      // Two connections per validator cover simultaneous dials; nothing else connects.
      maxConnections: 2 * n + 4,
      maxIncomingPendingConnections: n + 4,
      dialTimeout: NODE_LIMITS.dialTimeoutMs,
    },
    services: {
      identify: identify(),
    },
  })
}

/** A validator's addresses as multiaddrs without their /p2p/ suffix; one that names
 * another peer than `expected` is refused. */
export function peerMultiaddrs(index: number, addresses: readonly string[], expected: string): Multiaddr[] {
  return addresses.map((text) => {
    let ma
    try {
      ma = multiaddr(text)
    } catch (err) {
      throw new TransportError('bad-address', `validator ${index}: '${text}' is not a multiaddr: ${(err as Error).message}`)
    }
    const claimed = ma.getComponents().find((c) => c.name === 'p2p')?.value
    if (claimed !== undefined && claimed !== expected) {
      throw new TransportError('bad-address', `validator ${index}: address '${text}' names peer ${claimed}, not ${expected}`)
    }
    return claimed === undefined ? ma : multiaddr(text.slice(0, text.lastIndexOf('/p2p/')))
  })
}
