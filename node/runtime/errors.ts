/** A configuration, key or genesis file problem: the message says which file and field. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
}

/** The node cannot go on (storage failure, broken invariant): it stops. */
export class NodeFatalError extends Error {
  override readonly name = 'NodeFatalError'
}

/** The node's submission queue is full: the client should retry later. */
export class QueueFullError extends Error {
  override readonly name = 'QueueFullError'
}
