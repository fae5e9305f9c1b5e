/**
 * Max pooling, naive and fast, as the notebook checks it: forward and backward on hand-computed cases
 * (overlapping windows adding up; tied maxima sharing the gradient evenly, in both layers alike, on tiles and on
 * overlapping windows, and on tie-heavy seeded inputs), the gradient against tfjs autodiff on
 * seeded random shapes (tiling, overlapping and gapped windows, odd sizes, a batch of one), naive and fast
 * agreeing, a numeric gradient check, errors, and no leaked tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../support/backend';
import { Rng } from '../../src/random';
import { PoolCache, PoolParam, maxPoolBackwardNaive, maxPoolForwardNaive } from '../../src/layers/pool_naive';
import { maxPoolBackwardFast, maxPoolForwardFast } from '../../src/layers/pool_fast';
import { maxPoolRef } from '../../reference/layers_conv';
import { autodiffGrads, compareGrads } from '../../reference/crosscheck';
import { NUMERIC_BOUND, numericGradientArray, relError } from '../../src/gradcheck';
import { expectAllPass, expectWithin } from '../support/expect';

type Forward = (x: tf.Tensor4D, p: PoolParam) => { out: tf.Tensor4D; cache: PoolCache };
type Backward = (dout: tf.Tensor4D, cache: PoolCache) => { dx: tf.Tensor4D };
const layers: [string, Forward, Backward][] = [
  ['naive', maxPoolForwardNaive, maxPoolBackwardNaive],
  ['fast', maxPoolForwardFast, maxPoolBackwardFast],
];

/** [N, H, W, C, poolHeight, poolWidth, stride] */
type PoolShape = [number, number, number, number, number, number, number];
const shapes: PoolShape[] = [
  [1, 4, 4, 1, 2, 2, 2], // the usual 2x2 stride 2, a batch of one
  [2, 6, 4, 3, 2, 2, 2],
  [1, 6, 6, 2, 3, 3, 3], // tiles of 3x3
  [2, 5, 7, 3, 3, 3, 2], // overlapping 3x3 stride 2, odd sizes
  [2, 4, 6, 2, 2, 2, 1], // overlapping, stride 1
  [2, 4, 5, 2, 2, 3, 1], // non-square window
  [1, 8, 8, 1, 2, 2, 3], // gaps between windows
];

/** Seeded normal x (so windows with negative maxima occur) and dout of the output's shape. */
function poolInputs(seed: number, s: PoolShape) {
  const rng = new Rng(seed);
  const [N, H, W, C, poolHeight, poolWidth, stride] = s;
  const Hout = 1 + (H - poolHeight) / stride;
  const Wout = 1 + (W - poolWidth) / stride;
  return {
    x: rng.randn([N, H, W, C]) as tf.Tensor4D,
    dout: rng.randn([N, Hout, Wout, C]) as tf.Tensor4D,
    poolParam: { poolHeight, poolWidth, stride },
  };
}

/** x with entries drawn from {0, 1, 2}, so that most windows hold several equal maxima, and a seeded dout. */
function tieHeavyInputs(s: PoolShape) {
  const { dout, poolParam } = poolInputs(11, s);
  const x = tf.tidy(() => tf.floor(tf.mul(new Rng(12).rand(s.slice(0, 4)), 3))) as tf.Tensor4D;
  return { x, dout, poolParam };
}

beforeAll(async () => {
  await useBackend();
});

