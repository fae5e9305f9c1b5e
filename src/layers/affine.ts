/**
 * Affine (fully-connected) layer: out = x_flat @ w + b.
 *
 * Images arrive as [N, H, W, C] (NHWC, tfjs's layout; the course's are [N, C, H, W]) and are flattened row-wise to
 * [N, D]. With NHWC the flattening order is (h, w, c), not the course's (c, h, w): the maths is identical, only the
 * meaning of each column of w changes.
 *
 * See docs/fully-connected-nets.md for the derivation of the backward pass.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkRank, checkShape } from './validate';

export interface AffineCache {
  x: tf.Tensor;
  w: tf.Tensor2D;
  b: tf.Tensor1D;
}

/**
 * x: [N, d1, ..., dk] with D = d1 * ... * dk. w: [D, M]. b: [M].
 * Returns out: [N, M] and the cache for the backward pass.
 */
export function affineForward(x: tf.Tensor, w: tf.Tensor2D, b: tf.Tensor1D): { out: tf.Tensor2D; cache: AffineCache } {
  checkRank('affine forward', 'w', w, 2, '[D, M]');
  checkRank('affine forward', 'b', b, 1, '[M]');
  if (x.rank < 2) throw new Error(`affine forward: x must be rank >= 2 [N, ...], got shape [${x.shape}]`);
  const n = x.shape[0];
  const d = x.size / n;
  if (d !== w.shape[0]) {
    throw new Error(`affine forward: x [${x.shape}] flattens to [${n}, ${d}] but w is [${w.shape}] (expected [${d}, M])`);
  }
  checkShape('affine forward', 'b', b, [w.shape[1]]);
  const out = tf.tidy(() => tf.add(tf.matMul(tf.reshape(x, [n, d]), w), b) as tf.Tensor2D);
  return { out, cache: { x, w, b } };
}

/**
 * dout: [N, M]. Returns dx: x's shape, dw: [D, M], db: [M].
 *
 * dx = dout @ w^T, dw = x_flat^T @ dout, db = sum of dout over the batch.
 * The transposes are explicit because wasm's matMul with a transposed operand is ~10x slower
 * (docs/performance.md).
 */
export function affineBackward(dout: tf.Tensor2D, cache: AffineCache): { dx: tf.Tensor; dw: tf.Tensor2D; db: tf.Tensor1D } {
  const { x, w } = cache;
  const n = x.shape[0];
  checkShape('affine backward', 'dout', dout, [n, w.shape[1]]);
  return tf.tidy(() => {
    const dx = tf.reshape(tf.matMul(dout, tf.transpose(w)), x.shape);
    const xFlat = tf.reshape(x, [n, x.size / n]) as tf.Tensor2D;
    const dw = tf.matMul(tf.transpose(xFlat), dout) as tf.Tensor2D;
    const db = tf.sum(dout, 0) as tf.Tensor1D;
    return { dx, dw, db };
  });
}
