/**
 * Batch normalisation, as the notebook checks it: after the forward pass each feature has mean ~beta and std
 * ~gamma; both backward passes match tfjs autodiff and each other; a numeric gradient check; running statistics
 * follow their update formula and drive test mode; the degenerate batch of one; errors; and no leaked tensors,
 * running statistics included.
 */
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../support/backend';
import { Rng } from '../../src/random';
import { BnParam, batchnormForward, batchnormBackward, batchnormBackwardAlt, BatchnormGrads, BatchnormCache } from '../../src/layers/batchnorm';
import { batchnormRef, batchnormTestRef } from '../../reference/layers_dense';
import { autodiffGrads, compareGrads } from '../../reference/crosscheck';
import { AUTODIFF_BOUND, NUMERIC_BOUND, numericGradientArray, relError } from '../../src/gradcheck';
import { expectAllPass } from '../support/expect';

type Backward = (dout: tf.Tensor2D, cache: BatchnormCache) => BatchnormGrads;
const backwards: [string, Backward][] = [
  ['batchnormBackward', batchnormBackward],
  ['batchnormBackwardAlt', batchnormBackwardAlt],
];

/** Seeded [N, D] input whose features have different means (-5..5) and scales (0.5..3), as a hidden layer's would. */
function features(rng: Rng, n: number, d: number): tf.Tensor2D {
  const means = rng.uniformArray(d, -5, 5);
  const stds = rng.uniformArray(d, 0.5, 3);
  const v = new Float32Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) v[i * d + j] = means[j] + stds[j] * rng.normal();
  return tf.tensor2d(v, [n, d]);
}

/** Per-column mean and biased variance in float64, the course's np.mean(axis=0) and np.var(axis=0). */
function columnStats(x: tf.Tensor2D): { mean: number[]; variance: number[] } {
  const [n, d] = x.shape;
  const v = x.dataSync();
  const mean = Array.from({ length: d }, (_, j) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += v[i * d + j];
    return s / n;
  });
  const variance = mean.map((m, j) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += (v[i * d + j] - m) ** 2;
    return s / n;
  });
  return { mean, variance };
}

/** A train-mode forward whose running statistics are thrown away (for checks that call it many times). */
function trainOut(x: tf.Tensor2D, gamma: tf.Tensor1D, beta: tf.Tensor1D): tf.Tensor2D {
  const bnParam: BnParam = { mode: 'train' };
  const { out } = batchnormForward(x, gamma, beta, bnParam);
  tf.dispose([bnParam.runningMean!, bnParam.runningVar!]);
  return out;
}

beforeAll(async () => {
  await useBackend();
});

describe('batchnormForward, train mode', () => {
  it('matches a hand-computed case', () => {
    tf.tidy(() => {
      const col = [1, 2, 3, 6];
      const x = tf.tensor2d(col.map((v) => [v, 10 * v]));
      const out = trainOut(x, tf.tensor1d([2, -1]), tf.tensor1d([0.5, 0]));
      // Column 0: mean 3, biased variance (4 + 1 + 0 + 9) / 4 = 3.5; column 1 is 10x column 0: mean 30, variance 350.
      const expected = col.flatMap((v) => [2 * ((v - 3) / Math.sqrt(3.5 + 1e-5)) + 0.5, -((10 * v - 30) / Math.sqrt(350 + 1e-5))]);
      expect(relError(out, expected).norm).toBeLessThan(1e-6);
    });
  });

  it('gives each feature mean ~0 and std ~1, then mean ~beta and std ~gamma', () => {
    tf.tidy(() => {
      const x = features(new Rng(1), 200, 3);
      const before = columnStats(x);
      expect(Math.min(...before.variance.map(Math.sqrt))).toBeGreaterThan(0.4);

      const plain = columnStats(trainOut(x, tf.ones([3]) as tf.Tensor1D, tf.zeros([3]) as tf.Tensor1D));
      plain.mean.forEach((m) => expect(Math.abs(m)).toBeLessThan(1e-5));
      plain.variance.forEach((v) => expect(Math.sqrt(v)).toBeCloseTo(1, 4));

      const gamma = [1, 2, 3];
      const beta = [11, 12, 13];
      const shifted = columnStats(trainOut(x, tf.tensor1d(gamma), tf.tensor1d(beta)));
      shifted.mean.forEach((m, j) => expect(m).toBeCloseTo(beta[j], 4));
      shifted.variance.forEach((v, j) => expect(Math.sqrt(v)).toBeCloseTo(gamma[j], 3));
    });
  });

  it('with a batch of one is degenerate but finite: out = beta, dx = 0', () => {
    tf.tidy(() => {
      const rng = new Rng(2);
      const beta = rng.randn([4]) as tf.Tensor1D;
      const dout = rng.randn([1, 4]) as tf.Tensor2D;
      const bnParam: BnParam = { mode: 'train' };
      const { out, cache } = batchnormForward(rng.randn([1, 4]) as tf.Tensor2D, rng.randn([4]) as tf.Tensor1D, beta, bnParam);
      tf.dispose([bnParam.runningMean!, bnParam.runningVar!]);
      expect(Array.from(out.dataSync())).toEqual(Array.from(beta.dataSync()));
      for (const [, backward] of backwards) {
        const g = backward(dout, cache);
        expect(Array.from(g.dx.dataSync(), Math.abs)).toEqual([0, 0, 0, 0]);
        expect(Array.from(g.dbeta.dataSync())).toEqual(Array.from(dout.dataSync()));
      }
    });
  });
});

