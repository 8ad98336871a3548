// The `synod` command line. Each subcommand lives in its own file under commands/ and
// registers itself on the program; this file only assembles them and reports errors.
import { Command, CommanderError } from 'commander'
import { commands } from './commands/index.ts'

const program = new Command()
  .name('synod')
  .description('Synod: a Byzantine-fault-tolerant decision log for federated AI agents')
  .showHelpAfterError()
  .exitOverride()

for (const register of commands) register(program)

try {
  await program.parseAsync(process.argv)
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode)
  const e = err as Error
  process.stderr.write(`synod: ${e.name === 'Error' ? '' : `${e.name}: `}${e.message}\n`)
  process.exit(1)
}
