// The list of subcommands. Adding a command: one file in this folder, one line here.
import type { Command } from 'commander'
import { registerAudit } from './audit.ts'
import { registerVerifyReceipt } from './verify-receipt.ts'

export type RegisterCommand = (program: Command) => void

export const commands: RegisterCommand[] = [
  registerAudit,
  registerVerifyReceipt,
]