describe.each(backwards)('%s', (name, backward) => {
  // [N, D]: odd sizes and a single feature. N = 1 and N = 2 are left out: there x-hat no longer depends on x
  // (it is 0, or +-1), dx is 0 up to eps, and the comparison would be between two roundings of zero.
  const shapes: [number, number][] = [
    [4, 5],
    [7, 3],
    [3, 1],
    [13, 6],
    [5, 7],
  ];
  it.each(shapes)('dx, dgamma, dbeta match autodiff for x [%i, %i]', (n, d) => {
    tf.tidy(() => {
      const rng = new Rng(n * 100 + d);
      const x = features(rng, n, d);
      const gamma = rng.randn([d]) as tf.Tensor1D;
      const beta = rng.randn([d]) as tf.Tensor1D;
      const dout = rng.randn([n, d]) as tf.Tensor2D;
      const bnParam: BnParam = { mode: 'train' };
      const g = backward(dout, batchnormForward(x, gamma, beta, bnParam).cache);
      tf.dispose([bnParam.runningMean!, bnParam.runningVar!]);
      const auto = autodiffGrads((t) => batchnormRef(t.x, t.gamma, t.beta), { x, gamma, beta }, dout);
      expectAllPass(compareGrads(name, { x: g.dx, gamma: g.dgamma, beta: g.dbeta }, auto));
    });
  });

  it('matches autodiff in test mode, where the running statistics are constants', () => {
    tf.tidy(() => {
      const rng = new Rng(5);
      const x = features(rng, 6, 4);
      const gamma = rng.randn([4]) as tf.Tensor1D;
      const beta = rng.randn([4]) as tf.Tensor1D;
      const dout = rng.randn([6, 4]) as tf.Tensor2D;
      const runningMean = rng.randn([4]) as tf.Tensor1D;
      const runningVar = rng.rand([4], 0.5, 2) as tf.Tensor1D;
      const g = backward(dout, batchnormForward(x, gamma, beta, { mode: 'test', runningMean, runningVar }).cache);
      const auto = autodiffGrads((t) => batchnormTestRef(t.x, t.gamma, t.beta, runningMean, runningVar), { x, gamma, beta }, dout);
      expectAllPass(compareGrads(`${name} (test mode)`, { x: g.dx, gamma: g.dgamma, beta: g.dbeta }, auto));
    });
  });
});

describe('batchnorm backward passes', () => {
  it('agree with each other (staged graph vs closed form)', () => {
    tf.tidy(() => {
      const rng = new Rng(6);
      const x = features(rng, 50, 9);
      const bnParam: BnParam = { mode: 'train' };
      const { cache } = batchnormForward(x, rng.randn([9]) as tf.Tensor1D, rng.randn([9]) as tf.Tensor1D, bnParam);
      tf.dispose([bnParam.runningMean!, bnParam.runningVar!]);
      const dout = rng.randn([50, 9]) as tf.Tensor2D;
      const a = batchnormBackward(dout, cache);
      const b = batchnormBackwardAlt(dout, cache);
      expect(relError(a.dx, b.dx).norm).toBeLessThan(AUTODIFF_BOUND);
      expect(relError(a.dgamma, b.dgamma).norm).toBe(0);
      expect(relError(a.dbeta, b.dbeta).norm).toBe(0);
    });
  });

  it('pass a numeric gradient check (step 1e-2)', () => {
    tf.tidy(() => {
      const rng = new Rng(7);
      const x = features(rng, 5, 4);
      const gamma = rng.randn([4]) as tf.Tensor1D;
      const beta = rng.randn([4]) as tf.Tensor1D;
      const dout = rng.randn([5, 4]) as tf.Tensor2D;
      const bnParam: BnParam = { mode: 'train' };
      const { cache } = batchnormForward(x, gamma, beta, bnParam);
      tf.dispose([bnParam.runningMean!, bnParam.runningVar!]);
      const numDx = numericGradientArray((t) => trainOut(t as tf.Tensor2D, gamma, beta), x, dout);
      const numDgamma = numericGradientArray((t) => trainOut(x, t as tf.Tensor1D, beta), gamma, dout);
      const numDbeta = numericGradientArray((t) => trainOut(x, gamma, t as tf.Tensor1D), beta, dout);
      for (const [name, backward] of backwards) {
        const g = backward(dout, cache);
        expect({ name, dx: relError(numDx, g.dx).norm < NUMERIC_BOUND }).toEqual({ name, dx: true });
        expect({ name, dgamma: relError(numDgamma, g.dgamma).norm < NUMERIC_BOUND }).toEqual({ name, dgamma: true });
        expect({ name, dbeta: relError(numDbeta, g.dbeta).norm < NUMERIC_BOUND }).toEqual({ name, dbeta: true });
      }
    });
  });
});

