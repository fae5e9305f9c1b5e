/**
 * Spatial batch normalisation: batchnorm for images, one mean and variance per channel, taken over the batch and
 * every pixel (the course's spatial_batchnorm_forward / spatial_batchnorm_backward).
 *
 * With NHWC images [N, H, W, C] the channel is the last axis, so a plain reshape to [N*H*W, C] makes every pixel
 * of every image a row and every channel a column, and batchnorm.ts does the rest. (The course's NCHW layout
 * needs a transpose to [N, H, W, C] first, and back afterwards.)
 *
 * See docs/batchnorm.md for the derivation.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BatchnormCache, BnParam, batchnormBackwardAlt, batchnormForward } from './batchnorm';
import { checkRank, checkShape } from './validate';

export type { BnParam } from './batchnorm';

export interface SpatialBatchnormCache {
  /** batchnorm.ts's cache for the [N*H*W, C] rows. */
  bnCache: BatchnormCache;
  /** [N, H, W, C], to restore dx's shape. */
  xShape: [number, number, number, number];
}

/**
 * x: [N, H, W, C]. gamma: [C] scale. beta: [C] shift (the course's are [C] as well).
 * bnParam: mode 'train' | 'test', eps, momentum and the [C] running statistics, updated in train mode as in
 * batchnorm.ts. Returns out: [N, H, W, C] and the cache.
 */
export function spatialBatchnormForward(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  bnParam: BnParam,
): { out: tf.Tensor4D; cache: SpatialBatchnormCache } {
  const fn = 'spatial batchnorm forward';
  checkRank(fn, 'x', x, 4, '[N, H, W, C]');
  const [N, H, W, C] = x.shape;
  checkShape(fn, 'gamma', gamma, [C]);
  checkShape(fn, 'beta', beta, [C]);
  // The reshaped views are freed here: batchnorm's cache keeps what its backward needs (xhat, ...), not its
  // input or output. batchnormForward tf.keep's the running statistics it stores in bnParam.
  const rows = tf.reshape(x, [N * H * W, C]) as tf.Tensor2D;
  const bn = batchnormForward(rows, gamma, beta, bnParam);
  const out = tf.reshape(bn.out, [N, H, W, C]) as tf.Tensor4D;
  tf.dispose([rows, bn.out]);
  return { out, cache: { bnCache: bn.cache, xShape: [N, H, W, C] } };
}

/**
 * dout: [N, H, W, C]. Returns dx: [N, H, W, C], dgamma: [C], dbeta: [C]: batchnorm's backward on the same rows,
 * in its simplified closed form (batchnormBackwardAlt: the same gradients as the staged batchnormBackward, in
 * fewer passes over the N*H*W rows).
 */
export function spatialBatchnormBackward(
  dout: tf.Tensor4D,
  cache: SpatialBatchnormCache,
): { dx: tf.Tensor4D; dgamma: tf.Tensor1D; dbeta: tf.Tensor1D } {
  const [N, H, W, C] = cache.xShape;
  checkShape('spatial batchnorm backward', 'dout', dout, cache.xShape);
  return tf.tidy(() => {
    const { dx, dgamma, dbeta } = batchnormBackwardAlt(tf.reshape(dout, [N * H * W, C]), cache.bnCache);
    return { dx: tf.reshape(dx, [N, H, W, C]), dgamma, dbeta };
  });
}
