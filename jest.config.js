/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.[jt]s$': ['@swc/jest'] },
  // iso-3166 is published as ES modules only: compile it like our own code.
  transformIgnorePatterns: ['/node_modules/(?!iso-3166/)'],
  moduleNameMapper: {
    '^@orders/shared$': '<rootDir>/src/layers/shared/src/index.ts',
    '^@orders/shared/(.*)$': '<rootDir>/src/layers/shared/src/$1.ts',
  },
  globalSetup: '<rootDir>/tests/support/global-setup.ts',
  globalTeardown: '<rootDir>/tests/support/global-teardown.ts',
  setupFiles: ['<rootDir>/tests/support/aws-env.ts'],
  testTimeout: 30_000,
};
