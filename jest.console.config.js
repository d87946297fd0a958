/**
 * The console's browser tests (`npm run test:console`): Debian's Chromium (CHROMIUM_PATH,
 * default /usr/bin/chromium) driven by playwright-core against the built service, a real
 * Postgres and a real Kafka broker. One file at a time: a browser per file is enough load.
 * @type {import('jest').Config}
 */
module.exports = {
  rootDir: '.',
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform: { '^.+\\.ts$': ['ts-jest', { isolatedModules: true }] },
  testMatch: ['<rootDir>/test/console/**/*.browser.ts'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 120_000,
  maxWorkers: 1,
};
