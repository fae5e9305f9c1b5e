/**
 * Max pooling on tfjs kernels: the same layer as pool_naive.ts (same arguments, cache and gradient), the
 * course's max_pool_forward_fast / max_pool_backward_fast.
 *
 * Layout: x [N, H, W, C] (NHWC; the course's is [N, C, H, W]), out [N, H', W', C], H' = 1 + (H - poolHeight) /
 * stride. The forward pass is tf.maxPool.
 *
 * The backward pass does not use tfjs's MaxPoolGrad kernel: on the wasm backend (tfjs 4.22) that kernel starts
 * each window's running maximum at FLT_MIN, the smallest positive float, so a window whose maximum is zero or
 * negative sends its gradient to the wrong place (MaxPoolWithArgmax has the same fault). Instead, for windows
 * that tile the image it uses the course's reshape method (max_pool_backward_reshape), and for any other windows
 * the loops of pool_naive.ts.
 *
 * Ties: when several entries of a window share its maximum, each gets an equal share of the window's gradient,
 * as in the course's reshape method (which divides by the number of ties) and in pool_naive.ts, so the two
 * layers give the same gradient everywhere. (Timings of the alternatives: docs/performance.md.)
 *
 * See docs/convolution.md for the derivation.
 */
import * as tf from '@tensorflow/tfjs-core';
import { PoolCache, PoolDims, PoolParam, maxPoolBackwardNaive, poolDims } from './pool_naive';
import { checkShape } from './validate';

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
 * [N, H', pool, W', pool, C] without moving any data, with each window spread over axes 2 and 4, while out and
 * dout become [N, H', 1, W', 1, C] and broadcast over the window. out - x is >= 0, and exactly 0 where x equals
 * its window's maximum, so 1 - step(out - x) marks the maxima (step(0) = 0). Each window's dout, divided by the
 * number of its maxima, goes to each of them.
 */
function backwardTiles(dout: tf.Tensor4D, x: tf.Tensor4D, out: tf.Tensor4D, d: PoolDims): tf.Tensor4D {
  const { N, H, W, C, poolHeight, poolWidth, Hout, Wout } = d;
  const windows = tf.reshape(x, [N, Hout, poolHeight, Wout, poolWidth, C]);
  const gap = tf.sub(tf.reshape(out, [N, Hout, 1, Wout, 1, C]), windows);
  const isMax = tf.sub(1, tf.step(gap));
  // Maxima per window [N, H', W', C] as area x the window's mean of isMax: avgPool is one native kernel, where a
  // sum over axes 2 and 4 transposes the whole tensor on wasm (twice the time); round undoes the division's error.
  const area = poolHeight * poolWidth;
  const meanIsMax = tf.avgPool(tf.reshape(isMax, [N, H, W, C]) as tf.Tensor4D, [poolHeight, poolWidth], d.stride, 'valid');
  const share = tf.div(dout, tf.round(tf.mul(meanIsMax, area)));
  return tf.reshape(tf.mul(isMax, tf.reshape(share, [N, Hout, 1, Wout, 1, C])), [N, H, W, C]);
}

/**
 * Backward pass: each window's upstream gradient goes to the window's maximum, shared evenly on ties (see the file
 * comment). dout: [N, H', W', C]. Returns dx: [N, H, W, C].
 */
export function maxPoolBackwardFast(dout: tf.Tensor4D, cache: PoolCache): { dx: tf.Tensor4D } {
  const { x, out, poolParam } = cache;
  const d = poolDims('max pool backward fast', x, poolParam);
  checkShape('max pool backward fast', 'dout', dout, [d.N, d.Hout, d.Wout, d.C]);
  const tiles = d.poolHeight === d.stride && d.poolWidth === d.stride;
  // Overlapping or gapped windows have no data-free reshape into windows, gathering them takes strided slices
  // (slow on wasm), and MaxPoolGrad is wrong there (see above): the naive loops are the fast path.
  if (!tiles) return maxPoolBackwardNaive(dout, cache);
  return { dx: tf.tidy(() => backwardTiles(dout, x, out, d)) };
}
