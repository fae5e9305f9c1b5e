/**
 * Layer normalisation, as the notebook checks it: after the forward pass each example has mean ~0 and std ~1
 * (before gamma and beta); every gradient matches tfjs autodiff, a batch of one included; a numeric gradient check;
 * independence from the rest of the batch; errors; and no leaked tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../support/backend';
import { Rng } from '../../src/random';
import { layernormForward, layernormBackward } from '../../src/layers/layernorm';
import { layernormRef } from '../../reference/layers_dense';
import { autodiffGrads, compareGrads } from '../../reference/crosscheck';
import { NUMERIC_BOUND, numericGradientArray, relError } from '../../src/gradcheck';
import { expectAllPass } from '../support/expect';

/** Seeded [N, D] input whose rows have different means (-5..5) and scales (0.5..3). */
function examples(rng: Rng, n: number, d: number): tf.Tensor2D {
  const v = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const mean = -5 + 10 * rng.uniform();
    const std = 0.5 + 2.5 * rng.uniform();
    for (let j = 0; j < d; j++) v[i * d + j] = mean + std * rng.normal();
  }
  return tf.tensor2d(v, [n, d]);
}

beforeAll(async () => {
  await useBackend();
});

describe('layernormForward', () => {
  it('matches a hand-computed case', () => {
    tf.tidy(() => {
      const rows = [
        [1, 2, 3, 6],
        [-4, 0, 0, 4],
      ];
      const gamma = [2, 1, -1, 0.5];
      const beta = [0, 1, 0, -1];
      const { out } = layernormForward(tf.tensor2d(rows), tf.tensor1d(gamma), tf.tensor1d(beta), {});
      // Row 0: mean 3, biased variance 3.5; row 1: mean 0, variance 8.
      const stats = [
        [3, 3.5],
        [0, 8],
      ];
      const expected = rows.flatMap((r, i) => r.map((v, j) => (gamma[j] * (v - stats[i][0])) / Math.sqrt(stats[i][1] + 1e-5) + beta[j]));
      expect(relError(out, expected).norm).toBeLessThan(1e-6);
    });
  });

  it('gives each example mean ~0 and std ~1 with gamma = 1, beta = 0', () => {
    tf.tidy(() => {
      const x = examples(new Rng(1), 4, 300);
      const { out } = layernormForward(x, tf.ones([300]) as tf.Tensor1D, tf.zeros([300]) as tf.Tensor1D);
      const { mean, variance } = tf.moments(out, 1);
      Array.from(mean.dataSync()).forEach((m) => expect(Math.abs(m)).toBeLessThan(1e-5));
      Array.from(variance.dataSync()).forEach((v) => expect(Math.sqrt(v)).toBeCloseTo(1, 4));
    });
  });

  it('normalises each example on its own, whatever else is in the batch', () => {
    tf.tidy(() => {
      const rng = new Rng(2);
      const x = examples(rng, 5, 6);
      const gamma = rng.randn([6]) as tf.Tensor1D;
      const beta = rng.randn([6]) as tf.Tensor1D;
      const batch = layernormForward(x, gamma, beta, { eps: 1e-3 }).out;
      const alone = layernormForward(tf.slice(x, [2, 0], [1, 6]), gamma, beta, { eps: 1e-3 }).out;
      expect(relError(tf.slice(batch, [2, 0], [1, 6]), alone).norm).toBe(0);
    });
  });
});

