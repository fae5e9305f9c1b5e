/**
 * Spatial batchnorm and spatial group norm, as the notebook checks them: after the forward pass each channel
 * (batchnorm) or each image's group (group norm) has mean ~beta / ~0 and std ~gamma / ~1; test-mode batchnorm
 * uses running statistics that have converged to the data's; every gradient matches tfjs autodiff on seeded
 * shapes (a batch of one, G = 1, G = C, groups in between); errors; and no leaked tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../support/backend';
import { Rng } from '../../src/random';
import { batchnormForward, BnParam } from '../../src/layers/batchnorm';
import { spatialBatchnormBackward, spatialBatchnormForward } from '../../src/layers/spatial_batchnorm';
import { spatialGroupnormBackward, spatialGroupnormForward } from '../../src/layers/spatial_groupnorm';
import { spatialBatchnormRef, spatialGroupnormRef } from '../../reference/layers_conv';
import { autodiffGrads, compareGrads } from '../../reference/crosscheck';
import { AUTODIFF_BOUND, relError } from '../../src/gradcheck';
import { expectAllPass } from '../support/expect';

/** Seeded images [N, H, W, C] whose channels have different means (-5..5) and scales (0.5..3). */
function images(rng: Rng, shape: [number, number, number, number]): tf.Tensor4D {
  const C = shape[3];
  const means = rng.uniformArray(C, -5, 5);
  const stds = rng.uniformArray(C, 0.5, 3);
  const v = rng.normalArray(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < v.length; i++) v[i] = means[i % C] + stds[i % C] * v[i];
  return tf.tensor4d(v, shape);
}

/** Mean and (biased) std, in float64, of the entries of a flat NHWC array that `pick(index)` selects. */
function stats(values: ArrayLike<number>, pick: (i: number) => boolean): { mean: number; std: number } {
  let n = 0;
  let s = 0;
  for (let i = 0; i < values.length; i++) {
    if (pick(i)) {
      s += values[i];
      n++;
    }
  }
  const mean = s / n;
  let q = 0;
  for (let i = 0; i < values.length; i++) if (pick(i)) q += (values[i] - mean) ** 2;
  return { mean, std: Math.sqrt(q / n) };
}

beforeAll(async () => {
  await useBackend();
});

describe('spatialBatchnormForward', () => {
  it('gives each channel mean ~beta and std ~gamma over N, H, W in train mode', () => {
    tf.tidy(() => {
      const x = images(new Rng(1), [4, 5, 6, 3]);
      const gamma = tf.tensor1d([1, 2, 0.5]);
      const beta = tf.tensor1d([0, -1, 3]);
      const bnParam: BnParam = { mode: 'train' };
      const out = spatialBatchnormForward(x, gamma, beta, bnParam).out.dataSync();
      [0, 1, 2].forEach((c) => {
        const { mean, std } = stats(out, (i) => i % 3 === c);
        expect(Math.abs(mean - beta.dataSync()[c])).toBeLessThan(1e-5);
        expect(Math.abs(std - gamma.dataSync()[c])).toBeLessThan(1e-4);
      });
      tf.dispose([bnParam.runningMean!, bnParam.runningVar!]);
    });
  });

  it('is batchnorm on the [N*H*W, C] rows (no transpose in NHWC)', () => {
    tf.tidy(() => {
      const x = images(new Rng(2), [2, 3, 4, 5]);
      const gamma = new Rng(3).randn([5]) as tf.Tensor1D;
      const beta = new Rng(4).randn([5]) as tf.Tensor1D;
      const p1: BnParam = { mode: 'train' };
      const p2: BnParam = { mode: 'train' };
      const spatial = spatialBatchnormForward(x, gamma, beta, p1).out;
      const rows = batchnormForward(tf.reshape(x, [24, 5]) as tf.Tensor2D, gamma, beta, p2).out;
      expect(relError(spatial, rows).norm).toBe(0);
      expect(relError(p1.runningMean!, p2.runningMean!).norm).toBe(0);
      tf.dispose([p1.runningMean!, p1.runningVar!, p2.runningMean!, p2.runningVar!]);
    });
  });

  it('in test mode uses running statistics that converged to the data (the notebook check)', () => {
    // 50 train-mode passes over batches drawn from the same per-channel distributions, then one test-mode pass:
    // each channel's output should have mean ~beta and std ~gamma, up to the sampling noise of the batches.
    const rng = new Rng(5);
    const gamma = tf.tensor1d([1, 2, 0.5]);
    const beta = tf.tensor1d([0, -1, 3]);
    const bnParam: BnParam = { mode: 'train' };
    const channelMeans = [2, -3, 0];
    const channelStds = [1, 4, 0.5];
    const batch = (): tf.Tensor4D => {
      const v = rng.normalArray(8 * 4 * 4 * 3);
      for (let i = 0; i < v.length; i++) v[i] = channelMeans[i % 3] + channelStds[i % 3] * v[i];
      return tf.tensor4d(v, [8, 4, 4, 3]);
    };
    for (let t = 0; t < 50; t++) tf.tidy(() => void spatialBatchnormForward(batch(), gamma, beta, bnParam));
    bnParam.mode = 'test';
    tf.tidy(() => {
      const out = spatialBatchnormForward(batch(), gamma, beta, bnParam).out.dataSync();
      [0, 1, 2].forEach((c) => {
        const { mean, std } = stats(out, (i) => i % 3 === c);
        expect(Math.abs(mean - beta.dataSync()[c]) / gamma.dataSync()[c]).toBeLessThan(0.2);
        expect(Math.abs(std / gamma.dataSync()[c] - 1)).toBeLessThan(0.2);
      });
    });
    tf.dispose([gamma, beta, bnParam.runningMean!, bnParam.runningVar!]);
  });
});

