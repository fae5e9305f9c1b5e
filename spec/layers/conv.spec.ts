/**
 * Convolution, naive and fast, as the notebook checks it: forward on hand-computed cases (including the
 * notebook's "image processing via convolutions" idea), every gradient against tfjs autodiff on seeded random
 * shapes (batch of one, odd sizes, strides 1 to 3, padding 0 to 2, non-square filters, more padding than the
 * filter reaches into), naive and fast agreeing, a numeric gradient check, errors, and no leaked tensors.
 * Runs on the cpu backend: autodiff through conv2d needs Conv2DBackpropFilter, which wasm lacks
 * (conv_wasm.spec.ts checks the fast layer on wasm against the naive one).
 */
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../support/backend';
import { expectSameParamGrads } from '../support/param_backward';
import { Rng } from '../../src/random';
import { ConvCache, ConvParam, convBackwardNaive, convForwardNaive } from '../../src/layers/conv_naive';
import { convBackwardFast, convBackwardFirstLayer, convForwardFast, filterGradient } from '../../src/layers/conv_fast';
import { convRef } from '../../reference/layers_conv';
import { autodiffGrads, compareGrads } from '../../reference/crosscheck';
import { AUTODIFF_BOUND, NUMERIC_BOUND, numericGradientArray, relError } from '../../src/gradcheck';
import { expectAllPass, expectWithin } from '../support/expect';

type Forward = (x: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D, p: ConvParam) => { out: tf.Tensor4D; cache: ConvCache };
type Backward = (dout: tf.Tensor4D, cache: ConvCache) => { dx: tf.Tensor4D; dw: tf.Tensor4D; db: tf.Tensor1D };
const layers: [string, Forward, Backward][] = [
  ['naive', convForwardNaive, convBackwardNaive],
  ['fast', convForwardFast, convBackwardFast],
];

/** Seeded x [N, H, W, C], w [HH, WW, C, F], b [F], and dout of the output's shape. */
function convInputs(seed: number, s: ConvShape) {
  const rng = new Rng(seed);
  const [N, H, W, C, F, HH, WW, stride, pad] = s;
  const convParam = { stride, pad };
  const Hout = 1 + (H + 2 * pad - HH) / stride;
  const Wout = 1 + (W + 2 * pad - WW) / stride;
  return {
    x: rng.randn([N, H, W, C]) as tf.Tensor4D,
    w: rng.randn([HH, WW, C, F]) as tf.Tensor4D,
    b: rng.randn([F]) as tf.Tensor1D,
    dout: rng.randn([N, Hout, Wout, F]) as tf.Tensor4D,
    convParam,
  };
}

/** [N, H, W, C, F, HH, WW, stride, pad] */
type ConvShape = [number, number, number, number, number, number, number, number, number];
const shapes: ConvShape[] = [
  [1, 5, 7, 2, 3, 3, 3, 1, 1], // batch of one, odd sizes, 'same' padding
  [2, 5, 5, 3, 2, 3, 3, 2, 0], // stride 2, no padding
  [2, 6, 6, 1, 2, 4, 4, 2, 1], // the notebook's 4x4 filter, stride 2, pad 1
  [2, 4, 6, 2, 2, 3, 5, 1, 2], // non-square filter, pad 2
  [1, 5, 5, 1, 2, 3, 3, 2, 2], // pad = HH - 1, stride 2
  [2, 7, 5, 2, 3, 3, 1, 2, 1], // 3x1 filter, stride 2
  [2, 5, 5, 2, 2, 2, 2, 3, 0], // stride 3
  [1, 3, 3, 2, 1, 1, 1, 1, 2], // 1x1 filter with pad 2: more padding than the filter reaches into
  [1, 4, 4, 2, 2, 3, 1, 1, 1], // the same along W only
  [1, 5, 5, 1, 2, 1, 1, 2, 2], // and with stride 2
];

beforeAll(async () => {
  await useBackend();
});