describe('layernormBackward', () => {
  // [N, D]: a batch of one (fine here: statistics are per example), odd sizes. D = 1 and D = 2 are left out: there
  // x-hat no longer depends on x (it is 0, or +-1), dx is 0 up to eps, and the comparison would be between two
  // roundings of zero (batchnorm's N = 1 and N = 2, transposed).
  const shapes: [number, number][] = [
    [1, 5],
    [3, 7],
    [6, 4],
    [2, 13],
  ];
  it.each(shapes)('dx, dgamma, dbeta match autodiff for x [%i, %i]', (n, d) => {
    tf.tidy(() => {
      const rng = new Rng(n * 100 + d);
      const x = examples(rng, n, d);
      const gamma = rng.randn([d]) as tf.Tensor1D;
      const beta = rng.randn([d]) as tf.Tensor1D;
      const dout = rng.randn([n, d]) as tf.Tensor2D;
      const g = layernormBackward(dout, layernormForward(x, gamma, beta).cache);
      const auto = autodiffGrads((t) => layernormRef(t.x, t.gamma, t.beta), { x, gamma, beta }, dout);
      expectAllPass(compareGrads('layernorm', { x: g.dx, gamma: g.dgamma, beta: g.dbeta }, auto));
    });
  });

  it('passes a numeric gradient check (step 1e-2)', () => {
    tf.tidy(() => {
      const rng = new Rng(7);
      const x = examples(rng, 3, 5);
      const gamma = rng.randn([5]) as tf.Tensor1D;
      const beta = rng.randn([5]) as tf.Tensor1D;
      const dout = rng.randn([3, 5]) as tf.Tensor2D;
      const g = layernormBackward(dout, layernormForward(x, gamma, beta).cache);
      const numDx = numericGradientArray((t) => layernormForward(t as tf.Tensor2D, gamma, beta).out, x, dout);
      const numDgamma = numericGradientArray((t) => layernormForward(x, t as tf.Tensor1D, beta).out, gamma, dout);
      const numDbeta = numericGradientArray((t) => layernormForward(x, gamma, t as tf.Tensor1D).out, beta, dout);
      expect({ dx: relError(numDx, g.dx).norm < NUMERIC_BOUND }).toEqual({ dx: true });
      expect({ dgamma: relError(numDgamma, g.dgamma).norm < NUMERIC_BOUND }).toEqual({ dgamma: true });
      expect({ dbeta: relError(numDbeta, g.dbeta).norm < NUMERIC_BOUND }).toEqual({ dbeta: true });
    });
  });

  it('leaves no tensors behind and frees its temporaries', () => {
    const rng = new Rng(3);
    const x = examples(rng, 4, 6);
    const gamma = rng.randn([6]) as tf.Tensor1D;
    const beta = rng.randn([6]) as tf.Tensor1D;
    const dout = rng.randn([4, 6]) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    const { out, cache } = layernormForward(x, gamma, beta);
    const g = layernormBackward(dout, cache);
    // out, the cache's xhat and invStd (gamma is the input), and three gradients.
    expect(tf.memory().numTensors - before).toBe(6);
    tf.dispose([out, cache.xhat, cache.invStd, g.dx, g.dgamma, g.dbeta]);
    tf.tidy(() => {
      layernormBackward(dout, layernormForward(x, gamma, beta).cache);
    });
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, gamma, beta, dout]);
  });
});

describe('layernorm errors', () => {
  it('name the argument and the shapes', () => {
    tf.tidy(() => {
      const x = tf.zeros([4, 3]) as tf.Tensor2D;
      const g = tf.ones([3]) as tf.Tensor1D;
      expect(() => layernormForward(tf.zeros([12]) as unknown as tf.Tensor2D, g, g)).toThrow(
        'layernorm forward: x must be rank 2 [N, D], got shape [12]',
      );
      expect(() => layernormForward(x, tf.ones([4]) as tf.Tensor1D, g)).toThrow('layernorm forward: gamma must have shape [3], got [4]');
      expect(() => layernormForward(x, g, tf.ones([2]) as tf.Tensor1D)).toThrow('layernorm forward: beta must have shape [3], got [2]');
      expect(() => layernormForward(x, g, g, { eps: 0 })).toThrow('layernorm forward: lnParam.eps must be > 0, got 0');
      const { cache } = layernormForward(x, g, g);
      expect(() => layernormBackward(tf.zeros([4, 4]) as tf.Tensor2D, cache)).toThrow('layernorm backward: dout must have shape [4,3], got [4,4]');
    });
  });
});
