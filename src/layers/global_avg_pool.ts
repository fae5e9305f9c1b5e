/**
 * Global average pooling: each feature map of an image becomes one number, its mean over all H x W positions
 * (Lin et al. 2013, "Network in Network"). It replaces flattening before the classifier: the head sees C numbers
 * instead of H * W * C, and the net no longer cares where in the image a feature fired.
 *
 * Forward:  out[n, c] = (1 / (H W)) sum_{i, j} x[n, i, j, c]
 * Backward: every position contributed to its channel's mean with weight 1 / (H W), so
 *           dx[n, i, j, c] = dout[n, c] / (H W), the same value at every position of a map.
 *
 * Layout: NHWC [N, H, W, C] (the course's NCHW would average over axes 2 and 3 instead of 1 and 2).
 * See docs/best-model.md for where it sits in the residual net.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkRank, checkShape } from './validate';

export interface GlobalAvgPoolCache {
  /** [N, H, W, C] of the input, to spread the gradient back over. */
  xShape: [number, number, number, number];
}

/** x: [N, H, W, C]. Returns out: [N, C], the mean of every feature map, and the cache. */
export function globalAvgPoolForward(x: tf.Tensor4D): { out: tf.Tensor2D; cache: GlobalAvgPoolCache } {
  checkRank('global avg pool forward', 'x', x, 4, '[N, H, W, C]');
  const [N, H, W, C] = x.shape;
  return { out: tf.mean(x, [1, 2]) as tf.Tensor2D, cache: { xShape: [N, H, W, C] } };
}

/** dout: [N, C]. Returns dx: [N, H, W, C], dout / (H W) at every position. */
export function globalAvgPoolBackward(dout: tf.Tensor2D, cache: GlobalAvgPoolCache): { dx: tf.Tensor4D } {
  const [N, H, W, C] = cache.xShape;
  checkShape('global avg pool backward', 'dout', dout, [N, C]);
  // Spread over the map as a product with a map of ones: tf.broadcastTo runs wasm's Tile kernel, which moves one
  // element at a time (~30x slower here, docs/performance.md).
  return {
    dx: tf.tidy(() => tf.mul(tf.reshape(tf.div(dout, H * W), [N, 1, 1, C]), tf.ones([1, H, W, 1])) as tf.Tensor4D),
  };
}
