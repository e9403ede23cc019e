// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'jest.config.js', 'test/support/global-*.js'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-restricted-imports': 'off',
    },
  },
  {
    // The core stays pure: no framework, file system or process access.
    files: ['lib/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['cdk8s', 'cdk8s-plus-*', 'constructs', '@pulumi/*'],
              message: 'lib/core must not import a framework',
            },
            { group: ['fs', 'node:*', 'child_process', 'os', 'path'], message: 'lib/core does no I/O' },
          ],
        },
      ],
      'no-restricted-globals': ['error', 'process'],
    },
  },
);
