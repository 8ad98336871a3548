// synod keygen: a new Ed25519 key (validator or agent) in a file of mode 0600.
import type { Command } from 'commander'
import { toHex } from '../../src/crypto/hash.ts'
import { peerIdStringOf } from '../../node/net/validator-directory.ts'
import { ConfigError } from '../../node/runtime/errors.ts'
import { generateKey, KEY_KINDS, writeKeyFile, type KeyKind } from '../../node/runtime/key-file.ts'

export function registerKeygen(program: Command): void {
  program.command('keygen')
    .description('create a new Ed25519 key file (mode 0600; never overwrites)')
    .requiredOption('--out <file>', 'where to write the key file')
    .option('--kind <kind>', `key kind: ${KEY_KINDS.join(' or ')}`, 'validator')
    .option('--json', 'print the public key as one JSON object')
    .action(async (opts: { out: string, kind: string, json?: boolean }) => {
      if (!(KEY_KINDS as readonly string[]).includes(opts.kind)) throw new ConfigError(`--kind must be one of ${KEY_KINDS.join(', ')}, not '${opts.kind}'`)
      if (opts.out.trim() === '') throw new ConfigError('--out needs a file name')
      const key = generateKey(opts.kind as KeyKind)
      await writeKeyFile(opts.out, key)
      const publicKey = toHex(key.publicKey)
      const peerId = peerIdStringOf(key.publicKey)
      if (opts.json === true) process.stdout.write(JSON.stringify({ file: opts.out, kind: key.kind, publicKey, peerId }) + '\n')
      else process.stdout.write(`wrote ${key.kind} key ${opts.out}\npublic key: ${publicKey}\n${key.kind === 'validator' ? `peer id:    ${peerId}\n` : ''}`)
    })
}