describe.each(layers)('conv forward (%s)', (_name, forward) => {
  it('matches a hand-computed 1-channel 3x3 case, stride 1, no padding', () => {
    tf.tidy(() => {
      // x = 1 2 3 / 4 5 6 / 7 8 9. Filter 0 is [[1, 0], [0, -1]] (a diagonal difference, bias 10); filter 1 sums
      // each 2x2 window (bias 0). w is [HH, WW, C, F], so its flat entries run (kh, kw, c, f).
      const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
      const w = tf.tensor4d([1, 1, 0, 1, 0, 1, -1, 1], [2, 2, 1, 2]);
      const b = tf.tensor1d([10, 0]);
      const { out } = forward(x, w, b, { stride: 1, pad: 0 });
      expect(out.shape).toEqual([1, 2, 2, 2]);
      // Filter 0: x[i][j] - x[i+1][j+1] + 10 = -4 + 10 everywhere; filter 1: 1+2+4+5, 2+3+5+6, 4+5+7+8, 5+6+8+9.
      expect(Array.from(out.dataSync())).toEqual([6, 12, 6, 16, 6, 24, 6, 28]);
    });
  });

  it('matches a hand-computed case with stride 2 and pad 1', () => {
    tf.tidy(() => {
      // A 3x3 box filter over the zero-padded 5x5 image at corners (0,0), (0,2), (2,0), (2,2): each window holds
      // one 2x2 corner of x, so the sums are 12, 16, 24, 28 again.
      const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
      const { out } = forward(x, tf.ones([3, 3, 1, 1]) as tf.Tensor4D, tf.zeros([1]) as tf.Tensor1D, { stride: 2, pad: 1 });
      expect(out.shape).toEqual([1, 2, 2, 1]);
      expect(Array.from(out.dataSync())).toEqual([12, 16, 24, 28]);
    });
  });

  it('does the notebook image processing: grayscale by a 1x1 filter, edges by a 3x3 filter', () => {
    tf.tidy(() => {
      // A 2x4 RGB image whose right half is bright. Filter 0 converts to grayscale (0.1 R + 0.6 G + 0.3 B), as the
      // notebook does; filter 1 is zero. Then a Sobel filter [-1 0 1; -2 0 2; -1 0 1] finds the vertical edge.
      const rgb = [
        [0, 0, 0], [0, 0, 0], [10, 20, 30], [10, 20, 30],
        [0, 0, 0], [0, 0, 0], [10, 20, 30], [10, 20, 30],
      ];
      const x = tf.tensor4d(rgb.flat(), [1, 2, 4, 3]);
      const gray = forward(x, tf.tensor4d([0.1, 0, 0.6, 0, 0.3, 0], [1, 1, 3, 2]), tf.zeros([2]) as tf.Tensor1D, { stride: 1, pad: 0 }).out;
      expect(relError(gray, rgb.flatMap(([r, g, b]) => [0.1 * r + 0.6 * g + 0.3 * b, 0])).norm).toBeLessThan(1e-6);
      const g = 0.1 * 10 + 0.6 * 20 + 0.3 * 30;
      const grayOnly = tf.slice(gray, [0, 0, 0, 0], [1, 2, 4, 1]) as tf.Tensor4D;
      const sobel = tf.tensor4d([-1, 0, 1, -2, 0, 2, -1, 0, 1], [3, 3, 1, 1]);
      const edges = forward(grayOnly, sobel, tf.zeros([1]) as tf.Tensor1D, { stride: 1, pad: 1 }).out;
      // Both rows see one image row at weight 2 and the other at weight 1 (the third filter row falls on padding),
      // so out = 3 * (right neighbour - left neighbour), with zeros beyond the border: 0, 3g, 3g, -3g.
      const row = [0, 3 * g, 3 * g, -3 * g];
      expect(relError(edges, [...row, ...row]).norm).toBeLessThan(1e-6);
    });
  });

  it.each(shapes)('matches the reference on x [%i, %i, %i, %i], F %i, filter %ix%i, stride %i, pad %i', (...s) => {
    tf.tidy(() => {
      const { x, w, b, convParam } = convInputs(11, s);
      const err = relError(forward(x, w, b, convParam).out, convRef(x, w, b, convParam)).norm;
      expectWithin('out', err, AUTODIFF_BOUND);
    });
  });
});

