/**
 * Max pooling on tfjs kernels: the same layer as pool_naive.ts (same arguments, cache and gradient), the
 * course's max_pool_forward_fast / max_pool_backward_fast.
 *
 * Layout: x [N, H, W, C] (NHWC; the course's is [N, C, H, W]), out [N, H', W', C], H' = 1 + (H - poolHeight) /
 * stride. The forward pass is tf.maxPool. The backward pass does not use tfjs's MaxPoolGrad kernel: on the wasm
 * backend (tfjs 4.22) that kernel starts each window's running maximum at FLT_MIN, the smallest positive float,
 * so a window whose maximum is zero or negative sends its gradient to the wrong place (and ties go to the last
 * maximum). Its MaxPoolWithArgmax has the same fault. Instead, the backward pass finds each window's maximum with
 * tf.argMax, which is correct on every backend and, like the naive loop, picks the first maximum on exact ties,
 * so naive and fast agree even there. (The course's reshape-based fast backward gives the gradient to every
 * tied entry; after a relu the usual tie is a window of zeros, whose gradient the relu then blocks either way.)
 *
 * Measured on wasm, single thread, median ms, x [50, 32, 32, 32], 2x2 windows, stride 2 (the course's pool):
 * forward 2.6; backward by argMax here ~40-60, by the JS loops of pool_naive.ts ~24, by MaxPoolGrad ~50 (wrong, see
 * above), by an equality mask with broadcasting ~330 (wasm's broadcasting Equal is slow).
 */
import * as tf from '@tensorflow/tfjs-core';
import { PoolCache, PoolDims, PoolParam, poolDims } from './pool_naive';
import { dilate } from './conv_fast';
import { assertShape } from './validate';

export type { PoolCache, PoolParam } from './pool_naive';

/**
 * Forward pass: tf.maxPool with 'valid' windows (no padding).
 * x: [N, H, W, C]. poolParam: { poolHeight, poolWidth, stride }. Returns out: [N, H', W', C] and the cache.
 */
export function maxPoolForwardFast(x: tf.Tensor4D, poolParam: PoolParam): { out: tf.Tensor4D; cache: PoolCache } {
  const { poolHeight, poolWidth, stride } = poolDims('max pool forward fast', x, poolParam);
  const out = tf.maxPool(x, [poolHeight, poolWidth], stride, 'valid');
  return { out, cache: { x, out, poolParam } };
}

/**
 * Windows that tile the image (stride = poolHeight = poolWidth, the usual 2x2 stride 2): a reshape turns x into
 * [N, H', pool, W', pool, C] without moving any data, so each window's entries can be brought together on the
 * last axis, [N, H', W', C, pool * pool], and tf.argMax finds the maximum. Its one-hot code times dout is the
 * gradient, which goes back through the same reshapes.
 */
function backwardTiles(dout: tf.Tensor4D, x: tf.Tensor4D, d: PoolDims): tf.Tensor4D {
  const { N, H, W, C, poolHeight: p, Hout, Wout } = d;
  const windows = tf.reshape(tf.transpose(tf.reshape(x, [N, Hout, p, Wout, p, C]), [0, 1, 3, 5, 2, 4]), [N, Hout, Wout, C, p * p]);
  const grads = tf.mul(tf.oneHot(tf.argMax(windows, 4), p * p), tf.expandDims(dout, 4));
  return tf.reshape(tf.transpose(tf.reshape(grads, [N, Hout, Wout, C, p, p]), [0, 1, 4, 2, 5, 3]), [N, H, W, C]);
}

/**
 * Any other windows (overlapping, or with gaps between them): the entry at offset (a, b) of every window is a
 * strided slice of x, [N, H', W', C]; stacking the poolHeight * poolWidth slices gives each window's entries on
 * the last axis, and tf.argMax picks the maximum as above. Each offset's share of the gradient is then spread
 * back onto the stride grid and shifted to its offset; overlapping windows add up.
 */
function backwardWindows(dout: tf.Tensor4D, x: tf.Tensor4D, d: PoolDims): tf.Tensor4D {
  const { N, H, W, C, poolHeight, poolWidth, stride, Hout, Wout } = d;
  const K = poolHeight * poolWidth;
  const spanH = (Hout - 1) * stride + 1;
  const spanW = (Wout - 1) * stride + 1;
  const slices: tf.Tensor[] = [];
  for (let a = 0; a < poolHeight; a++)
    for (let b = 0; b < poolWidth; b++)
      slices.push(tf.stridedSlice(x, [0, a, b, 0], [N, a + spanH, b + spanW, C], [1, stride, stride, 1]));
  const grads = tf.mul(tf.oneHot(tf.argMax(tf.stack(slices, 4), 4), K), tf.expandDims(dout, 4));
  const shares = tf.unstack(grads, 4) as tf.Tensor4D[];
  const placed = shares.map((share, k) => {
    const a = Math.floor(k / poolWidth);
    const b = k % poolWidth;
    return tf.pad(dilate(share, stride), [
      [0, 0],
      [a, H - a - spanH],
      [b, W - b - spanW],
      [0, 0],
    ]);
  });
  return tf.addN(placed) as tf.Tensor4D;
}

/**
 * Backward pass: each window's upstream gradient goes, whole, to the window's (first) maximum.
 * dout: [N, H', W', C]. Returns dx: [N, H, W, C].
 */
export function maxPoolBackwardFast(dout: tf.Tensor4D, cache: PoolCache): { dx: tf.Tensor4D } {
  const { x, poolParam } = cache;
  const d = poolDims('max pool backward fast', x, poolParam);
  assertShape('max pool backward fast', 'dout', dout, [d.N, d.Hout, d.Wout, d.C]);
  const tiles = d.poolHeight === d.stride && d.poolWidth === d.stride;
  return { dx: tf.tidy(() => (tiles ? backwardTiles(dout, x, d) : backwardWindows(dout, x, d))) };
}
