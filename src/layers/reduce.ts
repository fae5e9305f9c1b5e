/**
 * Means and sums over the rows of a matrix, [N, D] -> [D]: the reductions of batchnorm (mean, variance, dgamma,
 * dbeta) and of a convolution's bias gradient. Written as an average pool because of the wasm backend's speed.
 *
 * tfjs's wasm Sum and Mean kernels (4.22) reduce only the innermost axis: for axis 0 they first transpose the whole
 * input. An average pool over a window of all N rows ([1, N, 1, D] -> [1, 1, 1, D], XNNPACK) reads the rows in
 * place instead, ~30x faster (docs/performance.md).
 *
 * Precision: float32 accumulation, as tf.sum; the sum is the mean times N.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkRank } from './validate';

/** x: [N, D]. Returns the mean of each column, [D]. */
export function columnMean(x: tf.Tensor2D): tf.Tensor1D {
  checkRank('columnMean', 'x', x, 2, '[N, D]');
  const [n, d] = x.shape;
  return tf.tidy(() => tf.reshape(tf.avgPool(tf.reshape(x, [1, n, 1, d]) as tf.Tensor4D, [n, 1], 1, 'valid'), [d]) as tf.Tensor1D);
}

/** x: [N, D]. Returns the sum of each column, [D]. */
export function columnSum(x: tf.Tensor2D): tf.Tensor1D {
  checkRank('columnSum', 'x', x, 2, '[N, D]');
  return tf.tidy(() => tf.mul(columnMean(x), x.shape[0]) as tf.Tensor1D);
}