describe('running statistics', () => {
  it('start at zero and follow running = momentum * running + (1 - momentum) * batch', () => {
    tf.tidy(() => {
      const rng = new Rng(8);
      const x1 = features(rng, 10, 3);
      const x2 = features(rng, 10, 3);
      const gamma = tf.ones([3]) as tf.Tensor1D;
      const beta = tf.zeros([3]) as tf.Tensor1D;
      const s1 = columnStats(x1);
      const s2 = columnStats(x2);

      const byDefault: BnParam = { mode: 'train' };
      batchnormForward(x1, gamma, beta, byDefault);
      expect(relError(byDefault.runningMean!, s1.mean.map((m) => 0.1 * m)).norm).toBeLessThan(1e-6);
      expect(relError(byDefault.runningVar!, s1.variance.map((v) => 0.1 * v)).norm).toBeLessThan(1e-6);
      tf.dispose([byDefault.runningMean!, byDefault.runningVar!]);

      const bnParam: BnParam = { mode: 'train', momentum: 0.8 };
      batchnormForward(x1, gamma, beta, bnParam);
      batchnormForward(x2, gamma, beta, bnParam);
      const mean = s1.mean.map((m, j) => 0.8 * (0.2 * m) + 0.2 * s2.mean[j]);
      const variance = s1.variance.map((v, j) => 0.8 * (0.2 * v) + 0.2 * s2.variance[j]);
      expect(relError(bnParam.runningMean!, mean).norm).toBeLessThan(1e-6);
      expect(relError(bnParam.runningVar!, variance).norm).toBeLessThan(1e-6);
      tf.dispose([bnParam.runningMean!, bnParam.runningVar!]);
    });
  });

  it('drive test mode, which leaves them unchanged', () => {
    tf.tidy(() => {
      const rng = new Rng(9);
      const gamma = rng.randn([4]) as tf.Tensor1D;
      const beta = rng.randn([4]) as tf.Tensor1D;
      const bnParam: BnParam = { mode: 'train', eps: 1e-3 };
      for (let step = 0; step < 3; step++) batchnormForward(features(rng, 8, 4), gamma, beta, bnParam);
      const { runningMean, runningVar } = bnParam;
      const meanValues = Array.from(runningMean!.dataSync());

      bnParam.mode = 'test';
      const x = features(rng, 5, 4);
      const { out } = batchnormForward(x, gamma, beta, bnParam);
      const expected = batchnormTestRef(x, gamma, beta, runningMean!, runningVar!, 1e-3);
      expect(relError(out, expected).norm).toBeLessThan(1e-6);
      // Test mode normalises with the running statistics, not this batch's own.
      expect(relError(out, batchnormRef(x, gamma, beta, 1e-3)).norm).toBeGreaterThan(1e-2);
      expect(bnParam.runningMean).toBe(runningMean);
      expect(bnParam.runningVar).toBe(runningVar);
      expect(Array.from(runningMean!.dataSync())).toEqual(meanValues);
      tf.dispose([runningMean!, runningVar!]);
    });
  });

  it('are required in test mode', () => {
    tf.tidy(() => {
      const x = tf.zeros([2, 3]) as tf.Tensor2D;
      const gamma = tf.ones([3]) as tf.Tensor1D;
      expect(() => batchnormForward(x, gamma, gamma, { mode: 'test' })).toThrow(
        'batchnorm forward: test mode needs bnParam.runningMean and bnParam.runningVar ([3]); run a train-mode forward first',
      );
    });
  });
});

