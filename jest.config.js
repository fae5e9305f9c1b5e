/** Specs are TypeScript, compiled by ts-jest without type-checking (tsc --noEmit checks types once in `npm test`). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/spec'],
  testMatch: ['**/*.spec.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { diagnostics: false, tsconfig: { module: 'commonjs', moduleResolution: 'node10', isolatedModules: true } }],
    // tfjs-core's gradient functions ship only as ES modules (dist/register_all_gradients.js and what it imports);
    // reference/crosscheck.ts imports them for tf.grads, so jest compiles those files to CommonJS. They register
    // into tfjs's global registry, which the CommonJS bundle (dist/tf-core.node.js) shares.
    '^.+/@tensorflow/tfjs-core/dist/.+\\.js$': [
      'ts-jest',
      { diagnostics: false, tsconfig: { allowJs: true, module: 'commonjs', moduleResolution: 'node10', isolatedModules: true } },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!@tensorflow/tfjs-core/dist/(?!tf-core))'],
  testTimeout: 60000,
};
