/**
 * Rectified linear unit, element-wise: out = max(0, x). Works on any shape.
 *
 * See docs/fully-connected-nets.md for the derivation of the backward pass.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkSameShape } from './validate';

export interface ReluCache {
  x: tf.Tensor;
}

/** x: any shape. Returns out: x's shape, and the cache. */
export function reluForward(x: tf.Tensor): { out: tf.Tensor; cache: ReluCache } {
  return { out: tf.relu(x), cache: { x } };
}

/** dout: x's shape. Returns dx = dout where x > 0, else 0 (the subgradient at 0 is taken as 0). */
export function reluBackward(dout: tf.Tensor, cache: ReluCache): { dx: tf.Tensor } {
  checkSameShape('relu backward', 'dout', dout, 'x', cache.x);
  return { dx: tf.tidy(() => tf.mul(dout, tf.step(cache.x, 0))) };
}
