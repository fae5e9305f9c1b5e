/**
 * The patch-whitening first layer (airbench; tysam-code's hlb-CIFAR10 before it): a 2x2 convolution whose filters
 * are fixed before training, computed from the training images so that its outputs are decorrelated and of unit
 * variance. The net's first trained layer then starts from inputs in which no direction of pixel space dominates.
 *
 * The maths. Take every 2x2 patch of every training image as a vector p of d = 2 * 2 * 3 = 12 numbers and let
 * S = E[p p^T] be their covariance (second moment; the images are already centred). S is symmetric, so
 * S = sum_k lambda_k v_k v_k^T with orthonormal eigenvectors v_k. The filter f_k = v_k / sqrt(lambda_k + eps) gives
 * the response f_k . p, whose variance is f_k^T S f_k = lambda_k / (lambda_k + eps), about 1; two responses k != l
 * have covariance f_k^T S f_l = 0. That is ZCA's "PCA whitening" of the patches, done by a convolution. eps keeps
 * the directions with almost no variance (the finest checkerboard patterns) from being blown up into noise.
 *
 * The layer has 2d = 24 filters: the d whitening filters and their negatives. The GELU after it keeps mostly the
 * positive part of each response, and with both signs present nothing of the patch is lost.
 *
 * Scale: the recipe's eps = 5e-4 is for images scaled to unit variance per channel. Here eps is relative: it is
 * multiplied by the mean eigenvalue (the mean variance of a patch entry), so the filters are the same whatever
 * the images' units (0-255 pixels or unit variance).
 *
 * The filters are frozen: the layer's forward and backward are conv_fast.ts's with a fixed w, and only its bias is
 * trained (in the recipe, for the first few epochs only; see docs/best-model.md).
 *
 * Layouts: images NHWC [N, H, W, C]; filters [2, 2, C, 2 * 4C] (tfjs's [HH, WW, C, F]).
 */
import * as tf from '@tensorflow/tfjs-core';
import { symmetricEigen } from '../linalg/symmetric_eigen';
import { checkRank } from './validate';

/**
 * The covariance (second moment) of every k x k patch of the images, in float64.
 *
 * images: [N, H, W, C], float32. k: the patch size (2). Returns { cov, d }: cov is d x d row-major with
 * d = k * k * C, entries ordered as a filter's [kh, kw, c] (so a vector of cov's space reshapes to one filter
 * [k, k, C]).
 */
export function patchCovariance(images: tf.Tensor4D, k = 2): { cov: Float64Array; d: number } {
  const fn = 'patchCovariance';
  checkRank(fn, 'images', images, 4, '[N, H, W, C]');
  const [N, H, W, C] = images.shape;
  if (!Number.isInteger(k) || k < 1 || k > H || k > W) throw new Error(`${fn}: k must be an integer from 1 to min(H, W) = ${Math.min(H, W)}, got ${k}`);
  const x = images.dataSync();
  const d = k * k * C;
  const sums = new Float64Array(d * d);
  const p = new Float64Array(d);
  for (let n = 0; n < N; n++) {
    for (let i = 0; i + k <= H; i++) {
      for (let j = 0; j + k <= W; j++) {
        let e = 0;
        for (let a = 0; a < k; a++) {
          const row = ((n * H + i + a) * W + j) * C;
          for (let b = 0; b < k * C; b++) p[e++] = x[row + b];
        }
        for (let r = 0; r < d; r++) {
          const pr = p[r];
          for (let s = r; s < d; s++) sums[r * d + s] += pr * p[s];
        }
      }
    }
  }
  const count = N * (H - k + 1) * (W - k + 1);
  const cov = new Float64Array(d * d);
  for (let r = 0; r < d; r++) {
    for (let s = r; s < d; s++) {
      cov[r * d + s] = sums[r * d + s] / count;
      cov[s * d + r] = cov[r * d + s];
    }
  }
  return { cov, d };
}

/**
 * The whitening filters of a patch covariance: for each eigenpair (largest eigenvalue first), v / sqrt(lambda +
 * eps * mean(lambda)), then the same filters negated.
 *
 * cov: d x d row-major (patchCovariance). k, C: the patch size and channels, d = k * k * C. eps: relative, >= 0
 * (default 5e-4, the recipe's). Returns w: [k, k, C, 2d] float32.
 */
export function whiteningFilters(cov: ArrayLike<number>, k: number, C: number, eps = 5e-4): tf.Tensor4D {
  const fn = 'whiteningFilters';
  const d = k * k * C;
  if (cov.length !== d * d) throw new Error(`${fn}: cov must be ${d} x ${d} for ${k}x${k} patches of ${C} channels, got ${cov.length} entries`);
  if (!(eps >= 0)) throw new Error(`${fn}: eps must be >= 0, got ${eps}`);
  const { values, vectors } = symmetricEigen(cov, d);
  const meanValue = values.reduce((s, v) => s + v, 0) / d;
  // w[e, f] with e the patch entry ([kh, kw, c] order) and f the filter: column f holds filter f.
  const w = new Float32Array(d * 2 * d);
  for (let f = 0; f < d; f++) {
    const scale = 1 / Math.sqrt(Math.max(values[f], 0) + eps * meanValue);
    for (let e = 0; e < d; e++) {
      w[e * 2 * d + f] = vectors[f * d + e] * scale;
      w[e * 2 * d + d + f] = -vectors[f * d + e] * scale;
    }
  }
  return tf.tensor4d(w, [k, k, C, 2 * d]);
}
