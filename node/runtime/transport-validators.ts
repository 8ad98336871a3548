// The transport's peers from the replica's validator directory: who may connect, and which
// directory index a connection's authenticated key is (the `from` of what it sends;
// docs/protocol.md, "The replica at the boundary", step 6). The node knows addresses only
// for the genesis validators, which is all its directory holds while it refuses
// reconfigurations (the default and only mode of the daemon).
import { toHex } from '../../src/crypto/hash.ts'
import type { Genesis } from '../../src/log/genesis.ts'
import type { ValidatorDirectory } from '../../src/log/validator-directory.ts'
import type { ValidatorInfo } from '../../src/log/validator-set.ts'
import { NodeFatalError } from './errors.ts'

/** Each directory key's validator (name, key, addresses), in directory order. A key
 * outside the genesis set is refused: the node cannot connect to a validator a
 * reconfiguration added (nothing gives it their addresses yet). */
export function transportValidators(directory: ValidatorDirectory, genesis: Genesis): ValidatorInfo[] {
  const byKey = new Map(genesis.validators.map((v) => [toHex(v.publicKey), v]))
  return directory.keys.map((key, index) => {
    const validator = byKey.get(toHex(key))
    if (validator === undefined) throw new NodeFatalError(`validator directory index ${index} is not a genesis validator: this node connects to the genesis set only`)
    return validator
  })
}
