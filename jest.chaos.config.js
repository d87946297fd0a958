/**
 * The reliability and security suite (issue #7): `npm run test:chaos`, sized by CHAOS_SIZE
 * (full | ci). Separate from jest.config.js, whose testMatch never picks up *.chaos.ts.
 * @type {import('jest').Config}
 */
module.exports = {
  rootDir: '.',
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform: { '^.+\\.ts$': ['ts-jest', { isolatedModules: true }] },
  testMatch: ['<rootDir>/test/chaos/**/*.chaos.ts'],
  // The regular suite's Postgres (plus the fault-injection one) and Kafka broker, and a private copy of dist/.
  globalSetup: '<rootDir>/test/chaos/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/chaos/support/global-teardown.ts',
  // One scenario at a time: each loads both cores, and the crash and restart scenarios time faults.
  maxWorkers: 1,
  testTimeout: 20 * 60_000,
};
