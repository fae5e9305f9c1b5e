/**
 * Inverted dropout, as the notebook checks it: test mode is the identity; in train mode the mean is preserved and
 * a fraction ~1 - p of units is zeroed; the same seed gives the same mask; dx matches tfjs autodiff with the same
 * mask and a numeric gradient check; errors; and no leaked tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../support/backend';
import { Rng } from '../../src/random';
import { dropoutForward, dropoutBackward, DropoutCache } from '../../src/layers/dropout';
import { dropoutRef } from '../../reference/layers_dense';
import { autodiffGrads, compareGrads } from '../../reference/crosscheck';
import { NUMERIC_BOUND, numericGradientArray, relError } from '../../src/gradcheck';
import { expectAllPass } from '../support/expect';

function maskOf(cache: DropoutCache): tf.Tensor {
  if (cache.mode !== 'train') throw new Error('expected a train-mode cache');
  return cache.mask;
}

beforeAll(async () => {
  await useBackend();
});

describe('dropoutForward', () => {
  it('is the identity in test mode, forward and backward', () => {
    tf.tidy(() => {
      const rng = new Rng(1);
      const x = rng.randn([5, 7]);
      const { out, cache } = dropoutForward(x, { mode: 'test', p: 0.3 });
      expect(Array.from(out.dataSync())).toEqual(Array.from(x.dataSync()));
      const dout = rng.randn([5, 7]);
      expect(Array.from(dropoutBackward(dout, cache).dx.dataSync())).toEqual(Array.from(dout.dataSync()));
    });
  });

  it.each([0.25, 0.4, 0.7])('in train mode with p = %f keeps the mean and zeroes a fraction ~1 - p', (p) => {
    tf.tidy(() => {
      // x = 10 + N(0, 1) over 500 x 500 units: a fraction's standard error is ~0.001, the mean's ~0.03.
      const x = tf.add(new Rng(2).randn([500, 500]), 10);
      const { out } = dropoutForward(x, { mode: 'train', p, seed: 123 });
      const values = Float32Array.from(out.dataSync());
      const zeroed = values.reduce((n, v) => n + (v === 0 ? 1 : 0), 0) / values.length;
      expect(Math.abs(zeroed - (1 - p))).toBeLessThan(0.005);
      expect(tf.mean(out).dataSync()[0]).toBeCloseTo(tf.mean(x).dataSync()[0], 0);
      // Kept units are scaled by exactly 1/p.
      const xs = x.dataSync();
      const keptRatios = Array.from(values.subarray(0, 100)).flatMap((v, i) => (v === 0 ? [] : [v / xs[i]]));
      keptRatios.forEach((r) => expect(r).toBeCloseTo(1 / p, 5));
    });
  });

  it('draws the same mask from the same seed, and a new one from a shared Rng each call', () => {
    tf.tidy(() => {
      const x = tf.ones([20, 30]);
      const a = dropoutForward(x, { mode: 'train', p: 0.5, seed: 7 }).out.dataSync();
      const b = dropoutForward(x, { mode: 'train', p: 0.5, seed: 7 }).out.dataSync();
      const c = dropoutForward(x, { mode: 'train', p: 0.5, seed: 8 }).out.dataSync();
      expect(Array.from(b)).toEqual(Array.from(a));
      expect(Array.from(c)).not.toEqual(Array.from(a));

      const rng = new Rng(7);
      const first = dropoutForward(x, { mode: 'train', p: 0.5, rng }).out.dataSync();
      const second = dropoutForward(x, { mode: 'train', p: 0.5, rng }).out.dataSync();
      expect(Array.from(second)).not.toEqual(Array.from(first));
      // A fresh Rng(7) replays the first mask: the rng option and the seed option draw from the same stream.
      expect(Array.from(first)).toEqual(Array.from(a));
    });
  });

  it('with p = 1 keeps every unit unchanged', () => {
    tf.tidy(() => {
      const x = new Rng(3).randn([4, 9]);
      expect(Array.from(dropoutForward(x, { mode: 'train', p: 1, seed: 0 }).out.dataSync())).toEqual(Array.from(x.dataSync()));
    });
  });
});

describe('dropoutBackward', () => {
  const shapes: [number[]][] = [[[1, 5]], [[6, 11]], [[2, 3, 3, 4]]];
  it.each(shapes)('dx matches autodiff with the same mask for x %j', (shape) => {
    tf.tidy(() => {
      const rng = new Rng(shape.length * 10 + shape[1]);
      const x = rng.randn(shape);
      const dout = rng.randn(shape);
      const { cache } = dropoutForward(x, { mode: 'train', p: 0.6, rng });
      const mask = maskOf(cache);
      const { dx } = dropoutBackward(dout, cache);
      expectAllPass(compareGrads('dropout', { x: dx }, autodiffGrads((t) => dropoutRef(t.x, mask), { x }, dout)));
      // Dropped units pass no gradient.
      const m = mask.dataSync();
      const atDropped = Array.from(dx.dataSync()).filter((_, i) => m[i] === 0);
      expect(atDropped.length).toBeGreaterThan(0);
      expect(atDropped.every((g) => g === 0)).toBe(true);
    });
  });

  it('passes a numeric gradient check with a fixed seed (step 1e-2)', () => {
    tf.tidy(() => {
      const rng = new Rng(4);
      const x = rng.randn([6, 5]);
      const dout = rng.randn([6, 5]);
      const param = { mode: 'train' as const, p: 0.4, seed: 99 };
      const { dx } = dropoutBackward(dout, dropoutForward(x, param).cache);
      const numeric = numericGradientArray((t) => dropoutForward(t, param).out, x, dout);
      expect(relError(numeric, dx).norm).toBeLessThan(NUMERIC_BOUND);
    });
  });

  it('leaves no tensors behind and frees its temporaries', () => {
    const rng = new Rng(5);
    const x = rng.randn([4, 6]);
    const dout = rng.randn([4, 6]);
    const before = tf.memory().numTensors;
    const { out, cache } = dropoutForward(x, { mode: 'train', p: 0.5, rng });
    const { dx } = dropoutBackward(dout, cache);
    // out, the mask and dx.
    expect(tf.memory().numTensors - before).toBe(3);
    tf.dispose([out, maskOf(cache), dx]);
    tf.tidy(() => {
      dropoutBackward(dout, dropoutForward(x, { mode: 'train', p: 0.5, rng }).cache);
      dropoutBackward(dout, dropoutForward(x, { mode: 'test', p: 0.5 }).cache);
    });
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, dout]);
  });
});

describe('dropout errors', () => {
  it('name the argument and the value', () => {
    tf.tidy(() => {
      const x = tf.ones([2, 3]);
      expect(() => dropoutForward(x, { mode: 'train', p: 0, seed: 1 })).toThrow(
        'dropout forward: dropoutParam.p (the keep probability) must be in (0, 1], got 0',
      );
      expect(() => dropoutForward(x, { mode: 'test', p: 1.5 })).toThrow('must be in (0, 1], got 1.5');
      expect(() => dropoutForward(x, { mode: 'train', p: NaN, seed: 1 })).toThrow('got NaN');
      expect(() => dropoutForward(x, { mode: 'train', p: 0.5 })).toThrow('dropout forward: train mode needs dropoutParam.rng or dropoutParam.seed');
      expect(() => dropoutForward(x, { mode: 'eval' as 'train', p: 0.5, seed: 1 })).toThrow(
        "dropout forward: dropoutParam.mode must be 'train' or 'test', got 'eval'",
      );
      const { cache } = dropoutForward(x, { mode: 'train', p: 0.5, seed: 1 });
      expect(() => dropoutBackward(tf.ones([3, 2]), cache)).toThrow('dropout backward: dout [3,2] and mask [2,3] must have the same shape');
    });
  });
});
