// The libp2p side of the sidecar protocol (sidecar-wire.ts): a short-lived stream per
// frame on the validators' own connections (the gater admits validators only, so the
// sender of a frame is the validator of its connection). Framing is checked here: a
// frame over NODE_LIMITS.sidecarFrameBytesMax, or broken framing, costs the sender a
// penalty point ('oversized', 'malformed'); what the frame says is the server's to judge.
import type { Libp2p } from 'libp2p'
import type { Connection, Stream } from '@libp2p/interface'
import * as lp from 'it-length-prefixed'
import { NODE_LIMITS } from '../limits.ts'
import { TransportError } from './errors.ts'
import { SIDECAR_PROTOCOL, type SidecarServer, type SidecarWire } from './sidecar-wire.ts'
import type { PenaltyCause } from './transport.ts'
import type { ValidatorDirectory } from './validator-directory.ts'

/** Read-buffer allowance beyond one frame: its length prefix and the muxer's framing. */
const FRAME_SLACK_BYTES = 1024

export interface SidecarExchangeDependencies {
  readonly selfIndex: number
  readonly directory: ValidatorDirectory
  /** The libp2p node once started (null before). */
  readonly node: () => Libp2p | null
  readonly penalise: (peer: number, cause: PenaltyCause, reason: string) => void
  readonly stopped: () => boolean
}

export class SidecarExchange implements SidecarWire {
  readonly #d: SidecarExchangeDependencies
  #server: SidecarServer | null = null

  constructor(dependencies: SidecarExchangeDependencies) {
    this.#d = dependencies
  }

  serve(server: SidecarServer): void {
    this.#server = server
  }

  /** Registers the protocol on a started libp2p node. */
  async handle(node: Libp2p): Promise<void> {
    await node.handle(SIDECAR_PROTOCOL, (stream, connection) => this.#onStream(stream, connection), {
      maxInboundStreams: NODE_LIMITS.sidecarStreamsPerConnectionMax,
      maxOutboundStreams: NODE_LIMITS.sidecarStreamsPerConnectionMax,
    })
  }

  async send(to: number, frame: Uint8Array, signal: AbortSignal): Promise<void> {
    const stream = await this.#open(to, signal)
    try {
      await write(stream, frame, signal)
      await stream.close({ signal })
    } catch (err) {
      stream.abort(err as Error)
      throw err
    }
  }

  async request(to: number, frame: Uint8Array, signal: AbortSignal): Promise<Uint8Array> {
    const stream = await this.#open(to, signal)
    try {
      // Listening before writing: the answer cannot come before the listener.
      const answer = readOne(stream, signal)
      await write(stream, frame, signal)
      const got = await answer
      await stream.close({ signal })
      if (got === null) throw new TransportError('rejected', `validator ${to} closed the sidecar stream without an answer`)
      return got
    } catch (err) {
      if (isFramingError(err)) this.#d.penalise(to, framingCause(err), `bad sidecar answer: ${(err as Error).message}`)
      stream.abort(err as Error)
      throw err
    }
  }

  async #open(to: number, signal: AbortSignal): Promise<Stream> {
    const node = this.#d.node()
    if (node === null || this.#d.stopped()) throw new TransportError('not-started', 'the transport is not started')
    if (to === this.#d.selfIndex) throw new RangeError(`cannot send a sidecar frame to this node (${to})`)
    const stream = await node.dialProtocol(this.#d.directory.peerId(to), SIDECAR_PROTOCOL, { signal })
    stream.maxReadBufferLength = NODE_LIMITS.sidecarFrameBytesMax + FRAME_SLACK_BYTES
    return stream
  }

  async #onStream(stream: Stream, connection: Connection): Promise<void> {
    const from = this.#d.directory.indexOf(connection.remotePeer)
    if (from === undefined || from === this.#d.selfIndex) {
      stream.abort(new TransportError('not-a-validator', `peer ${connection.remotePeer.toString()} is not a validator`))
      return
    }
    stream.maxReadBufferLength = NODE_LIMITS.sidecarFrameBytesMax + FRAME_SLACK_BYTES
    const signal = AbortSignal.timeout(NODE_LIMITS.sidecarRequestTimeoutMs)
    try {
      const frame = await readOne(stream, signal)
      const server = this.#server
      if (frame === null || server === null || this.#d.stopped()) {
        await stream.close({ signal })
        return
      }
      const answer = await server(from, frame)
      if (answer !== null) await write(stream, answer, signal)
      await stream.close({ signal })
    } catch (err) {
      if (this.#d.stopped()) return
      if (isFramingError(err)) this.#d.penalise(from, framingCause(err), `bad sidecar frame: ${(err as Error).message}`)
      if (stream.status === 'open') stream.abort(err as Error)
    }
  }
}

/** The first frame on the stream (a copy), or null when it closes first. */
async function readOne(stream: Stream, signal: AbortSignal): Promise<Uint8Array | null> {
  const onAbort = (): void => stream.abort(new TransportError('rejected', 'the sidecar stream timed out'))
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    for await (const frame of lp.decode(stream, { maxDataLength: NODE_LIMITS.sidecarFrameBytesMax })) return frame.slice()
    return null
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}

async function write(stream: Stream, frame: Uint8Array, signal: AbortSignal): Promise<void> {
  if (frame.length > NODE_LIMITS.sidecarFrameBytesMax) throw new RangeError(`a sidecar frame of ${frame.length} bytes is over the limit of ${NODE_LIMITS.sidecarFrameBytesMax}`)
  if (!stream.send(lp.encode.single(frame, { maxDataLength: NODE_LIMITS.sidecarFrameBytesMax }))) await stream.onDrain({ signal })
}

/** Framing that proves the sender wrong: a length over the bound or not a varint. A
 * stream cut inside a frame (UnexpectedEOFError) is not: an honest peer that crashes or
 * times out mid-frame does that. */
function isFramingError(err: unknown): boolean {
  const name = (err as Error | null)?.name
  return name === 'InvalidDataLengthError' || name === 'InvalidDataLengthLengthError' || name === 'InvalidMessageLengthError'
}

function framingCause(err: unknown): PenaltyCause {
  const name = (err as Error).name
  return name === 'InvalidDataLengthError' || name === 'InvalidDataLengthLengthError' ? 'oversized' : 'malformed'
}
