/**
 * The computations behind the course-topic figures of `npm run topics` (docs/training-practice.md): per-pixel
 * normalisation, whitening of 2x2 patches turned back into an image, and the update-to-weight ratio of a step.
 * Plain functions on tensors, specced in spec/scripts/topics.spec.ts; the script draws what they return.
 */
import * as tf from '@tensorflow/tfjs-core';
import { symmetricEigen } from '../../src/linalg/symmetric_eigen';
import { patchCovariance, whiteningFilters } from '../../src/layers/patch_whitening';

/**
 * The per-pixel standard deviation of centred rows: x [N, D] with each column's mean already subtracted
 * (np.std(X, axis=0) of the course's preprocessing). Returns [D], accumulated in float64.
 */
export function pixelStd(x: Float32Array, n: number): Float32Array {
  if (n <= 0 || x.length % n !== 0) throw new Error(`pixelStd: x must hold n = ${n} rows, got ${x.length} values`);
  const d = x.length / n;
  const sum = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let p = 0; p < d; p++) sum[p] += x[i * d + p] * x[i * d + p];
  return Float32Array.from(sum, (s) => Math.sqrt(s / n));
}

/** What whitenPatches finds. The caller disposes the tensors. */
export interface PatchWhitening {
  /** Eigenvalues of the 2x2 patch covariance, largest first: [d], d = 4C. */
  values: Float64Array;
  /** The d whitening filters (the layer's, without their negatives): [2, 2, C, d]. */
  filters: tf.Tensor4D;
  /** Every image whitened: [N, H - 1, W - 1, C], one pixel per 2x2 patch (its top-left entry, see below). */
  whitened: tf.Tensor4D;
}

/**
 * Whitening as the airbench net's first layer does it (src/layers/patch_whitening.ts), and turned back into an
 * image so that it can be looked at.
 *
 * The layer's d filters f_k = v_k / sqrt(lambda_k + eps mean(lambda)) give each 2x2 patch p the coordinates
 * r_k = f_k . p: PCA whitening, uncorrelated with unit variance, but in the eigenvectors' frame, which is no image.
 * Rotating back, z = sum_k r_k v_k (ZCA whitening, z = S^{-1/2} p), gives a patch again, whose covariance is still
 * the identity; its top-left pixel (entries 0..C-1 of z, [kh, kw, c] order) is the whitened image's pixel.
 *
 * images: [N, H, W, C] centred (mean image subtracted). eps: relative, as whiteningFilters'.
 */
export function whitenPatches(images: tf.Tensor4D, eps = 5e-4): PatchWhitening {
  const C = images.shape[3];
  const { cov, d } = patchCovariance(images, 2);
  const { values, vectors } = symmetricEigen(cov, d);
  const { filters, whitened } = tf.tidy(() => {
    const both = whiteningFilters(cov, 2, C, eps);
    const f = tf.slice(both, [0, 0, 0, 0], [2, 2, C, d]) as tf.Tensor4D;
    const r = tf.conv2d(images, f, 1, 'valid');
    // back[k, c] = v_k's entry for the top-left pixel's channel c.
    const back = new Float32Array(d * C);
    for (let k = 0; k < d; k++) for (let c = 0; c < C; c++) back[k * C + c] = vectors[k * d + c];
    const [N, Ho, Wo] = r.shape;
    const z = tf.matMul(tf.reshape(r, [N * Ho * Wo, d]), tf.tensor2d(back, [d, C]));
    return { filters: f, whitened: tf.reshape(z, [N, Ho, Wo, C]) as tf.Tensor4D };
  });
  return { values: Float64Array.from(values), filters, whitened };
}

/** The covariance (second moment) of the channels of x [N, H, W, C], every pixel one sample: [C * C], float64. */
export function channelCovariance(x: tf.Tensor4D): Float64Array {
  return patchCovariance(x, 1).cov;
}

/**
 * The course's update-to-weight ratio of one step: ||W_after - W_before|| / ||W_before|| (Frobenius norms).
 * Both tensors of one shape; the caller keeps W_before (e.g. a tf.clone before solver.step()).
 */
export function updateRatio(before: tf.Tensor, after: tf.Tensor): number {
  if (before.shape.join() !== after.shape.join()) throw new Error(`updateRatio: shapes differ, [${before.shape}] vs [${after.shape}]`);
  return tf.tidy(() => {
    const num = tf.norm(tf.sub(after, before)).dataSync()[0];
    const den = tf.norm(before).dataSync()[0];
    return den === 0 ? Infinity : num / den;
  });
}
