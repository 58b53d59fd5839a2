import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'deploy/aws-cdk/cdk.out/**',
      'deploy/aws-cdk/node_modules/**',
      '.tap/**',
      '.hookgate/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
  },
  {
    rules: {
      // tap's t.test() promises are awaited by tap itself (a plan or the end of the file).
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafePromises: [
            { from: 'package', name: 'PromiseWithSubtest', package: '@tapjs/core' },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // tap ends a subtest whose callback is sync only at t.end() or its plan: an async
    // callback, awaiting or not, is what ends it when it returns.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/require-await': 'off' },
  },
  {
    // Plain-JS scripts (test runner, bench entry, examples) run on Node, untyped.
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        fetch: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
      },
    },
  },
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  {
    // The CDK app's types live in its own node_modules, installed only for deploying
    // (and by .ci/run); `npm run --prefix deploy/aws-cdk check` type-checks it.
    files: ['deploy/aws-cdk/**/*.ts'],
    ...tseslint.configs.disableTypeChecked,
  },
);
