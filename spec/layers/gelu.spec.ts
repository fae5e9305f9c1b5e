/**
 * GELU (src/layers/gelu.ts): the forward pass against x Phi(x) in float64 (erf by its Taylor series), dx against
 * autodiff of the twin on seeded shapes and against centred differences, and no leaked tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../support/backend';
import { Rng } from '../../src/random';
import { geluBackward, geluForward } from '../../src/layers/gelu';
import { geluRef } from '../../reference/layers_dense';
import { autodiffGrads, compareGrads } from '../../reference/crosscheck';
import { NUMERIC_BOUND, numericGradientArray, relError } from '../../src/gradcheck';
import { expectAllPass } from '../support/expect';

beforeAll(async () => {
  await useBackend();
});

/** erf(x) in float64 from its Maclaurin series (converges for every x; enough terms for |x| <= 6). */
function erf64(x: number): number {
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

describe('geluForward', () => {
  it('is x Phi(x) to float32 rounding', () => {
    tf.tidy(() => {
      const xs = Array.from({ length: 41 }, (_, i) => -5 + i * 0.25);
      const out = geluForward(tf.tensor1d(xs)).out.dataSync();
      xs.forEach((x, i) => expect(Math.abs(out[i] - 0.5 * x * (1 + erf64(x / Math.SQRT2)))).toBeLessThan(2e-6 * Math.max(1, Math.abs(x))));
    });
  });
});

describe('geluBackward', () => {
  it.each([[[4, 7]], [[2, 5, 5, 3]], [[13]]])('dx matches autodiff for x %j', (shape) => {
    tf.tidy(() => {
      const rng = new Rng(shape.reduce((a, b) => a * 31 + b, 0));
      const x = rng.randn(shape, 2);
      const dout = rng.randn(shape);
      const hand = geluBackward(dout, geluForward(x).cache);
      expectAllPass(compareGrads('gelu', { x: hand.dx }, autodiffGrads((t) => geluRef(t.x), { x }, dout)));
    });
  });

  it('passes a numeric gradient check', () => {
    tf.tidy(() => {
      const rng = new Rng(5);
      const x = rng.randn([5, 8], 2);
      const dout = rng.randn([5, 8]);
      const { dx } = geluBackward(dout, geluForward(x).cache);
      expect(relError(numericGradientArray((t) => geluForward(t).out, x, dout), dx).norm).toBeLessThan(NUMERIC_BOUND);
    });
  });

  it('leaves no tensors behind', () => {
    const rng = new Rng(3);
    const x = rng.randn([4, 6]);
    const dout = rng.randn([4, 6]);
    const before = tf.memory().numTensors;
    const { out, cache } = geluForward(x);
    const { dx } = geluBackward(dout, cache);
    expect(tf.memory().numTensors - before).toBe(2);
    tf.dispose([out, dx, x, dout]);
  });
});
