// The libp2p transport with 4 in-process validators on 127.0.0.1: direct sends, and a
// rogue validator (and an outsider) sending garbage and oversized frames, or asking for
// gossip the transport does not speak, after which the honest nodes still work.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@libp2p/yamux'
import { identify } from '@libp2p/identify'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import * as lp from 'it-length-prefixed'
import { decodeCanonical, encodeCanonical } from '../../src/codec/cbor.ts'
import { publicKeyFromSeed } from '../../src/crypto/ed25519.ts'
import { sha256 } from '../../src/crypto/hash.ts'
import { LIMITS } from '../../src/limits.ts'
import { Libp2pTransport } from '../../node/net/libp2p-transport.ts'
import { CONSENSUS_PROTOCOL, type Inspection, type Received, type TransportEvent } from '../../node/net/transport.ts'
import { ValidatorDirectory } from '../../node/net/validator-directory.ts'
import { NODE_LIMITS } from '../../node/limits.ts'
import { SIDECAR_PROTOCOL } from '../../node/net/sidecar-wire.ts'
import { nextReceived, waitFor } from './transport-waits.ts'

const CHAIN = 'test-net'
const seeds = [0, 1, 2, 3].map((i) => sha256(new TextEncoder().encode(`net-test-seed-${i}`)))
const validators = seeds.map((seed, i) => ({ name: `v${i}`, publicKey: publicKeyFromSeed(seed), addresses: [] as string[] }))

interface TestMessage { readonly text: string }

function encode(text: string): Uint8Array {
  return encodeCanonical({ text })
}

function inspect(bytes: Uint8Array, _from: number): Inspection<TestMessage> {
  try {
    const value = decodeCanonical(bytes) as { text?: unknown }
    if (typeof value !== 'object' || value === null || typeof value.text !== 'string') return { verdict: 'reject', cause: 'malformed', reason: 'not a test message' }
    if (value.text === 'stale') return { verdict: 'ignore', reason: 'stale' }
    return { verdict: 'accept', message: { text: value.text } }
  } catch (err) {
    return { verdict: 'reject', cause: 'malformed', reason: (err as Error).message }
  }
}

function nextMessage(t: Libp2pTransport<TestMessage>, timeoutMs = 5000): Promise<Received<TestMessage>> {
  return nextReceived(t, timeoutMs)
}

async function startTransport(i: number, events: TransportEvent[] = []): Promise<Libp2pTransport<TestMessage>> {
  const t = new Libp2pTransport<TestMessage>(
    { chainId: CHAIN, validators, selfIndex: i, seed: seeds[i]!, listen: ['/ip4/127.0.0.1/tcp/0'] },
    { inspect, onEvent: (e) => events.push(e) },
  )
  await t.start()
  return t
}

async function connectAll(nodes: (Libp2pTransport<TestMessage> | null)[]): Promise<void> {
  for (const a of nodes) {
    if (a === null) continue
    for (const b of nodes) {
      if (b === null || a === b) continue
      await a.setPeerAddresses(b.selfIndex, b.listenAddresses())
    }
  }
}