describe.each(layers)('max pool (%s)', (name, forward, backward) => {
  it('matches a hand-computed 4x4 case, 2x2 windows, stride 2', () => {
    tf.tidy(() => {
      // 1 5 | 2 0
      // 3 4 | 8 7
      // ----+----
      // 9 0 | 1 1
      // 2 6 | 3 4     window maxima 5, 8, 9, 4 at (0,1), (1,2), (2,0), (3,3)
      const x = tf.tensor4d([1, 5, 2, 0, 3, 4, 8, 7, 9, 0, 1, 1, 2, 6, 3, 4], [1, 4, 4, 1]);
      const { out, cache } = forward(x, { poolHeight: 2, poolWidth: 2, stride: 2 });
      expect(out.shape).toEqual([1, 2, 2, 1]);
      expect(Array.from(out.dataSync())).toEqual([5, 8, 9, 4]);
      const { dx } = backward(tf.tensor4d([10, 20, 30, 40], [1, 2, 2, 1]), cache);
      expect(Array.from(dx.dataSync())).toEqual([0, 10, 0, 0, 0, 0, 20, 0, 30, 0, 0, 0, 0, 0, 0, 40]);
    });
  });

  it('adds up the gradients of overlapping windows that share a maximum', () => {
    tf.tidy(() => {
      // The centre of a 3x3 image is the maximum of all four 2x2 stride-1 windows.
      const x = tf.tensor4d([1, 2, 3, 4, 9, 5, 6, 7, 8], [1, 3, 3, 1]);
      const { out, cache } = forward(x, { poolHeight: 2, poolWidth: 2, stride: 1 });
      expect(Array.from(out.dataSync())).toEqual([9, 9, 9, 9]);
      const { dx } = backward(tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]), cache);
      expect(Array.from(dx.dataSync())).toEqual([0, 0, 0, 0, 10, 0, 0, 0, 0]);
    });
  });

  it('splits a window\'s gradient evenly among tied maxima, on tiles', () => {
    tf.tidy(() => {
      // Channel 0 ties at 7 on (0,1) and (1,0); channel 1 is all zeros, as after a relu.
      const x = tf.tensor4d([1, 0, 7, 0, 7, 0, 2, 0], [1, 2, 2, 2]);
      const { cache } = forward(x, { poolHeight: 2, poolWidth: 2, stride: 2 });
      const { dx } = backward(tf.tensor4d([5, 6], [1, 1, 1, 2]), cache);
      expect(Array.from(dx.dataSync())).toEqual([0, 1.5, 2.5, 1.5, 2.5, 1.5, 0, 1.5]);
      // docs/convolution.md's example: 2 tied in the bottom-left window, 7 in the bottom-right.
      const doc = forward(tf.tensor4d([1, 3, 2, 1, 4, 2, 0, 5, 0, 1, 7, 7, 2, 2, 6, 3], [1, 4, 4, 1]), { poolHeight: 2, poolWidth: 2, stride: 2 });
      expect(Array.from(doc.out.dataSync())).toEqual([4, 5, 2, 7]);
      const docDx = backward(tf.tensor4d([10, 20, 30, 40], [1, 2, 2, 1]), doc.cache).dx;
      expect(Array.from(docDx.dataSync())).toEqual([0, 0, 0, 0, 10, 0, 0, 20, 0, 0, 20, 20, 15, 15, 0, 0]);
      // Three equal maxima share the gradient 3 as 1 + 1 + 1, not 3 + 3 + 3.
      const three = forward(tf.tensor4d([3, 3, 1, 3], [1, 2, 2, 1]), { poolHeight: 2, poolWidth: 2, stride: 2 });
      expect(Array.from(backward(tf.tensor4d([3], [1, 1, 1, 1]), three.cache).dx.dataSync())).toEqual([1, 1, 0, 1]);
    });
  });

  it('splits evenly within each overlapping window, and adds up the shares', () => {
    tf.tidy(() => {
      // 2x2 stride-1 windows over columns 0-1 and 1-2 of an all-zero 2x3 image: each window has four tied maxima,
      // so window 1 gives 1/4 to each of its entries and window 2 gives 2/4; column 1 is in both.
      const flat = forward(tf.zeros([1, 2, 3, 1]) as tf.Tensor4D, { poolHeight: 2, poolWidth: 2, stride: 1 });
      const dx = backward(tf.tensor4d([1, 2], [1, 1, 2, 1]), flat.cache).dx;
      expect(Array.from(dx.dataSync())).toEqual([0.25, 0.75, 0.5, 0.25, 0.75, 0.5]);
      //  0  -0 | -3   1      2x2 stride 1 over columns 0-1, 1-2, 2-3: maxima 0 = -0 (two-way), 1 at (1,2), and 1
      // -2  -1 |  1  -1      tied between (0,3) and (1,2).
      const x = tf.tensor4d([0, -0, -3, 1, -2, -1, 1, -1], [1, 2, 4, 1]);
      const overlapping = forward(x, { poolHeight: 2, poolWidth: 2, stride: 1 });
      const dxo = backward(tf.tensor4d([2, 4, 8], [1, 1, 3, 1]), overlapping.cache).dx;
      expect(Array.from(dxo.dataSync())).toEqual([1, 1, 0, 4, 0, 0, 8, 0]);
    });
  });

  it('on a two-way tie gives each entry half, which is what a centred difference measures there', () => {
    tf.tidy(() => {
      // Each 2x2 window holds its maximum twice: nudging one tied entry up raises the max, nudging it down does not,
      // so (f(x + h) - f(x - h)) / 2h = dout / 2 at each of the two.
      const x = tf.tensor4d([4, 1, 0, 3, 2, 4, 3, 1, 5, 5, 6, 2, 1, 0, 6, 2], [1, 4, 4, 1]);
      const poolParam = { poolHeight: 2, poolWidth: 2, stride: 2 };
      const dout = tf.tensor4d([2, 4, 6, 8], [1, 2, 2, 1]);
      const { dx } = backward(dout, forward(x, poolParam).cache);
      const numDx = numericGradientArray((t) => forward(t as tf.Tensor4D, poolParam).out, x, dout, 1e-2);
      expect(Array.from(dx.dataSync())).toEqual([1, 0, 0, 2, 0, 1, 2, 0, 3, 3, 4, 0, 0, 0, 4, 0]);
      expectWithin('dx', relError(numDx, dx).norm, NUMERIC_BOUND);
    });
  });

  it.each(shapes)('passes on each window\'s gradient once on tie-heavy x [%i, %i, %i, %i], window %ix%i, stride %i', (...s) => {
    tf.tidy(() => {
      const { x, poolParam } = tieHeavyInputs(s);
      const { out, cache } = forward(x, poolParam);
      // A gradient of ones per window: however it is shared among ties, dx adds up to the number of windows.
      const { dx } = backward(tf.onesLike(out) as tf.Tensor4D, cache);
      expect(tf.sum(dx).dataSync()[0]).toBeCloseTo(out.size, 4);
    });
  });

  it.each(shapes)(`${name}: out and dx match autodiff on x [%i, %i, %i, %i], window %ix%i, stride %i`, (...s) => {
    tf.tidy(() => {
      const { x, dout, poolParam } = poolInputs(s.reduce((a, v) => a * 7 + v, 1), s);
      const { out, cache } = forward(x, poolParam);
      expect(relError(out, maxPoolRef(x, poolParam)).norm).toBe(0);
      const hand = backward(dout, cache);
      const auto = autodiffGrads((t) => maxPoolRef(t.x, poolParam), { x }, dout);
      expectAllPass(compareGrads(`max pool ${name}`, { x: hand.dx }, auto));
    });
  });

  it('leaves no tensors behind: only out and dx survive', () => {
    const { x, dout, poolParam } = poolInputs(3, [2, 5, 7, 3, 3, 3, 2]);
    const before = tf.memory().numTensors;
    const { out, cache } = forward(x, poolParam);
    const { dx } = backward(dout, cache);
    // The cache holds x and out, so out and dx are the only new tensors.
    expect(tf.memory().numTensors - before).toBe(2);
    tf.dispose([out, dx]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, dout]);
  });

  it('errors name the argument, the layout and the shapes', () => {
    tf.tidy(() => {
      const fn = `max pool forward ${name}`;
      const x = tf.zeros([2, 5, 5, 3]) as tf.Tensor4D;
      expect(() => forward(tf.zeros([5, 5, 3]) as unknown as tf.Tensor4D, { poolHeight: 2, poolWidth: 2, stride: 2 })).toThrow(
        `${fn}: x must be rank 4 [N, H, W, C], got shape [5,5,3]`,
      );
      expect(() => forward(x, { poolHeight: 2, poolWidth: 2, stride: 2 })).toThrow(
        `${fn}: output H 1 + (H - poolHeight) / stride = 1 + (5 - 2) / 2 is not a whole number >= 1 (x [2,5,5,3], window 2x2, stride 2)`,
      );
      expect(() => forward(x, { poolHeight: 6, poolWidth: 1, stride: 1 })).toThrow('1 + (5 - 6) / 1 is not a whole number >= 1');
      expect(() => forward(x, { poolHeight: 1, poolWidth: 2, stride: 2 })).toThrow(`${fn}: output W 1 + (W - poolWidth) / stride`);
      expect(() => forward(x, { poolHeight: 0, poolWidth: 2, stride: 1 })).toThrow(`${fn}: poolParam.poolHeight must be a positive integer, got 0`);
      expect(() => forward(x, { poolHeight: 2, poolWidth: 2, stride: 1.5 })).toThrow(`${fn}: poolParam.stride must be a positive integer, got 1.5`);
      const { cache } = forward(x, { poolHeight: 3, poolWidth: 3, stride: 2 });
      expect(() => backward(tf.zeros([2, 2, 2, 4]) as tf.Tensor4D, cache)).toThrow(
        `max pool backward ${name}: dout must have shape [2,2,2,3], got [2,2,2,4]`,
      );
    });
  });
});

