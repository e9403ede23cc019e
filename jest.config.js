/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The shipped artifacts (the image, the packed package) have their own npm scripts
  // (test:image, test:consumer), each run by .ci/run: they build and install for minutes.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/image/', '<rootDir>/test/consumer/'],
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
