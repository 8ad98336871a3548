import { describe, expect, it } from 'vitest'
import { PeerBook, transportValidators } from '../../node/runtime/transport-validators.ts'
import { publicKeyFromSeed } from '../../src/crypto/ed25519.ts'
import { ValidatorDirectory } from '../../src/log/validator-directory.ts'
import { makeGenesis } from '../consensus/fixtures.ts'

describe('the transport\'s peers from the validator directory', () => {
  const { genesis } = makeGenesis(4)
  const joiner = { name: 'v4', publicKey: publicKeyFromSeed(new Uint8Array(32).fill(77)), addresses: ['/ip4/127.0.0.1/tcp/7004'] }

  it('are the genesis validators at their directory indexes', () => {
    const directory = new ValidatorDirectory(genesis.validators)
    expect(transportValidators(directory, new PeerBook(genesis))).toEqual(genesis.validators)
  })

  it('give a key a committed reconfiguration added the addresses its validator list names', () => {
    const directory = new ValidatorDirectory(genesis.validators)
    directory.learn([joiner])
    const book = new PeerBook(genesis)
    book.note([...genesis.validators, joiner])
    expect(transportValidators(directory, book)).toEqual([...genesis.validators, joiner])
    expect(transportValidators(directory, book, 4)).toEqual([joiner])
  })

  it('give a directory key the book does not hold no addresses (accepted, not dialled)', () => {
    const directory = new ValidatorDirectory(genesis.validators)
    directory.learn([joiner])
    const peers = transportValidators(directory, new PeerBook(genesis))
    expect(peers[4]).toEqual({ name: 'validator-4', publicKey: joiner.publicKey, addresses: [] })
  })
})
