import { describe, expect, it } from 'vitest'
import { transportValidators } from '../../node/runtime/transport-validators.ts'
import { NodeFatalError } from '../../node/runtime/errors.ts'
import { publicKeyFromSeed } from '../../src/crypto/ed25519.ts'
import { ValidatorDirectory } from '../../src/log/validator-directory.ts'
import { makeGenesis } from '../consensus/fixtures.ts'

describe('the transport\'s peers from the validator directory', () => {
  const { genesis } = makeGenesis(4)

  it('are the genesis validators at their directory indexes', () => {
    const directory = new ValidatorDirectory(genesis.validators)
    expect(transportValidators(directory, genesis)).toEqual(genesis.validators)
  })

  it('refuse a directory key outside the genesis set (the node has no address for it)', () => {
    const directory = new ValidatorDirectory(genesis.validators)
    directory.learn([{ publicKey: publicKeyFromSeed(new Uint8Array(32).fill(77)) }])
    expect(() => transportValidators(directory, genesis)).toThrow(NodeFatalError)
    expect(() => transportValidators(directory, genesis)).toThrow(/index 4/)
  })
})
