/**
 * The lint rule that keeps typed arrays out of tf.tidy's return value (eslint/no-typed-array-from-tidy.js, on for
 * every file `npm run lint` checks): it reports each way of returning one, and leaves alone what tidy may return.
 */
import { Linter } from 'eslint';

// The project's flat config, as `npm run lint` loads it (CommonJS, so require works under jest, where ESLint's own
// config loader, a dynamic import, does not).
const config = require('../eslint.config.js') as Linter.Config[];

/** The lines the rule reports in code linted with the project's config as if it were runtime/vis/figures.ts. */
function ruleMessages(code: string): number[] {
  const linter = new Linter({ configType: 'flat' });
  return linter
    .verify(code, config, 'runtime/vis/figures.ts')
    .filter((m) => m.ruleId === 'local/no-typed-array-from-tidy' || m.fatal)
    .map((m) => (m.fatal ? -1 : m.line));
}

const header = "import * as tf from '@tensorflow/tfjs-core';\ndeclare const t: tf.Tensor;\n";

describe('no typed array from tf.tidy', () => {
  it.each([
    ['an expression body', 'export const a = tf.tidy(() => tf.add(t, 1).dataSync());'],
    ['a cast', 'export const a = tf.tidy(() => tf.argMax(t, 1).dataSync() as Int32Array);'],
    ['a return statement', 'export const a = tf.tidy(() => {\n  const u = tf.add(t, 1);\n  return u.dataSync();\n});'],
    ['a new typed array', 'export const a = tf.tidy(() => new Float32Array(tf.add(t, 1).dataSync()));'],
    ['Float32Array.from', 'export const a = tf.tidy(() => Float32Array.from(tf.add(t, 1).dataSync()));'],
  ])('reports one returned through %s', (_how, code) => {
    expect(ruleMessages(header + code)).toHaveLength(1);
  });

  it.each([
    ['a tensor', 'export const a = tf.tidy(() => tf.add(t, 1));'],
    ['one number', 'export const a = tf.tidy(() => tf.sum(t).dataSync()[0]);'],
    ['a typed array read after tidy', 'const u = tf.tidy(() => tf.add(t, 1));\nexport const a = u.dataSync();\nu.dispose();'],
    ['a nested function that returns one', 'export const a = tf.tidy(() => {\n  const read = () => t.dataSync();\n  return tf.scalar(read()[0]);\n});'],
  ])('leaves alone %s', (_what, code) => {
    expect(ruleMessages(header + code)).toEqual([]);
  });
});