describe('libp2p transport', () => {
  const events: TransportEvent[] = []
  let nodes: Libp2pTransport<TestMessage>[] = []

  beforeAll(async () => {
    nodes = await Promise.all([0, 1, 2, 3].map((i) => startTransport(i, i === 0 ? events : [])))
    await connectAll(nodes)
    await waitFor(() => nodes.every((n) => n.connectedPeers().length === 3))
  })

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop()))
  })

  it('binds the peer id to the validator key', () => {
    const dir = new ValidatorDirectory(validators)
    expect(nodes[2]!.listenAddresses()[0]).toContain(`/p2p/${dir.peerId(2).toString()}`)
  })

  it('sends a message directly to one validator', async () => {
    expect(nodes[0]!.send(1, encode('hello 1'))).toBe(true)
    const got = await nextMessage(nodes[1]!)
    expect(got).toMatchObject({ from: 0, message: { text: 'hello 1' } })
  })

  it('keeps order on the direct stream', async () => {
    for (let i = 0; i < 50; i++) nodes[2]!.send(3, encode(`m${i}`))
    for (let i = 0; i < 50; i++) expect((await nextMessage(nodes[3]!)).message.text).toBe(`m${i}`)
  })

  it('carries a large (1 MiB) message', async () => {
    const big = 'x'.repeat(1024 * 1024)
    nodes[1]!.send(2, encode(big))
    expect((await nextMessage(nodes[2]!)).message.text.length).toBe(big.length)
  })

  it('carries a direct message above the 4 MiB default of length-prefixed framing', async () => {
    const big = 'y'.repeat(6 * 1024 * 1024)
    nodes[1]!.send(2, encode(big))
    expect((await nextMessage(nodes[2]!)).message.text.length).toBe(big.length)
  })

  it('reaches every other validator with one send each (what a broadcast is)', async () => {
    await waitFor(() => nodes.every((n) => n.connectedPeers().length === 3))
    const frames = nodes[1]!.stats.sentFrames
    for (const i of [0, 2, 3]) nodes[1]!.send(i, encode('proposal A'))
    for (const i of [0, 2, 3]) expect(await nextMessage(nodes[i]!)).toMatchObject({ from: 1, message: { text: 'proposal A' } })
    expect(nodes[1]!.stats.sentFrames - frames).toBe(3)
  })

  it('drops a message the inspector ignores, and rejects garbage with a penalty', async () => {
    nodes[1]!.send(0, encode('stale'))
    nodes[1]!.send(0, new Uint8Array([0xff, 0x00, 0x13]))
    nodes[2]!.send(0, encode('after garbage'))
    const got = await nextMessage(nodes[0]!)
    expect(got).toMatchObject({ from: 2, message: { text: 'after garbage' } })
    await waitFor(() => events.some((e) => e.type === 'penalty' && e.peer === 1))
    // The stream goes on after a rejected message.
    nodes[1]!.send(0, encode('back again'))
    expect(await nextMessage(nodes[0]!)).toMatchObject({ from: 1, message: { text: 'back again' } })
  })

  it('reconnects to a validator that restarts, and delivers queued messages', async () => {
    await nodes[3]!.stop()
    nodes[0]!.send(3, encode('while you were away'))
    nodes[3] = await startTransport(3)
    for (const i of [0, 1, 2]) await nodes[i]!.setPeerAddresses(3, nodes[3]!.listenAddresses())
    const got = await nextMessage(nodes[3]!, 15_000)
    expect(got).toMatchObject({ from: 0, message: { text: 'while you were away' } })
  })

  it('carries a sidecar request and its answer on a stream of its own, and a one-way frame', async () => {
    const heard: { from: number, frame: Uint8Array }[] = []
    nodes[2]!.sidecars.serve(async (from, frame) => {
      heard.push({ from, frame })
      return frame[0] === 1 ? new Uint8Array(NODE_LIMITS.sidecarFrameBytesMax).fill(7) : null
    })
    const answer = await nodes[0]!.sidecars.request(2, Uint8Array.of(1, 2, 3), AbortSignal.timeout(5000))
    expect(answer.length).toBe(NODE_LIMITS.sidecarFrameBytesMax)
    expect(answer.every((b) => b === 7)).toBe(true)
    await nodes[1]!.sidecars.send(2, Uint8Array.of(9), AbortSignal.timeout(5000))
    await waitFor(() => heard.length === 2)
    expect(heard.map((h) => [h.from, [...h.frame]])).toEqual([[0, [1, 2, 3]], [1, [9]]])
    // A request answered with nothing fails; the consensus stream is untouched.
    await expect(nodes[0]!.sidecars.request(2, Uint8Array.of(0), AbortSignal.timeout(5000))).rejects.toThrow(/without an answer/)
    nodes[0]!.send(2, encode('after sidecars'))
    expect(await nextMessage(nodes[2]!)).toMatchObject({ from: 0, message: { text: 'after sidecars' } })
  })

  it('refuses to send oversized messages locally', () => {
    expect(() => nodes[0]!.send(1, new Uint8Array(LIMITS.messageBytesMax + 1))).toThrow(RangeError)
    expect(() => nodes[0]!.send(0, encode('self'))).toThrow(RangeError)
  })
})