describe('max pool naive vs fast', () => {
  it.each(shapes)('agree forward and backward on x [%i, %i, %i, %i], window %ix%i, stride %i', (...s) => {
    tf.tidy(() => {
      const { x, dout, poolParam } = poolInputs(5, s);
      const naive = maxPoolForwardNaive(x, poolParam);
      const fast = maxPoolForwardFast(x, poolParam);
      expect(relError(naive.out, fast.out).norm).toBe(0);
      // Normals have no exact ties, so both pick the same maxima; overlapping windows may sum in another order.
      expect(relError(maxPoolBackwardNaive(dout, naive.cache).dx, maxPoolBackwardFast(dout, fast.cache).dx).norm).toBeLessThan(1e-7);
    });
  });

  it.each(shapes)('agree backward on tie-heavy x [%i, %i, %i, %i], window %ix%i, stride %i', (...s) => {
    tf.tidy(() => {
      const { x, dout, poolParam } = tieHeavyInputs(s);
      const naive = maxPoolBackwardNaive(dout, maxPoolForwardNaive(x, poolParam).cache).dx;
      const fast = maxPoolBackwardFast(dout, maxPoolForwardFast(x, poolParam).cache).dx;
      expect(relError(naive, fast).norm).toBeLessThan(1e-7);
    });
  });
});

describe('max pool numeric gradient check', () => {
  it('naive backward passes a numeric check (step 1e-2) where no step changes which entry is the maximum', () => {
    tf.tidy(() => {
      // Distinct entries at least 0.1 apart, so a 1e-2 step never swaps a window's maximum.
      const rng = new Rng(9);
      const x = tf.tensor4d(Float32Array.from(rng.permutation(2 * 4 * 4 * 2), (v) => v / 10), [2, 4, 4, 2]);
      const dout = rng.randn([2, 3, 3, 2]) as tf.Tensor4D;
      const poolParam = { poolHeight: 2, poolWidth: 2, stride: 1 };
      const { dx } = maxPoolBackwardNaive(dout, maxPoolForwardNaive(x, poolParam).cache);
      const numDx = numericGradientArray((t) => maxPoolForwardNaive(t as tf.Tensor4D, poolParam).out, x, dout);
      const err = relError(numDx, dx).norm;
      expectWithin('dx', err, NUMERIC_BOUND);
    });
  });
});