describe('batchnorm memory', () => {
  it('frees its temporaries: only out, the cache, the gradients and the running statistics survive', () => {
    const rng = new Rng(10);
    const x = features(rng, 6, 5);
    const gamma = rng.randn([5]) as tf.Tensor1D;
    const beta = rng.randn([5]) as tf.Tensor1D;
    const dout = rng.randn([6, 5]) as tf.Tensor2D;
    const bnParam: BnParam = { mode: 'train' };
    const before = tf.memory().numTensors;
    const { out, cache } = batchnormForward(x, gamma, beta, bnParam);
    const cached = Object.values(cache).filter((v) => v instanceof tf.Tensor && v !== gamma);
    const a = batchnormBackward(dout, cache);
    const b = batchnormBackwardAlt(dout, cache);
    // out + the cache's own tensors + 2 running statistics + 3 gradients from each backward.
    expect(tf.memory().numTensors - before).toBe(1 + cached.length + 2 + 6);
    tf.dispose([out, ...cached, a.dx, a.dgamma, a.dbeta, b.dx, b.dgamma, b.dbeta, bnParam.runningMean!, bnParam.runningVar!]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, gamma, beta, dout]);
  });

  it('keeps exactly two running-statistic tensors across repeated train steps, and none in test mode', () => {
    const rng = new Rng(11);
    const gamma = rng.randn([5]) as tf.Tensor1D;
    const beta = rng.randn([5]) as tf.Tensor1D;
    const bnParam: BnParam = { mode: 'train' };
    const before = tf.memory().numTensors;
    const previous: tf.Tensor[] = [];
    for (let step = 0; step < 5; step++) {
      tf.tidy(() => {
        const x = features(rng, 6, 5);
        const { cache } = batchnormForward(x, gamma, beta, bnParam);
        batchnormBackwardAlt(rng.randn([6, 5]) as tf.Tensor2D, cache);
      });
      expect(tf.memory().numTensors - before).toBe(2);
      expect(previous.every((t) => t.isDisposed)).toBe(true);
      previous.push(bnParam.runningMean!, bnParam.runningVar!);
    }
    bnParam.mode = 'test';
    tf.tidy(() => {
      const { cache } = batchnormForward(features(rng, 3, 5), gamma, beta, bnParam);
      batchnormBackward(rng.randn([3, 5]) as tf.Tensor2D, cache);
    });
    expect(tf.memory().numTensors - before).toBe(2);
    tf.dispose([bnParam.runningMean!, bnParam.runningVar!, gamma, beta]);
  });
});

describe('batchnorm errors', () => {
  it('name the argument and the shapes', () => {
    tf.tidy(() => {
      const x = tf.zeros([4, 3]) as tf.Tensor2D;
      const g = tf.ones([3]) as tf.Tensor1D;
      const train = (): BnParam => ({ mode: 'train' });
      expect(() => batchnormForward(tf.zeros([2, 3, 4]) as unknown as tf.Tensor2D, g, g, train())).toThrow(
        'batchnorm forward: x must be rank 2 [N, D], got shape [2,3,4]',
      );
      expect(() => batchnormForward(x, tf.ones([4]) as tf.Tensor1D, g, train())).toThrow('batchnorm forward: gamma must have shape [3], got [4]');
      expect(() => batchnormForward(x, g, tf.ones([1, 3]) as unknown as tf.Tensor1D, train())).toThrow(
        'batchnorm forward: beta must have shape [3], got [1,3]',
      );
      expect(() => batchnormForward(x, g, g, { mode: 'train', runningMean: tf.zeros([5]) as tf.Tensor1D })).toThrow(
        'batchnorm forward: bnParam.runningMean must have shape [3], got [5]',
      );
      expect(() => batchnormForward(x, g, g, { mode: 'train', momentum: 1.5 })).toThrow('bnParam.momentum must be in [0, 1], got 1.5');
      expect(() => batchnormForward(x, g, g, { mode: 'eval' as 'train' })).toThrow("bnParam.mode must be 'train' or 'test', got 'eval'");
      const bnParam = train();
      const { cache } = batchnormForward(x, g, g, bnParam);
      tf.dispose([bnParam.runningMean!, bnParam.runningVar!]);
      expect(() => batchnormBackward(tf.zeros([3, 4]) as tf.Tensor2D, cache)).toThrow('batchnorm backward: dout must have shape [4,3], got [3,4]');
      expect(() => batchnormBackwardAlt(tf.zeros([4]) as unknown as tf.Tensor2D, cache)).toThrow(
        'batchnorm backward alt: dout must have shape [4,3], got [4]',
      );
    });
  });
});
