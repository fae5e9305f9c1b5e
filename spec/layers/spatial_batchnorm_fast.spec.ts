/**
 * The fast spatial batchnorm (per-channel maps as 1x1 depthwise convolutions, relu optionally fused in) against the
 * course's spatial batchnorm followed by relu: the same numbers bit for bit (up to the sign of a zero), forward, running statistics and
 * backward, in train and test mode, on the cpu backend and on wasm (the one it is written for); errors; no leaks.
 * Its gradients against autodiff are rows of the gradient catalogue (reference/catalogue/layer_cases.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../support/backend';
import { Rng } from '../../src/random';
import { BnParam } from '../../src/layers/batchnorm';
import { spatialBatchnormBackward, spatialBatchnormForward } from '../../src/layers/spatial_batchnorm';
import { spatialBatchnormBackwardFast, spatialBatchnormForwardFast } from '../../src/layers/spatial_batchnorm_fast';
import { reluBackward, reluForward } from '../../src/layers/relu';

/** Seeded images whose channels have different means and scales, as a conv layer's outputs have. */
function inputs(seed: number, shape: [number, number, number, number]) {
  const rng = new Rng(seed);
  const C = shape[3];
  return {
    x: tf.add(tf.mul(rng.randn(shape), tf.tensor1d(rng.uniformArray(C, 0.5, 3))), tf.tensor1d(rng.uniformArray(C, -5, 5))) as tf.Tensor4D,
    gamma: rng.randn([C]) as tf.Tensor1D,
    beta: rng.randn([C]) as tf.Tensor1D,
    dout: rng.randn(shape) as tf.Tensor4D,
  };
}

/**
 * Where a and b differ as float32 values: the count, and the first index. Every float32 value compares by its bits
 * except zero, whose sign may differ (a 1x1 depthwise convolution starts its sum at +0, so 0 * k with k < 0 gives
 * +0 where tf.mul gives -0).
 */
function bitDiff(a: tf.Tensor, b: tf.Tensor): string {
  expect(a.shape).toEqual(b.shape);
  const [u, v] = [a.dataSync(), b.dataSync()];
  let count = 0;
  let first = -1;
  for (let i = 0; i < u.length; i++) {
    if (u[i] !== v[i] && !(Number.isNaN(u[i]) && Number.isNaN(v[i]))) {
      if (first < 0) first = i;
      count++;
    }
  }
  return count === 0 ? 'identical' : `${count} of ${u.length} differ, first at ${first}: ${u[first]} vs ${v[first]}`;
}

/** The course's layers in a row: spatial batchnorm, then relu when asked. */
function naive(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, bnParam: BnParam, relu: boolean, dout: tf.Tensor4D) {
  const bn = spatialBatchnormForward(x, gamma, beta, bnParam);
  const r = relu ? reluForward(bn.out) : undefined;
  const dbn = r ? (reluBackward(dout, r.cache).dx as tf.Tensor4D) : dout;
  return { out: r ? r.out : bn.out, ...spatialBatchnormBackward(dbn, bn.cache) };
}

function fast(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, bnParam: BnParam, relu: boolean, dout: tf.Tensor4D) {
  const { out, cache } = spatialBatchnormForwardFast(x, gamma, beta, bnParam, relu);
  return { out, ...spatialBatchnormBackwardFast(dout, cache) };
}

const SHAPES: [number, number, number, number][] = [
  [4, 5, 6, 3],
  [2, 3, 3, 8],
  [1, 1, 1, 4], // one position per channel: every variance is 0
];

describe.each(['cpu', 'wasm'])('spatial batchnorm fast on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  describe.each([false, true])('with relu %s', (relu) => {
    it.each(SHAPES)('matches the course layers bit for bit in train mode, then in test mode: x [%i, %i, %i, %i]', (...shape) => {
      tf.tidy(() => {
        const { x, gamma, beta, dout } = inputs(shape.reduce((a, v) => a * 7 + v, 1), shape);
        const pn: BnParam = { mode: 'train', momentum: 0.8 };
        const pf: BnParam = { mode: 'train', momentum: 0.8 };
        for (let step = 0; step < 2; step++) {
          const [n, f] = [naive(x, gamma, beta, pn, relu, dout), fast(x, gamma, beta, pf, relu, dout)];
          for (const k of ['out', 'dx', 'dgamma', 'dbeta'] as const) expect(`train ${k}: ${bitDiff(f[k], n[k])}`).toBe(`train ${k}: identical`);
          expect(`runningMean: ${bitDiff(pf.runningMean as tf.Tensor, pn.runningMean as tf.Tensor)}`).toBe('runningMean: identical');
          expect(`runningVar: ${bitDiff(pf.runningVar as tf.Tensor, pn.runningVar as tf.Tensor)}`).toBe('runningVar: identical');
        }
        pn.mode = 'test';
        pf.mode = 'test';
        const [n, f] = [naive(x, gamma, beta, pn, relu, dout), fast(x, gamma, beta, pf, relu, dout)];
        for (const k of ['out', 'dx', 'dgamma', 'dbeta'] as const) expect(`test ${k}: ${bitDiff(f[k], n[k])}`).toBe(`test ${k}: identical`);
        tf.dispose([pn.runningMean, pn.runningVar, pf.runningMean, pf.runningVar] as tf.Tensor[]);
      });
    });
  });

  it('leaves no tensors behind but its outputs, cache and running statistics', () => {
    const { x, gamma, beta, dout } = inputs(3, [2, 4, 4, 3]);
    const bnParam: BnParam = { mode: 'train' };
    tf.dispose(spatialBatchnormForwardFast(x, gamma, beta, bnParam, true).out); // the running statistics exist now
    const before = tf.memory().numTensors;
    const { out, cache } = spatialBatchnormForwardFast(x, gamma, beta, bnParam, true);
    const g = spatialBatchnormBackwardFast(dout, cache);
    tf.dispose([out, cache.xhat, cache.invStd, g.dx, g.dgamma, g.dbeta]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, gamma, beta, dout, bnParam.runningMean, bnParam.runningVar] as tf.Tensor[]);
  });

  it('names the argument and the shape it got', () => {
    tf.tidy(() => {
      const g = tf.ones([3]) as tf.Tensor1D;
      expect(() => spatialBatchnormForwardFast(tf.zeros([2, 3, 4]) as unknown as tf.Tensor4D, g, g, { mode: 'train' })).toThrow(
        'spatial batchnorm forward fast: x must be rank 4 [N, H, W, C], got shape [2,3,4]',
      );
      expect(() => spatialBatchnormForwardFast(tf.zeros([2, 3, 4, 3]) as tf.Tensor4D, g, g, { mode: 'test' })).toThrow('test mode needs bnParam.runningMean');
    });
  });
});
