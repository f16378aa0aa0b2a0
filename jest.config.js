/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.[jt]s$': ['@swc/jest'] },
  // These packages are published as ES modules only: compile them like our own code.
  transformIgnorePatterns: ['/node_modules/(?!(iso-3166|jose|fauxqs)/)'],
  moduleNameMapper: {
    '^@orders/shared$': '<rootDir>/src/layers/shared/src/index.ts',
    '^@orders/shared/(.*)$': '<rootDir>/src/layers/shared/src/$1.ts',
    // Exported for `import` only; the compiled tests load it with require.
    '^fauxqs$': '<rootDir>/node_modules/fauxqs/dist/app.js',
  },
  globalSetup: '<rootDir>/tests/support/global-setup.ts',
  globalTeardown: '<rootDir>/tests/support/global-teardown.ts',
  setupFiles: ['<rootDir>/tests/support/aws-env.ts'],
  testTimeout: 30_000,
};
