// Reading the files the CLI is given, with errors that say which file and what is wrong.
import { readFileSync } from 'node:fs'
import { genesisFromJson, type Genesis } from '../src/log/genesis.ts'

export class InputFileError extends Error {
  override readonly name = 'InputFileError'
}

export function readJsonFile(path: string, what: string): unknown {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new InputFileError(`cannot read the ${what} file '${path}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new InputFileError(`the ${what} file '${path}' is not JSON: ${(err as Error).message}`)
  }
}

export function loadGenesis(path: string): Genesis {
  const json = readJsonFile(path, 'genesis')
  try {
    return genesisFromJson(json)
  } catch (err) {
    throw new InputFileError(`the genesis file '${path}' is invalid: ${(err as Error).message}`)
  }
}
