/**
 * The numbers behind `npm run topics`' figures (scripts/lib/topics.ts): whitened images have identity channel
 * covariance, per-pixel std on a hand-made case, the update-to-weight ratio of a known step, grid and random
 * trials on a log scale, histogram shares, and receptive fields measured through the backward passes against the
 * recurrence; no leaked tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../support/backend';
import { Rng } from '../../src/random';
import {
  StackLayer,
  channelCovariance,
  gridTrials,
  histogram,
  influenceMap,
  pixelStd,
  randomTrials,
  receptiveFieldSide,
  updateRatio,
  whitenPatches,
} from '../../scripts/lib/topics';

beforeAll(async () => {
  await useBackend();
});

/** Smooth, correlated colour images [N, 9, 9, 3]: neighbouring pixels and the three channels share most of their value. */
function correlatedImages(rng: Rng, n: number): tf.Tensor4D {
  return tf.tidy(() => {
    const base = rng.randn([n, 9, 9, 1]);
    const smooth = tf.avgPool(tf.pad(base, [[0, 0], [1, 1], [1, 1], [0, 0]], 0) as tf.Tensor4D, 3, 1, 'valid');
    const rgb = tf.concat([tf.mul(smooth, 1.0), tf.mul(smooth, 0.8), tf.mul(smooth, 0.5)], 3);
    return tf.mul(tf.add(rgb, rng.randn([n, 9, 9, 3], 0.1)), 40) as tf.Tensor4D;
  });
}

