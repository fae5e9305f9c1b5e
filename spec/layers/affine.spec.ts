/**
 * Affine layer, as the notebook checks it: forward on a hand-computed case, every gradient against tfjs autodiff
 * on seeded random shapes, one numeric gradient check, image inputs, errors, and no leaked tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../support/backend';
import { Rng } from '../../src/random';
import { affineForward, affineBackward } from '../../src/layers/affine';
import { affineRef } from '../../reference/layers_dense';
import { autodiffGrads, compareGrads } from '../../reference/crosscheck';
import { NUMERIC_BOUND, numericGradientArray, relError } from '../../src/gradcheck';
import { expectAllPass, expectWithin } from '../support/expect';

beforeAll(async () => {
  await useBackend();
});

describe('affineForward', () => {
  it('matches a hand-computed case', () => {
    tf.tidy(() => {
      const x = tf.tensor2d([
        [1, 2, 3],
        [4, 5, 6],
      ]);
      const w = tf.tensor2d([
        [1, 0],
        [0, 1],
        [1, 1],
      ]);
      const b = tf.tensor1d([0.5, -1]);
      // row 1: [1 + 3 + 0.5, 2 + 3 - 1]; row 2: [4 + 6 + 0.5, 5 + 6 - 1]
      expect(Array.from(affineForward(x, w, b).out.dataSync())).toEqual([4.5, 4, 10.5, 10]);
    });
  });

  it('flattens NHWC images row-wise to [N, H*W*C]', () => {
    tf.tidy(() => {
      const rng = new Rng(1);
      const x = rng.randn([2, 2, 3, 4]);
      const w = rng.randn([24, 5]) as tf.Tensor2D;
      const b = rng.randn([5]) as tf.Tensor1D;
      const fromImages = affineForward(x, w, b).out;
      const fromRows = affineForward(tf.reshape(x, [2, 24]), w, b).out;
      expect(relError(fromImages, fromRows).norm).toBe(0);
      const { dx } = affineBackward(rng.randn([2, 5]) as tf.Tensor2D, affineForward(x, w, b).cache);
      expect(dx.shape).toEqual([2, 2, 3, 4]);
    });
  });
});

describe('affineBackward', () => {
  // [N, ...x dims, M]: a batch of one, odd sizes, and images.
  const shapes: [number[], number][] = [
    [[1, 5], 3],
    [[4, 7], 6],
    [[3, 11], 1],
    [[2, 3, 2, 2], 4],
  ];
  it.each(shapes)('dx, dw, db match autodiff for x %j, M = %i', (xShape, m) => {
    tf.tidy(() => {
      const rng = new Rng(xShape.length * 100 + m);
      const n = xShape[0];
      const d = xShape.slice(1).reduce((a, b) => a * b, 1);
      const x = rng.randn(xShape);
      const w = rng.randn([d, m]) as tf.Tensor2D;
      const b = rng.randn([m]) as tf.Tensor1D;
      const dout = rng.randn([n, m]) as tf.Tensor2D;
      const hand = affineBackward(dout, affineForward(x, w, b).cache);
      const auto = autodiffGrads((t) => affineRef(t.x, t.w, t.b), { x, w, b }, dout);
      expectAllPass(compareGrads('affine', { x: hand.dx, w: hand.dw, b: hand.db }, auto));
    });
  });

  it('passes a numeric gradient check (step 1e-2)', () => {
    tf.tidy(() => {
      const rng = new Rng(7);
      const x = rng.randn([3, 4]);
      const w = rng.randn([4, 5]) as tf.Tensor2D;
      const b = rng.randn([5]) as tf.Tensor1D;
      const dout = rng.randn([3, 5]) as tf.Tensor2D;
      const { dx, dw, db } = affineBackward(dout, affineForward(x, w, b).cache);
      const numDx = numericGradientArray((t) => affineForward(t, w, b).out, x, dout);
      const numDw = numericGradientArray((t) => affineForward(x, t as tf.Tensor2D, b).out, w, dout);
      const numDb = numericGradientArray((t) => affineForward(x, w, t as tf.Tensor1D).out, b, dout);
      expectWithin('dx', relError(numDx, dx).norm, NUMERIC_BOUND);
      expectWithin('dw', relError(numDw, dw).norm, NUMERIC_BOUND);
      expectWithin('db', relError(numDb, db).norm, NUMERIC_BOUND);
    });
  });

  it('leaves no tensors behind and frees its temporaries', () => {
    const rng = new Rng(3);
    const x = rng.randn([4, 6]);
    const w = rng.randn([6, 3]) as tf.Tensor2D;
    const b = rng.randn([3]) as tf.Tensor1D;
    const dout = rng.randn([4, 3]) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    const { out, cache } = affineForward(x, w, b);
    const grads = affineBackward(dout, cache);
    // out, dx, dw and db survive (the cache holds only the inputs); every temporary was freed.
    expect(tf.memory().numTensors - before).toBe(4);
    tf.dispose([out, grads.dx, grads.dw, grads.db]);
    tf.tidy(() => {
      affineBackward(dout, affineForward(x, w, b).cache);
    });
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, w, b, dout]);
  });
});

describe('affine errors', () => {
  it('name the argument and the shapes', () => {
    tf.tidy(() => {
      const x = tf.zeros([2, 3]);
      const w = tf.zeros([3, 4]) as tf.Tensor2D;
      const b = tf.zeros([4]) as tf.Tensor1D;
      expect(() => affineForward(x, tf.zeros([3]) as unknown as tf.Tensor2D, b)).toThrow('affine forward: w must be rank 2 [D, M], got shape [3]');
      expect(() => affineForward(tf.zeros([2, 5]), w, b)).toThrow('x [2,5] flattens to [2, 5] but w is [3,4]');
      expect(() => affineForward(x, w, tf.zeros([3]) as tf.Tensor1D)).toThrow('affine forward: b must have shape [4], got [3]');
      expect(() => affineForward(tf.zeros([6]), w, b)).toThrow('x must be rank >= 2');
      const { cache } = affineForward(x, w, b);
      expect(() => affineBackward(tf.zeros([2, 3]) as tf.Tensor2D, cache)).toThrow('affine backward: dout must have shape [2,4], got [2,3]');
    });
  });
});
