/** Specs are TypeScript, compiled by ts-jest without type-checking (tsc --noEmit checks types once in `npm test`). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/spec'],
  testMatch: ['**/*.spec.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { diagnostics: false, tsconfig: { module: 'commonjs', moduleResolution: 'node10', isolatedModules: true } }],
  },
  testTimeout: 60000,
};
