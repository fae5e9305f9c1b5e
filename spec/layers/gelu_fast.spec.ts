/**
 * The fast GELU (src/layers/gelu_fast.ts) against the course-style layer (src/layers/gelu.ts): the same output and
 * the same dx, bit for bit, on seeded inputs of several shapes; the slope skipped when asked; no leaked tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../support/backend';
import { Rng } from '../../src/random';
import { geluBackward, geluForward } from '../../src/layers/gelu';
import { geluBackwardFast, geluForwardFast } from '../../src/layers/gelu_fast';

beforeAll(async () => {
  await useBackend();
});

describe('geluForwardFast / geluBackwardFast', () => {
  it.each([[[4, 7]], [[2, 5, 5, 3]], [[13]]])('give gelu.ts\'s out and dx bit for bit for x %j', (shape) => {
    const rng = new Rng(shape.length);
    tf.tidy(() => {
      const size = shape.reduce((a, b) => a * b, 1);
      const x = tf.tensor(rng.normalArray(size).map((v) => 2 * v), shape);
      const dout = tf.tensor(rng.normalArray(size), shape);
      const plain = geluForward(x);
      const fast = geluForwardFast(x);
      expect(Array.from(fast.out.dataSync())).toEqual(Array.from(plain.out.dataSync()));
      expect(Array.from(geluBackwardFast(dout, fast.cache).dx.dataSync())).toEqual(Array.from(geluBackward(dout, plain.cache).dx.dataSync()));
    });
  });

  it('skips the slope for scoring, and then refuses to go backward', () => {
    tf.tidy(() => {
      const x = tf.tensor1d([-1, 0, 2]);
      const { out, cache } = geluForwardFast(x, false);
      expect(cache.slope).toBeNull();
      expect(Array.from(out.dataSync())).toEqual(Array.from(geluForward(x).out.dataSync()));
      expect(() => geluBackwardFast(x, cache)).toThrow(/gelu backward fast: the forward pass ran with withSlope = false/);
      expect(() => geluBackwardFast(tf.zeros([2]), geluForwardFast(x).cache)).toThrow(/gelu backward fast/);
    });
  });

  it('leaks no tensor over a forward and backward pass', () => {
    const x = tf.randomNormal([3, 4]);
    const dout = tf.randomNormal([3, 4]);
    const before = tf.memory().numTensors;
    const { out, cache } = geluForwardFast(x);
    const { dx } = geluBackwardFast(dout, cache);
    tf.dispose([out, dx, cache.slope as tf.Tensor]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, dout]);
  });
});
