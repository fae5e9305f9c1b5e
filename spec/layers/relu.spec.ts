/**
 * ReLU, as the notebook checks it: forward on a hand-computed case, dx against tfjs autodiff on seeded random
 * shapes, a numeric gradient check away from the kink, the subgradient at 0, errors, and no leaked tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../support/backend';
import { Rng } from '../../src/random';
import { reluForward, reluBackward } from '../../src/layers/relu';
import { reluRef } from '../../reference/layers_dense';
import { autodiffGrads, compareGrads } from '../../reference/crosscheck';
import { NUMERIC_BOUND, NUMERIC_STEP, numericGradientArray, relError } from '../../src/gradcheck';
import { expectAllPass } from '../support/expect';

beforeAll(async () => {
  await useBackend();
});

describe('reluForward', () => {
  it('matches a hand-computed case', () => {
    tf.tidy(() => {
      const x = tf.tensor2d([
        [-2, -0.5, 0],
        [0.5, 2, -1e-3],
      ]);
      expect(Array.from(reluForward(x).out.dataSync())).toEqual([0, 0, 0, 0.5, 2, 0]);
    });
  });
});

describe('reluBackward', () => {
  const shapes: [number[]][] = [[[1, 5]], [[4, 7]], [[3, 5, 5, 2]], [[13]]];
  it.each(shapes)('dx matches autodiff for x %j', (shape) => {
    tf.tidy(() => {
      const rng = new Rng(shape.reduce((a, b) => a * 31 + b, 0));
      const x = rng.randn(shape);
      const dout = rng.randn(shape);
      const hand = reluBackward(dout, reluForward(x).cache);
      expectAllPass(compareGrads('relu', { x: hand.dx }, autodiffGrads((t) => reluRef(t.x), { x }, dout)));
    });
  });

  it('passes a numeric gradient check away from the kink', () => {
    tf.tidy(() => {
      const rng = new Rng(11);
      // Keep every entry at least 5 steps from 0, so the centred difference never straddles the kink.
      const raw = rng.normalArray(40);
      const x = tf.tensor(raw.map((v) => Math.sign(v) * (Math.abs(v) + 5 * NUMERIC_STEP)), [5, 8]);
      const dout = rng.randn([5, 8]);
      const { dx } = reluBackward(dout, reluForward(x).cache);
      const numeric = numericGradientArray((t) => reluForward(t).out, x, dout);
      expect(relError(numeric, dx).norm).toBeLessThan(NUMERIC_BOUND);
    });
  });

  it('passes no gradient at exactly 0 (the subgradient the course takes)', () => {
    tf.tidy(() => {
      const x = tf.tensor1d([-1, 0, 1]);
      const { dx } = reluBackward(tf.ones([3]), reluForward(x).cache);
      expect(Array.from(dx.dataSync())).toEqual([0, 0, 1]);
    });
  });

  it('leaves no tensors behind and frees its temporaries', () => {
    const rng = new Rng(3);
    const x = rng.randn([4, 6]);
    const dout = rng.randn([4, 6]);
    const before = tf.memory().numTensors;
    const { out, cache } = reluForward(x);
    const { dx } = reluBackward(dout, cache);
    expect(tf.memory().numTensors - before).toBe(2);
    tf.dispose([out, dx]);
    tf.tidy(() => {
      reluBackward(dout, reluForward(x).cache);
    });
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, dout]);
  });

  it('names dout and both shapes when they differ', () => {
    tf.tidy(() => {
      const { cache } = reluForward(tf.zeros([2, 3]));
      expect(() => reluBackward(tf.zeros([3, 2]), cache)).toThrow('relu backward: dout [3,2] and x [2,3] must have the same shape');
    });
  });
});