describe('whitenPatches', () => {
  it('gives images whose three channels are uncorrelated with unit variance; the raw ones were far from it', () => {
    const before = tf.memory().numTensors;
    const images = correlatedImages(new Rng(3), 40);
    const raw = channelCovariance(images);
    // Red and green correlate strongly before whitening.
    expect(raw[1] / Math.sqrt(raw[0] * raw[4])).toBeGreaterThan(0.8);
    const { values, filters, whitened } = whitenPatches(images, 1e-7);
    expect(filters.shape).toEqual([2, 2, 3, 12]);
    expect(whitened.shape).toEqual([40, 8, 8, 3]);
    for (let k = 1; k < values.length; k++) expect(values[k]).toBeLessThanOrEqual(values[k - 1]);
    const cov = channelCovariance(whitened);
    let worst = 0;
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) worst = Math.max(worst, Math.abs(cov[i * 3 + j] - (i === j ? 1 : 0)));
    if (!(worst < 2e-3)) throw new Error(`whitened channel covariance [${Array.from(cov, (v) => v.toFixed(4))}] is off the identity by ${worst} (bound 2e-3)`);
    // Any rotation of white data is white; ZCA is the one that stays closest to the image: z = S^{-1/2} p, so the
    // cross-covariance E[z p^T] = S^{1/2} is symmetric with a positive diagonal (its top-left 3 x 3 block here).
    const cross = tf.tidy(() => {
      const p = tf.reshape(tf.slice(images, [0, 0, 0, 0], [40, 8, 8, 3]), [-1, 3]);
      const z = tf.reshape(whitened, [-1, 3]);
      return Array.from(tf.div(tf.matMul(z, p, true, false), p.shape[0]).dataSync());
    });
    const asym = Math.max(Math.abs(cross[1] - cross[3]), Math.abs(cross[2] - cross[6]), Math.abs(cross[5] - cross[7]));
    const scale = Math.max(...cross.map(Math.abs));
    if (!(asym < 1e-3 * scale) || !(Math.min(cross[0], cross[4], cross[8]) > 0)) {
      throw new Error(`E[z p^T] = [${cross.map((v) => v.toFixed(3))}] is not symmetric with a positive diagonal (asymmetry ${asym}): not ZCA`);
    }
    tf.dispose([images, filters, whitened]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('pixelStd', () => {
  it('is the root mean square of each column of centred rows', () => {
    // Two rows, three pixels: columns (1, -1), (3, -3), (0, 0).
    expect(Array.from(pixelStd(Float32Array.of(1, 3, 0, -1, -3, 0), 2))).toEqual([1, 3, 0]);
    expect(() => pixelStd(new Float32Array(5), 2)).toThrow('pixelStd: x must hold n = 2 rows, got 5 values');
  });
});

describe('updateRatio', () => {
  it('is ||after - before|| / ||before||', () => {
    tf.tidy(() => {
      // before = (3, 4): norm 5; the step (0.03, 0.04) has norm 0.05: ratio 0.01.
      expect(updateRatio(tf.tensor1d([3, 4]), tf.tensor1d([3.03, 4.04]))).toBeCloseTo(0.01, 6);
      expect(() => updateRatio(tf.tensor1d([1]), tf.tensor1d([1, 2]))).toThrow('updateRatio: shapes differ');
    });
  });
});

describe('gridTrials and randomTrials', () => {
  it('a k x k grid holds k values per axis, both ends included; n random trials hold n values, all in range', () => {
    const grid = gridTrials([-7, -5], [0, 2], 3);
    expect(grid).toHaveLength(9);
    const lrs = [...new Set(grid.map((t) => Math.log10(t.learningRate)))];
    expect(lrs.map((v) => Number(v.toFixed(9)))).toEqual([-7, -6, -5]);
    expect([...new Set(grid.map((t) => Math.round(Math.log10(t.reg))))]).toEqual([0, 1, 2]);
    const random = randomTrials(new Rng(1), [-7, -5], [0, 2], 9);
    expect(new Set(random.map((t) => t.learningRate)).size).toBe(9);
    for (const t of random) {
      expect(Math.log10(t.learningRate)).toBeGreaterThanOrEqual(-7);
      expect(Math.log10(t.learningRate)).toBeLessThanOrEqual(-5);
      expect(Math.log10(t.reg)).toBeGreaterThanOrEqual(0);
      expect(Math.log10(t.reg)).toBeLessThanOrEqual(2);
    }
    expect(randomTrials(new Rng(1), [-7, -5], [0, 2], 9)).toEqual(random);
    expect(() => gridTrials([-7, -5], [0, 2], 1)).toThrow('gridTrials: k must be an integer of at least 2, got 1');
  });
});

describe('histogram', () => {
  it('gives each bin its share of all the values, those out of range counted in the total only', () => {
    // Bins [0, 1) and [1, 2]: 0.5 and 0.9 in the first, 1 and 2 in the second, 5 outside.
    expect(histogram([0.5, 0.9, 1, 2, 5], 0, 2, 2)).toEqual({ centers: [0.5, 1.5], shares: [0.4, 0.4] });
  });
});

describe('receptive fields', () => {
  it('the recurrence gives 7, 8, then 3, 5, 7, and 12 with a pool inside', () => {
    const conv = (k: number): StackLayer => ({ kind: 'conv', k });
    expect(receptiveFieldSide([conv(7)])).toBe(7);
    expect(receptiveFieldSide([conv(7), { kind: 'pool' }])).toBe(8);
    expect([1, 2, 3].map((d) => receptiveFieldSide(Array.from({ length: d }, () => conv(3))))).toEqual([3, 5, 7]);
    expect(receptiveFieldSide([conv(3), { kind: 'pool' }, conv(3), conv(3)])).toBe(12);
  });

  it('the gradient of one output unit is non-zero on exactly that square; one image through a pool sees less', () => {
    const before = tf.memory().numTensors;
    const images = new Rng(5).randn([16, 16, 16, 3]) as tf.Tensor4D;
    const conv = (k: number): StackLayer => ({ kind: 'conv', k });
    for (const layers of [[conv(5)], [conv(3), conv(3), conv(3)], [conv(3), { kind: 'pool' }, conv(3)] as StackLayer[]]) {
      const m = influenceMap(images, layers, 4, new Rng(2));
      const r = receptiveFieldSide(layers);
      if (m.side !== r || m.meanCount !== r * r) {
        throw new Error(`stack ${JSON.stringify(layers)}: gradient non-zero on ${m.meanCount} pixels spanning ${m.side}, the recurrence says ${r} x ${r}`);
      }
      expect(m.singleCount).toBeLessThanOrEqual(m.meanCount);
    }
    // A 3x3 conv then a pool: each image's gradient passes one of the pool's four inputs, a 3 x 3 of the 4 x 4.
    expect(influenceMap(images, [conv(3), { kind: 'pool' }], 4, new Rng(2)).singleCount).toBe(9);
    images.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
