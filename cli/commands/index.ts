// The list of subcommands. Adding a command: one file in this folder, one line here.
import type { Command } from 'commander'
import { registerAudit } from './audit.ts'
import { registerExport } from './export.ts'
import { registerDevnet } from './devnet.ts'
import { registerGenesis } from './genesis.ts'
import { registerKeygen } from './keygen.ts'
import { registerStart } from './start.ts'
import { registerMcp } from './mcp.ts'
import { registerVerifyReceipt } from './verify-receipt.ts'
import { registerSimulate } from './simulate.ts'
import { registerScenario } from './scenario.ts'
import { registerStore } from './store.ts'
import { registerDecisions } from './decisions.ts'
import { registerSealed } from './sealed.ts'
import { registerReconfigure } from './reconfigure.ts'

export type RegisterCommand = (program: Command) => void

export const commands: RegisterCommand[] = [
  registerKeygen,
  registerGenesis,
  registerStart,
  registerDevnet,
  registerAudit,
  registerExport,
  registerMcp,
  registerVerifyReceipt,
  registerSimulate,
  registerScenario,
  registerStore,
  registerDecisions,
  registerSealed,
  registerReconfigure,
]