describe('libp2p transport against a rogue validator and an outsider', () => {
  const events: TransportEvent[] = []
  let honest: Libp2pTransport<TestMessage>[] = []
  let rogue: Libp2p<{ identify: unknown }>
  let outsider: Libp2p

  beforeAll(async () => {
    honest = await Promise.all([0, 1, 2].map((i) => startTransport(i, i === 0 ? events : [])))
    await connectAll(honest)
    rogue = await createLibp2p({
      privateKey: await generateKeyPairFromSeed('Ed25519', seeds[3]!),
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: { identify: identify() },
    })
    outsider = await createLibp2p({
      privateKey: await generateKeyPairFromSeed('Ed25519', sha256(new TextEncoder().encode('outsider'))),
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
    })
    await waitFor(() => honest.every((n) => n.connectedPeers().length === 2))
  })

  afterAll(async () => {
    await Promise.all([...honest.map((n) => n.stop()), rogue.stop(), outsider.stop()])
  })

  it('refuses connections from a key outside the genesis', async () => {
    // The outsider's side may finish its half of the handshake; ours refuses it right after.
    await outsider.dial(multiaddr(honest[0]!.listenAddresses()[0]!)).catch(() => null)
    await waitFor(() => outsider.getConnections().length === 0)
    await expect(outsider.dialProtocol(multiaddr(honest[0]!.listenAddresses()[0]!), CONSENSUS_PROTOCOL)).rejects.toThrow()
  })

  it('survives an oversized frame, then a malformed frame', async () => {
    const target = multiaddr(honest[0]!.listenAddresses()[0]!)
    const stream = await rogue.dialProtocol(target, CONSENSUS_PROTOCOL)
    // Announce a frame one byte over the limit: the reader refuses at the length prefix.
    const varint = encodeVarint(LIMITS.messageBytesMax + 1)
    stream.send(varint)
    stream.send(new Uint8Array(1024))
    await waitFor(() => events.some((e) => e.type === 'penalty' && e.peer === 3 && e.reason.includes('frame')))
    // A well-framed message that does not decode.
    const stream2 = await rogue.dialProtocol(target, CONSENSUS_PROTOCOL)
    stream2.send(lp.encode.single(new Uint8Array([0xa1, 0x61])))
    await waitFor(() => events.filter((e) => e.type === 'penalty' && e.peer === 3).length >= 2)
    // Honest traffic still flows.
    honest[1]!.send(0, encode('still alive'))
    expect(await nextMessage(honest[0]!)).toMatchObject({ from: 1, message: { text: 'still alive' } })
  })

  it('penalises an oversized sidecar frame, and a sidecar stream from it is still served after', async () => {
    const target = multiaddr(honest[0]!.listenAddresses()[0]!)
    const stream = await rogue.dialProtocol(target, SIDECAR_PROTOCOL)
    stream.send(encodeVarint(NODE_LIMITS.sidecarFrameBytesMax + 1))
    stream.send(new Uint8Array(1024))
    await waitFor(() => events.some((e) => e.type === 'penalty' && e.peer === 3 && e.cause === 'oversized' && e.reason.startsWith('bad sidecar frame')))
    let served = 0
    honest[0]!.sidecars.serve(async () => {
      served++
      return Uint8Array.of(42)
    })
    const again = await rogue.dialProtocol(target, SIDECAR_PROTOCOL)
    again.send(lp.encode.single(Uint8Array.of(1)))
    for await (const frame of lp.decode(again)) {
      expect([...frame.slice()]).toEqual([42])
      break
    }
    expect(served).toBe(1)
  })

  it('speaks no gossip: a gossipsub stream is refused, and direct traffic goes on', async () => {
    const target = multiaddr(honest[1]!.listenAddresses()[0]!)
    for (const protocol of ['/meshsub/1.1.0', '/meshsub/1.0.0', '/floodsub/1.0.0']) {
      await expect(rogue.dialProtocol(target, protocol)).rejects.toThrow()
    }
    honest[2]!.send(1, encode('after gossip attempts'))
    expect(await nextMessage(honest[1]!)).toMatchObject({ from: 2, message: { text: 'after gossip attempts' } })
  })
})

function encodeVarint(value: number): Uint8Array {
  const out: number[] = []
  let rest = value
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80)
    rest = Math.floor(rest / 0x80)
  }
  out.push(rest)
  return Uint8Array.from(out)
}