describe('spatialBatchnormBackward', () => {
  const shapes: [number, number, number, number][] = [
    [1, 3, 3, 2],
    [2, 3, 5, 4],
    [3, 2, 2, 1],
  ];
  it.each(shapes)('dx, dgamma, dbeta match autodiff on x [%i, %i, %i, %i] in train mode', (...shape) => {
    tf.tidy(() => {
      const rng = new Rng(shape.reduce((a, v) => a * 7 + v, 1));
      const x = images(rng, shape);
      const gamma = rng.randn([shape[3]]) as tf.Tensor1D;
      const beta = rng.randn([shape[3]]) as tf.Tensor1D;
      const dout = rng.randn(shape) as tf.Tensor4D;
      const bnParam: BnParam = { mode: 'train' };
      const { out, cache } = spatialBatchnormForward(x, gamma, beta, bnParam);
      expect(relError(out, spatialBatchnormRef(x, gamma, beta)).norm).toBeLessThan(AUTODIFF_BOUND);
      const hand = spatialBatchnormBackward(dout, cache);
      const auto = autodiffGrads((t) => spatialBatchnormRef(t.x, t.gamma, t.beta), { x, gamma, beta }, dout);
      expectAllPass(compareGrads('spatial batchnorm', { x: hand.dx, gamma: hand.dgamma, beta: hand.dbeta }, auto));
      tf.dispose([bnParam.runningMean!, bnParam.runningVar!]);
    });
  });

  it('leaves no tensors behind: out, the cache, the running statistics and the gradients are all there is', () => {
    const rng = new Rng(6);
    const x = images(rng, [2, 3, 3, 4]);
    const gamma = rng.randn([4]) as tf.Tensor1D;
    const beta = rng.randn([4]) as tf.Tensor1D;
    const dout = rng.randn([2, 3, 3, 4]) as tf.Tensor4D;
    const bnParam: BnParam = { mode: 'train' };
    const before = tf.memory().numTensors;
    const { out, cache } = spatialBatchnormForward(x, gamma, beta, bnParam);
    const grads = spatialBatchnormBackward(dout, cache);
    const { xhat, xc, std, invStd } = cache.bnCache as { xhat: tf.Tensor; xc: tf.Tensor; std: tf.Tensor; invStd: tf.Tensor };
    const created = [out, xhat, xc, std, invStd, bnParam.runningMean!, bnParam.runningVar!, grads.dx, grads.dgamma, grads.dbeta];
    expect(tf.memory().numTensors - before).toBe(created.length);
    tf.dispose(created);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, gamma, beta, dout]);
  });

  it('errors name the argument and the shapes', () => {
    tf.tidy(() => {
      const x = tf.zeros([2, 3, 3, 4]) as tf.Tensor4D;
      const g = tf.ones([4]) as tf.Tensor1D;
      const bnParam: BnParam = { mode: 'train' };
      expect(() => spatialBatchnormForward(tf.zeros([2, 3, 4]) as unknown as tf.Tensor4D, g, g, bnParam)).toThrow(
        'spatial batchnorm forward: x must be rank 4 [N, H, W, C], got shape [2,3,4]',
      );
      expect(() => spatialBatchnormForward(x, tf.ones([3]) as tf.Tensor1D, g, bnParam)).toThrow(
        'spatial batchnorm forward: gamma must have shape [4], got [3]',
      );
      const { cache } = spatialBatchnormForward(x, g, g, bnParam);
      expect(() => spatialBatchnormBackward(tf.zeros([2, 3, 4, 3]) as tf.Tensor4D, cache)).toThrow(
        'spatial batchnorm backward: dout must have shape [2,3,3,4], got [2,3,4,3]',
      );
      tf.dispose([bnParam.runningMean!, bnParam.runningVar!]);
    });
  });
});

