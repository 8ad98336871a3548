// Finding a scenario by library name or loading it from a .ts/.js module (default export:
// a defineScenario() result, or a plain spec that is validated here).
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { isScenario } from '../dsl/builders.ts'
import { validateScenario } from '../dsl/validate.ts'
import type { Scenario, ScenarioSpec } from '../dsl/types.ts'
import { LIBRARY, libraryScenario } from '../library/index.ts'

export class ScenarioNotFoundError extends Error {
  override readonly name = 'ScenarioNotFoundError'
}

export interface LoadedScenario {
  readonly scenario: Scenario
  /** How replay commands name it: the library name, or the path as given. */
  readonly source: string
}

export async function loadScenario(nameOrFile: string): Promise<LoadedScenario> {
  const known = libraryScenario(nameOrFile)
  if (known !== undefined) return { scenario: known, source: nameOrFile }
  const looksLikeFile = /\.(ts|js|mjs|mts)$/.test(nameOrFile) || nameOrFile.includes('/')
  if (!looksLikeFile) {
    throw new ScenarioNotFoundError(`no library scenario '${nameOrFile}' (and it is not a .ts/.js file); library: ${LIBRARY.map((s) => s.name).join(', ')}`)
  }
  const path = resolve(nameOrFile)
  if (!existsSync(path)) throw new ScenarioNotFoundError(`scenario file '${nameOrFile}' does not exist`)
  const module = (await import(pathToFileURL(path).href)) as { default?: unknown }
  const value = module.default
  if (value === undefined) throw new ScenarioNotFoundError(`scenario file '${nameOrFile}' has no default export (export default defineScenario({...}))`)
  const scenario = isScenario(value) ? validateScenario(value.spec) : validateScenario(value as ScenarioSpec)
  return { scenario, source: nameOrFile }
}
