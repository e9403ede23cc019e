/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  globalSetup: '<rootDir>/test/support/global-setup.js',
  globalTeardown: '<rootDir>/test/support/global-teardown.js',
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
  },
  // The e2e suite drives real keepalived daemons in network namespaces; those tests own the
  // whole host network stack for a while, so suites never run side by side with them.
  maxWorkers: 2,
  testTimeout: 30000,
};
