/**
 * Patch whitening (src/layers/patch_whitening.ts): the covariance against a direct count on a tiny image, and the
 * point of the layer: convolving images with the filters gives responses that are uncorrelated with unit variance
 * (up to eps), in +/- pairs, whatever the images' scale.
 */
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../support/backend';
import { Rng } from '../../src/random';
import { patchCovariance, whiteningFilters } from '../../src/layers/patch_whitening';

beforeAll(async () => {
  await useBackend();
});

/** Covariance (second moment) of the F channels of out [N, H, W, F], in float64. */
function channelMoments(out: tf.Tensor4D): Float64Array {
  const F = out.shape[3];
  const v = out.dataSync();
  const rows = v.length / F;
  const m = new Float64Array(F * F);
  for (let r = 0; r < rows; r++) for (let i = 0; i < F; i++) for (let j = 0; j < F; j++) m[i * F + j] += (v[r * F + i] * v[r * F + j]) / rows;
  return m;
}

describe('patchCovariance', () => {
  it('counts every 2x2 patch once, entries in [kh, kw, c] order', () => {
    tf.tidy(() => {
      // One 2 x 3 single-channel image: two patches, [1, 2, 4, 5] and [2, 3, 5, 6].
      const { cov, d } = patchCovariance(tf.tensor4d([1, 2, 3, 4, 5, 6], [1, 2, 3, 1]));
      expect(d).toBe(4);
      const p = [
        [1, 2, 4, 5],
        [2, 3, 5, 6],
      ];
      for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) expect(cov[i * 4 + j]).toBeCloseTo((p[0][i] * p[0][j] + p[1][i] * p[1][j]) / 2, 12);
    });
  });
});

describe('whiteningFilters', () => {
  it.each([[1], [255]])('whiten correlated images (scale %d): responses uncorrelated, unit variance, in +/- pairs', (scale) => {
    tf.tidy(() => {
      const rng = new Rng(7);
      // Smooth, correlated images: neighbouring pixels and channels share most of their value.
      const base = rng.randn([20, 9, 9, 1]);
      const smooth = tf.avgPool(tf.pad(base, [[0, 0], [1, 1], [1, 1], [0, 0]], 0) as tf.Tensor4D, 3, 1, 'valid');
      const images = tf.mul(tf.add(tf.concat([smooth, smooth, smooth], 3), rng.randn([20, 9, 9, 3], 0.1)), scale) as tf.Tensor4D;
      const { cov } = patchCovariance(images);
      const w = whiteningFilters(cov, 2, 3, 1e-6);
      expect(w.shape).toEqual([2, 2, 3, 24]);
      const out = tf.conv2d(images, w, 1, 'valid');
      const m = channelMoments(out);
      for (let i = 0; i < 12; i++) {
        for (let j = 0; j < 12; j++) expect(Math.abs(m[i * 24 + j] - (i === j ? 1 : 0))).toBeLessThan(2e-3);
        // Filter 12 + i is filter i negated.
        expect(m[i * 24 + 12 + i]).toBeCloseTo(-m[i * 24 + i], 5);
      }
      // The raw patches were far from white: neighbouring entries correlate strongly.
      expect(cov[1] / Math.sqrt(cov[0] * cov[13])).toBeGreaterThan(0.5);
    });
  });

  it('shrinks the directions whose variance is small next to eps', () => {
    tf.tidy(() => {
      // Two directions: variance 1 and 1e-6. With eps 0.5 (times the mean eigenvalue ~0.5) the second is damped.
      const cov = [1, 0, 0, 1e-6];
      const w = whiteningFilters(cov, 1, 2, 0.5).dataSync();
      // Filter for lambda = 1: 1 / sqrt(1 + 0.25) ~ 0.894; for lambda = 1e-6: 1 / sqrt(0.25) = 2 (not 1000).
      expect(Math.abs(w[0 * 4 + 0])).toBeCloseTo(1 / Math.sqrt(1.25), 3);
      expect(Math.abs(w[1 * 4 + 1])).toBeCloseTo(2, 3);
      expect(() => whiteningFilters([1, 0, 0], 1, 2)).toThrow('whiteningFilters: cov must be 2 x 2 for 1x1 patches of 2 channels, got 3 entries');
    });
  });
});
