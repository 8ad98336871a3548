// The DSL's one error: a scenario that does not validate, with every problem listed.

export class ScenarioError extends Error {
  override readonly name = 'ScenarioError'
  readonly scenario: string
  readonly problems: readonly string[]

  constructor(scenario: string, problems: readonly string[]) {
    super(`scenario '${scenario}' is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.scenario = scenario
    this.problems = problems
  }
}