describe.each(layers)('conv backward (%s)', (name, forward, backward) => {
  it.each(shapes)('dx, dw, db match autodiff on x [%i, %i, %i, %i], F %i, filter %ix%i, stride %i, pad %i', (...s) => {
    tf.tidy(() => {
      const { x, w, b, dout, convParam } = convInputs(s.reduce((a, v) => a * 7 + v, 1), s);
      const hand = backward(dout, forward(x, w, b, convParam).cache);
      const auto = autodiffGrads((t) => convRef(t.x, t.w, t.b, convParam), { x, w, b }, dout);
      expectAllPass(compareGrads(`conv ${name}`, { x: hand.dx, w: hand.dw, b: hand.db }, auto));
    });
  });

  it('leaves no tensors behind: only out and the gradients survive', () => {
    const { x, w, b, dout, convParam } = convInputs(3, [2, 5, 5, 2, 3, 3, 3, 2, 1]);
    const before = tf.memory().numTensors;
    const { out, cache } = forward(x, w, b, convParam);
    const grads = backward(dout, cache);
    // The cache holds only the inputs, so out, dx, dw and db are the only new tensors.
    expect(tf.memory().numTensors - before).toBe(4);
    tf.dispose([out, grads.dx, grads.dw, grads.db]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, w, b, dout]);
  });
});

describe('convBackwardFirstLayer', () => {
  it('gives the same dw and db as convBackwardFast, without dx, and frees its temporaries', () => {
    const { x, w, b, dout, convParam } = convInputs(5, [2, 7, 7, 3, 4, 3, 3, 2, 1]);
    const { out, cache } = convForwardFast(x, w, b, convParam);
    const full = convBackwardFast(dout, cache);
    expectSameParamGrads(full, () => convBackwardFirstLayer(dout, cache));
    tf.dispose([x, w, b, dout, out, full.dx, full.dw, full.db]);
  });
});

describe('the fast filter gradient in bands', () => {
  it.each(shapes)('adds up to the naive dw however small the bands: x [%i, %i, %i, %i], F %i, filter %ix%i, stride %i, pad %i', (...s) => {
    tf.tidy(() => {
      const { x, w, b, dout, convParam } = convInputs(6, s);
      const [HH, WW, C, F] = w.shape;
      const { dw } = convBackwardNaive(dout, convForwardNaive(x, w, b, convParam).cache);
      // One output position per band (the smallest bound), two, and everything in one band.
      for (const maxPatchFloats of [1, 2 * HH * WW * C * x.shape[0], 2 ** 25]) {
        const banded = tf.reshape(filterGradient(x, dout, HH, WW, convParam, maxPatchFloats), [HH, WW, C, F]);
        expectWithin(`dw, bands of ${maxPatchFloats} floats`, relError(dw, banded).norm, AUTODIFF_BOUND);
      }
    });
  });
});

describe('conv naive vs fast', () => {
  it.each(shapes)('agree forward and backward on x [%i, %i, %i, %i], F %i, filter %ix%i, stride %i, pad %i', (...s) => {
    tf.tidy(() => {
      const { x, w, b, dout, convParam } = convInputs(5, s);
      const naive = convForwardNaive(x, w, b, convParam);
      const fast = convForwardFast(x, w, b, convParam);
      const gn = convBackwardNaive(dout, naive.cache);
      const gf = convBackwardFast(dout, fast.cache);
      expectWithin('out', relError(naive.out, fast.out).norm, AUTODIFF_BOUND);
      expectWithin('dx', relError(gn.dx, gf.dx).norm, AUTODIFF_BOUND);
      expectWithin('dw', relError(gn.dw, gf.dw).norm, AUTODIFF_BOUND);
      expectWithin('db', relError(gn.db, gf.db).norm, AUTODIFF_BOUND);
    });
  });
});

