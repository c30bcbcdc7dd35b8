// Lint for bugs, not for looks (layout is Prettier's): ESLint's and typescript-eslint's recommended rules, with the
// type-aware ones (promises left floating or handed where a callback's result is dropped, awaits of non-promises).
import js from '@eslint/js'
import { defineConfig } from 'eslint/config'
import globals from 'globals'
import tseslint from 'typescript-eslint'

export default defineConfig(
  { ignores: ['dist/', 'node_modules/', 'fixtures/', 'public/', '.bench/', '.cache/'] },
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  // the few plain scripts (the build, child processes of the tests): ESLint's own rules, with Node's globals
  { files: ['**/*.mjs'], extends: [js.configs.recommended], languageOptions: { globals: globals.node } },
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // node:test's test() and describe() return promises the runner itself awaits
      '@typescript-eslint/no-floating-promises': ['error', { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] }] }],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // Parsed JSON and foreign payloads are typed `any` on purpose where a schema checks them next; these rules would
      // ask for a cast on every such line and find no bug.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // a cast the compiler no longer needs is harmless
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      // an async function without await still turns its throw into a rejection, which callers rely on
      '@typescript-eslint/require-await': 'off',
      // matching control characters is what the terminal and input sanitisers are for
      'no-control-regex': 'off',
      // a variable set once the server listens, read by handlers made before
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
)