describe('spatialGroupnormForward', () => {
  it.each([1, 2, 6])('with G = %i gives each image and group mean ~0 and std ~1 before gamma and beta', (G) => {
    tf.tidy(() => {
      const [N, H, W, C] = [2, 3, 4, 6];
      const x = images(new Rng(G), [N, H, W, C]);
      const out = spatialGroupnormForward(x, tf.ones([C]) as tf.Tensor1D, tf.zeros([C]) as tf.Tensor1D, G).out.dataSync();
      const perImage = H * W * C;
      for (let n = 0; n < N; n++) {
        for (let g = 0; g < G; g++) {
          const inGroup = (i: number) => Math.floor(i / perImage) === n && Math.floor((i % C) / (C / G)) === g;
          const { mean, std } = stats(out, inGroup);
          expect(Math.abs(mean)).toBeLessThan(1e-5);
          expect(Math.abs(std - 1)).toBeLessThan(1e-3);
        }
      }
    });
  });
});

describe('spatialGroupnormBackward', () => {
  // [N, H, W, C, G]: a batch of one, G = 1 (layer norm over the image), G = C (instance norm), groups in between.
  const cases: [number, number, number, number, number][] = [
    [1, 3, 3, 4, 2],
    [2, 3, 5, 4, 1],
    [2, 2, 3, 3, 3],
    [3, 2, 2, 6, 3],
  ];
  it.each(cases)('out, dx, dgamma, dbeta match autodiff on x [%i, %i, %i, %i], G = %i', (N, H, W, C, G) => {
    tf.tidy(() => {
      const rng = new Rng(N * 1000 + H * 100 + W * 10 + C + G);
      const x = images(rng, [N, H, W, C]);
      const gamma = rng.randn([C]) as tf.Tensor1D;
      const beta = rng.randn([C]) as tf.Tensor1D;
      const dout = rng.randn([N, H, W, C]) as tf.Tensor4D;
      const { out, cache } = spatialGroupnormForward(x, gamma, beta, G, { eps: 1e-5 });
      expect(relError(out, spatialGroupnormRef(x, gamma, beta, G)).norm).toBeLessThan(AUTODIFF_BOUND);
      const hand = spatialGroupnormBackward(dout, cache);
      const auto = autodiffGrads((t) => spatialGroupnormRef(t.x, t.gamma, t.beta, G), { x, gamma, beta }, dout);
      expectAllPass(compareGrads(`spatial groupnorm G=${G}`, { x: hand.dx, gamma: hand.dgamma, beta: hand.dbeta }, auto));
    });
  });

  it('leaves no tensors behind: out, the cache and the gradients are all there is', () => {
    const rng = new Rng(7);
    const x = images(rng, [2, 3, 3, 4]);
    const gamma = rng.randn([4]) as tf.Tensor1D;
    const beta = rng.randn([4]) as tf.Tensor1D;
    const dout = rng.randn([2, 3, 3, 4]) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const { out, cache } = spatialGroupnormForward(x, gamma, beta, 2);
    const grads = spatialGroupnormBackward(dout, cache);
    const created = [out, cache.xhat, cache.invStd, grads.dx, grads.dgamma, grads.dbeta];
    expect(tf.memory().numTensors - before).toBe(created.length);
    tf.dispose(created);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, gamma, beta, dout]);
  });

  it('errors name the argument and the shapes', () => {
    tf.tidy(() => {
      const fn = 'spatial groupnorm forward';
      const x = tf.zeros([2, 3, 3, 6]) as tf.Tensor4D;
      const g = tf.ones([6]) as tf.Tensor1D;
      expect(() => spatialGroupnormForward(x, g, g, 4)).toThrow(`${fn}: G = 4 groups must divide the C = 6 channels of x [N, H, W, C] = [2,3,3,6]`);
      expect(() => spatialGroupnormForward(x, g, g, 0)).toThrow(`${fn}: G must be a positive integer, got 0`);
      expect(() => spatialGroupnormForward(x, tf.ones([1, 6, 1, 1]) as unknown as tf.Tensor1D, g, 2)).toThrow(
        `${fn}: gamma must have shape [6], got [1,6,1,1]`,
      );
      expect(() => spatialGroupnormForward(tf.zeros([3, 3, 6]) as unknown as tf.Tensor4D, g, g, 2)).toThrow(
        `${fn}: x must be rank 4 [N, H, W, C], got shape [3,3,6]`,
      );
      expect(() => spatialGroupnormForward(x, g, g, 2, { eps: 0 })).toThrow(`${fn}: gnParam.eps must be > 0, got 0`);
      const { cache } = spatialGroupnormForward(x, g, g, 3);
      expect(() => spatialGroupnormBackward(tf.zeros([2, 3, 3, 3]) as tf.Tensor4D, cache)).toThrow(
        'spatial groupnorm backward: dout must have shape [2,3,3,6], got [2,3,3,3]',
      );
    });
  });
});
