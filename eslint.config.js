// Lint rules. The one that matters most: src/ is the sans-IO core. It must never
// touch the clock, the scheduler, randomness, the network, the disk or the process,
// so that the node and the deterministic simulator drive the very same code.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

const ioModules = [
  'node:fs', 'node:fs/promises', 'fs', 'fs/promises', 'node:net', 'net', 'node:http', 'http',
  'node:https', 'https', 'node:child_process', 'child_process', 'node:worker_threads',
  'worker_threads', 'node:timers', 'timers', 'node:timers/promises', 'node:os', 'os',
  'node:dgram', 'node:process', 'process', 'node:perf_hooks', 'perf_hooks', 'node:crypto', 'crypto',
  'node:module', 'module',
]
const sansIoGlobals = ['setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval',
  'queueMicrotask', 'Date', 'performance', 'process', 'fetch', 'crypto', 'require', 'Buffer']
const restrictedGlobals = (names) =>
  names.map((name) => ({ name, message: `src/ is sans-IO: '${name}' is not allowed here.` }))
const ioPackages = ['libp2p', '@libp2p/*', '@chainsafe/*', 'level', 'classic-level', 'it-*', 'pino', 'prom-client']

export default tseslint.config(
  { ignores: ['node_modules/**', 'bench/results/**', 'dist/**', 'coverage/**', '.stryker-tmp/**', 'reports/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['bin/**/*.js', 'stryker.config.mjs'],
    languageOptions: { globals: { process: 'readonly', URL: 'readonly' } },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: ioModules.map((name) => ({ name, message: 'src/ is sans-IO: no I/O, clocks or randomness (see docs/architecture.md).' })),
        patterns: [{ group: ioPackages, message: 'src/ is sans-IO: networking and storage live in node/.' }],
      }],
      'no-restricted-globals': ['error', ...restrictedGlobals(sansIoGlobals)],
      'no-restricted-properties': ['error',
        { object: 'Math', property: 'random', message: 'src/ is deterministic: randomness comes in as a seed.' },
      ],
    },
  },
  {
    // The one exception: Node's built-in crypto (and libsodium's verify, loaded through
    // node:module) is pure computation on the hot path. It may import node:crypto and
    // node:module, but nothing random from them (keys come from seeds).
    files: ['src/crypto/impl-node.ts', 'src/crypto/impl-sodium.ts'],
    rules: {
      'no-restricted-imports': 'off',
      'no-restricted-globals': ['error', ...restrictedGlobals(sansIoGlobals.filter((name) => name !== 'Buffer'))],
      'no-restricted-syntax': ['error', {
        selector: "ImportSpecifier[imported.name=/^(random|generateKeyPair)/]",
        message: 'src/ is deterministic: keys and nonces come in as seeds.',
      }],
    },
  },
)
