/** A configuration, key or genesis file problem: the message says which file and field. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
}

/** The node cannot go on (storage failure, broken invariant): it stops. */
export class NodeFatalError extends Error {
  override readonly name = 'NodeFatalError'
}
