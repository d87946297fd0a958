// @ts-check
import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.data/', '.cache/', '.scratch/', 'coverage/', 'bench/results/'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: { parserOptions: { projectService: false } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    // Each table's owner is the only code that talks to the database (docs/architecture.md); everyone
    // else uses the owners' services. test/unit/architecture.spec.ts checks the SQL itself, and that
    // this rule refuses a planted import.
    files: ['src/**/*.ts'],
    ignores: [
      'src/event-store/**',
      'src/ingest/dead-letters/dead-letter-store.ts',
      'src/replay/jobs/**',
      'src/local-infra/**',
      'src/migrate.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['typeorm', 'typeorm/*', '@nestjs/typeorm', 'pg', 'pg/*'],
              message: "Only a table's owner talks to the database: use the owner's service (docs/architecture.md).",
            },
            {
              group: [
                '**/event-store/append-statements',
                '**/event-store/log/stored-event-row',
                '**/event-store/migrations/*',
              ],
              message:
                "The event store's SQL is private: use EventStore, EventLogReader, ProjectionStore or OperatorReads.",
            },
          ],
        },
      ],
    },
  },
  {
    files: ['scripts/**', 'bench/**'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: {
      globals: { module: 'writable', require: 'readonly', process: 'readonly', __dirname: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
