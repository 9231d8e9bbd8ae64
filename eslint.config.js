// Type-aware lint: floating promises and import cycles are the failures tests rarely catch.
import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import { importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

const DECISION_CODE = ['plan', 'plan-types', 'reconcile', 'instance-state', 'decide', 'outcomes', 'batching', 'backoff', 'why', 'instances', 'view', 'terminate', 'resources', 'facts']
  .map((f) => `./src/head/autoscaler/${f}.ts`);
const ALL_SRC_BUT = (...keep) => ['head', 'cli', 'commands', 'launcher', 'updater', 'worker', 'client', 'runtime', 'config', 'protocol']
  .filter((d) => !keep.includes(d)).map((d) => `./src/${d}`);

const DEPENDENCY_RULES = [
  // Every worker process loads the client: it carries nothing of the head, the CLI or the clouds.
  { target: './src/client', from: ['./src/head', './src/cli', './src/commands', './src/launcher', './src/updater', './providers'], message: 'the job API never imports the head, the CLI, the updater or providers' },
  // Decision code is pure: what it needs of providers or the wire lives in src/common.
  { target: DECISION_CODE, from: ['./providers', './src/updater', './src/protocol'], message: 'decision code never imports providers, the updater or protocol (shared types live in src/common)' },
  { target: './providers', from: ['./src/head', './src/cli', './src/commands', './src/launcher'], message: 'providers never import the head or the CLI' },
  // The wire format speaks only pure types: common/, and the cluster config's types it carries.
  { target: './src/protocol', from: [...ALL_SRC_BUT('protocol', 'config'), './providers'], message: 'protocol imports only pure types of common/ (and the config\'s types)' },
  { target: './src/protocol', from: './src/config', except: ['./types.ts'], message: 'protocol imports only the config\'s types' },
  { target: './src/commands', from: ['./providers'], message: 'commands never touch a provider: they go through the launcher' },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    settings: {
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.tsx'] },
      'import-x/extensions': ['.ts', '.tsx', '.js'],
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-self-import': 'error',
      // The design's dependency rules, so a change that breaks one fails lint instead of waiting for a review.
      'import-x/no-restricted-paths': ['error', { basePath: import.meta.dirname, zones: DEPENDENCY_RULES }],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', require: 'readonly', module: 'writable', __dirname: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
