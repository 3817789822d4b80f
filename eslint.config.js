import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['node_modules/**', '.build/**', '.serverless/**', 'coverage/**', '.data/**', 'test-output/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-imports': 'off',
    },
  },
  {
    // The dashboard runs in the browser.
    files: ['dashboard/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // domain/ is pure: no SDK, no I/O, no clock, no randomness.
    files: ['domain/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['@aws-sdk/*', 'electrodb', 'node:*', 'fs', 'http', '../functions/*', '../local/*'] }],
      'no-restricted-globals': ['error', { name: 'Date', message: 'domain/ takes time as an argument' }],
      'no-restricted-properties': ['error', { object: 'Math', property: 'random', message: 'domain/ is deterministic' }],
    },
  },
);
