/**
 * Spatial group normalisation (Wu and He, 2018), the course's spatial_groupnorm_forward / backward.
 *
 * Each image's C channels are split into G groups of C/G consecutive channels, and each (image, group) is
 * normalised with its own mean and variance over the group's channels and every pixel. Nothing depends on the
 * rest of the batch, so train and test mode are the same and there are no running statistics. G = 1 is layer
 * norm over a whole image; G = C is instance norm. gamma and beta scale and shift each channel.
 *
 * Layout: x [N, H, W, C] (NHWC; the course's is [N, C, H, W]). With channels last, reshaping to
 * [N, H, W, G, C/G] puts the group on its own axis without moving data; the statistics reduce over axes
 * (1, 2, 4). gamma and beta are [C] (the course's are [1, C, 1, 1]).
 *
 * See docs/batchnorm.md for the derivation.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkPositiveInt, checkRank, checkShape } from './validate';

export interface GnParam {
  /** Added to the variance before the square root, for stability. Default 1e-5. */
  eps?: number;
}

export interface SpatialGroupnormCache {
  /** [N, H, W, G, C/G] normalised input. */
  xhat: tf.Tensor;
  /** [N, 1, 1, G, 1] reciprocal of sqrt(var + eps) per image and group. */
  invStd: tf.Tensor;
  /** [C] */
  gamma: tf.Tensor1D;
  G: number;
}

/** The axes of [N, H, W, G, C/G] that one group's statistics run over. */
const GROUP_AXES = [1, 2, 4];

/**
 * x: [N, H, W, C]. gamma, beta: [C]. G: number of groups, a divisor of C. gnParam: { eps } (default 1e-5).
 * Returns out = gamma * (x - mean) / sqrt(var + eps) + beta, [N, H, W, C], with mean and (biased) variance per
 * image and group, and the cache.
 */
export function spatialGroupnormForward(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  G: number,
  gnParam: GnParam = {},
): { out: tf.Tensor4D; cache: SpatialGroupnormCache } {
  const fn = 'spatial groupnorm forward';
  checkRank(fn, 'x', x, 4, '[N, H, W, C]');
  const [N, H, W, C] = x.shape;
  checkShape(fn, 'gamma', gamma, [C]);
  checkShape(fn, 'beta', beta, [C]);
  checkPositiveInt(fn, 'G', G);
  if (C % G !== 0) throw new Error(`${fn}: G = ${G} groups must divide the C = ${C} channels of x [N, H, W, C] = [${x.shape}]`);
  const eps = gnParam.eps ?? 1e-5;
  if (!(eps > 0)) throw new Error(`${fn}: gnParam.eps must be > 0, got ${eps}`);
  return tf.tidy(() => {
    const xg = tf.reshape(x, [N, H, W, G, C / G]);
    const mean = tf.mean(xg, GROUP_AXES, true);
    const xc = tf.sub(xg, mean);
    const variance = tf.mean(tf.square(xc), GROUP_AXES, true);
    const invStd = tf.rsqrt(tf.add(variance, eps));
    const xhat = tf.mul(xc, invStd);
    const out = tf.add(tf.mul(tf.reshape(xhat, [N, H, W, C]), gamma), beta) as tf.Tensor4D;
    return { out, cache: { xhat, invStd, gamma, G } };
  });
}

/**
 * Backward pass. dbeta and dgamma sum over every image and pixel, as in batchnorm. For dx, each (image, group)
 * is a batchnorm over its M = H * W * C/G entries, so batchnorm's closed form applies within the group: with
 * dxhat = dout * gamma and sums over the group,
 *   dx = invStd / M * (M * dxhat - sum(dxhat) - xhat * sum(dxhat * xhat)).
 *
 * dout: [N, H, W, C]. Returns dx: [N, H, W, C], dgamma: [C], dbeta: [C].
 */
export function spatialGroupnormBackward(
  dout: tf.Tensor4D,
  cache: SpatialGroupnormCache,
): { dx: tf.Tensor4D; dgamma: tf.Tensor1D; dbeta: tf.Tensor1D } {
  const { xhat, invStd, gamma, G } = cache;
  const [N, H, W, , Cg] = xhat.shape;
  const C = G * Cg;
  checkShape('spatial groupnorm backward', 'dout', dout, [N, H, W, C]);
  return tf.tidy(() => {
    const dbeta = tf.sum(dout, [0, 1, 2]) as tf.Tensor1D;
    const dgamma = tf.sum(tf.mul(dout, tf.reshape(xhat, [N, H, W, C])), [0, 1, 2]) as tf.Tensor1D;
    const dxhat = tf.reshape(tf.mul(dout, gamma), [N, H, W, G, Cg]);
    const M = H * W * Cg;
    const sumDxhat = tf.sum(dxhat, GROUP_AXES, true);
    const sumDxhatXhat = tf.sum(tf.mul(dxhat, xhat), GROUP_AXES, true);
    const inner = tf.sub(tf.sub(tf.mul(dxhat, M), sumDxhat), tf.mul(xhat, sumDxhatXhat));
    const dx = tf.reshape(tf.mul(inner, tf.div(invStd, M)), [N, H, W, C]) as tf.Tensor4D;
    return { dx, dgamma, dbeta };
  });
}
