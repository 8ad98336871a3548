// The arrows between the rooms of the tree (docs/architecture.md), checked by
// `npm run depcruise` as part of `npm test`. Each rule names a forbidden arrow and why;
// type-only imports count (tsPreCompilationDeps), since they couple the rooms as well.
//
//   cli/        the composition root: may import every room
//   bench/      -> node/, devnet/, audit/, sdk/, src/, test/support/
//   scenarios/  -> node/ (the simulator drives the daemon's runtime, store and transport
//                  interfaces), devnet/ (the net backend only), src/
//   devnet/     -> node/, src/
//   sdk/        -> audit/, src/
//   node/       -> src/
//   audit/      -> src/
//   src/        the sans-IO core: imports nothing above it
const rooms = ['src', 'audit', 'node', 'devnet', 'sdk', 'scenarios', 'bench', 'cli', 'test', 'scripts']
const except = (...allowed) => `^(${rooms.filter((room) => !allowed.includes(room)).join('|')})/`

/** A rule: files under `from` may import only the rooms in `allowed` (and their own). */
const only = (from, allowed, comment) => ({
  name: `${from}-imports-only-${allowed.join('-') || 'itself'}`,
  comment,
  severity: 'error',
  from: { path: `^${from}/` },
  to: { path: except(from, ...allowed) },
})

export default {
  forbidden: [
    only('src', [], 'src/ is the pure core every other room builds on: it imports nothing above it.'),
    only('audit', ['src'], "The auditor's pipeline runs anywhere (CLI, MCP server, browser): only the core, no daemon, and its worker pool is injected."),
    only('node', ['src'], 'node/ is the validator daemon only: it knows the core, not the tools, drivers or clients around it.'),
    only('devnet', ['node', 'src'], 'devnet/ launches real validator processes; it is used by the CLI, the scenario net backend, benchmarks and tests, and uses none of them.'),
    only('sdk', ['audit', 'src'], 'The client SDK (and its MCP server) talks to nodes over HTTP: it never imports the daemon, the drivers or the CLI.'),
    only('scenarios', ['node', 'devnet', 'src'], 'The scenario drivers drive the core, the daemon\'s own runtime under simulation (node/: runtime, store, transport interface), or real processes through devnet/; never the SDK or the CLI.'),
    {
      name: 'scenarios-devnet-only-from-net',
      comment: 'Only the net backend (scenarios/net/) runs real processes; the simulator and the rest are in-process.',
      severity: 'error',
      from: { path: '^scenarios/', pathNot: '^scenarios/net/' },
      to: { path: '^devnet/' },
    },
    only('bench', ['node', 'devnet', 'audit', 'sdk', 'src', 'test'], 'Benchmarks measure the rooms below the CLI; not the CLI or the scenario drivers.'),
    {
      name: 'bench-test-support-only',
      comment: 'Benchmarks may reuse the test fixtures in test/support/ (chain builders), never the tests themselves.',
      severity: 'error',
      from: { path: '^bench/' },
      to: { path: '^test/', pathNot: '^test/support/' },
    },
    {
      name: 'no-test-code-in-production',
      comment: 'Test doubles and fixtures live under test/; production code never imports them.',
      severity: 'error',
      from: { path: '^(src|audit|node|devnet|sdk|scenarios|cli)/' },
      to: { path: '^(test|bench|scripts)/' },
    },
    {
      name: 'no-circular',
      comment: 'No import cycles: each module can be understood, tested and loaded after the ones it imports.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'Every import resolves (a moved file leaves no dangling import behind).',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|bench/results|coverage|dist)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      // synod-source first: the package's own imports (synod/sdk in examples and tests)
      // resolve to the sources, as in development, not to a build that may not exist.
      conditionNames: ['synod-source', 'import', 'node', 'default'],
      extensions: ['.ts', '.js', '.json'],
    },
  },
}