describe('conv numeric gradient check', () => {
  it('naive backward passes a numeric check (step 1e-2): conv is linear in each input, so only rounding is left', () => {
    tf.tidy(() => {
      const { x, w, b, dout, convParam } = convInputs(8, [2, 3, 4, 2, 2, 3, 3, 1, 1]);
      const { dx, dw, db } = convBackwardNaive(dout, convForwardNaive(x, w, b, convParam).cache);
      const numDx = numericGradientArray((t) => convForwardNaive(t as tf.Tensor4D, w, b, convParam).out, x, dout);
      const numDw = numericGradientArray((t) => convForwardNaive(x, t as tf.Tensor4D, b, convParam).out, w, dout);
      const numDb = numericGradientArray((t) => convForwardNaive(x, w, t as tf.Tensor1D, convParam).out, b, dout);
      expectWithin('dx', relError(numDx, dx).norm, NUMERIC_BOUND);
      expectWithin('dw', relError(numDw, dw).norm, NUMERIC_BOUND);
      expectWithin('db', relError(numDb, db).norm, NUMERIC_BOUND);
    });
  });
});

describe.each(layers)('conv errors (%s)', (name, forward, backward) => {
  it('name the argument, the layout and the shapes', () => {
    tf.tidy(() => {
      const fn = `conv forward ${name}`;
      const x = tf.zeros([2, 5, 5, 3]) as tf.Tensor4D;
      const w = tf.zeros([3, 3, 3, 4]) as tf.Tensor4D;
      const b = tf.zeros([4]) as tf.Tensor1D;
      const p = { stride: 1, pad: 1 };
      expect(() => forward(tf.zeros([5, 5, 3]) as unknown as tf.Tensor4D, w, b, p)).toThrow(
        `${fn}: x must be rank 4 [N, H, W, C], got shape [5,5,3]`,
      );
      expect(() => forward(x, tf.zeros([3, 3, 4]) as unknown as tf.Tensor4D, b, p)).toThrow(
        `${fn}: w must be rank 4 [HH, WW, C, F], got shape [3,3,4]`,
      );
      expect(() => forward(x, tf.zeros([3, 3, 2, 4]) as tf.Tensor4D, b, p)).toThrow(
        `${fn}: x [N, H, W, C] = [2,5,5,3] has C = 3 channels but w [HH, WW, C, F] = [3,3,2,4] has C = 2`,
      );
      expect(() => forward(x, w, tf.zeros([3]) as tf.Tensor1D, p)).toThrow(`${fn}: b must have shape [4], got [3]`);
      expect(() => forward(x, w, b, { stride: 3, pad: 1 })).toThrow(
        `${fn}: output H 1 + (H + 2 * pad - HH) / stride = 1 + (5 + 2 * 1 - 3) / 3 is not a whole number >= 1`,
      );
      expect(() => forward(x, tf.zeros([3, 2, 3, 4]) as tf.Tensor4D, tf.zeros([4]) as tf.Tensor1D, { stride: 2, pad: 1 })).toThrow(
        `${fn}: output W 1 + (W + 2 * pad - WW) / stride = 1 + (5 + 2 * 1 - 2) / 2 is not a whole number >= 1`,
      );
      expect(() => forward(x, tf.zeros([9, 9, 3, 4]) as tf.Tensor4D, b, p)).toThrow('1 + (5 + 2 * 1 - 9) / 1 is not a whole number >= 1');
      expect(() => forward(x, w, b, { stride: 0, pad: 1 })).toThrow(`${fn}: convParam.stride must be a positive integer, got 0`);
      expect(() => forward(x, w, b, { stride: 1, pad: -1 })).toThrow(`${fn}: convParam.pad must be a non-negative integer, got -1`);
      const { cache } = forward(x, w, b, p);
      expect(() => backward(tf.zeros([2, 5, 5, 3]) as tf.Tensor4D, cache)).toThrow(
        `conv backward ${name}: dout must have shape [2,5,5,4], got [2,5,5,3]`,
      );
    });
  });
});
