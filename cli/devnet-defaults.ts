// Flags a command may leave out next to a running devnet: the node URLs, the genesis and
// an agent identity come from its devnet.json (lookup order in sdk/devnet-file.ts and
// docs/operations.md). A flag given always wins.
import { DEVNET_DATA_DIR, DEVNET_DIR_ENV, findDevnetFile, type DevnetFile } from '../sdk/devnet-file.ts'

export class MissingFlagError extends Error {
  override readonly name = 'MissingFlagError'
  readonly flag: string
  constructor(flag: string, command: string) {
    super(`${command} needs ${flag} (or a running devnet: no devnet.json in $${DEVNET_DIR_ENV}, ./devnet.json or ./${DEVNET_DATA_DIR}/*/)`)
    this.flag = flag
  }
}

/** The devnet.json to fill missing flags from, found once per command; null when
 * nothing is missing (so a stale file cannot fail a command that gave every flag). */
export function devnetFor(missing: boolean, command: string, log: (line: string) => void = (l) => process.stderr.write(l + '\n')): DevnetFile | null {
  if (!missing) return null
  const file = findDevnetFile()
  if (file !== null) log(`${command}: using the devnet of ${file.path} (chain '${file.chainId}')`)
  return file
}

/** The flag's value, else the devnet's, else a MissingFlagError. */
export function flagOrDevnet<T>(value: T | undefined, devnet: DevnetFile | null, pick: (d: DevnetFile) => T, flag: string, command: string): T {
  if (value !== undefined) return value
  if (devnet !== null) return pick(devnet)
  throw new MissingFlagError(flag, command)
}
