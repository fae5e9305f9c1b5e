/**
 * Hints for the usual mistakes. Two kinds: one read off the numbers (the learner's tensor is the expected one
 * times a constant: a flipped sign, a missing 1/N, N/(N-1) of an unbiased variance), and one per exercise for
 * mistakes that leave no such trace.
 */
import * as tf from '@tensorflow/tfjs-core';

/** How far got is from being c * want, relative; and c. */
function bestFactor(got: ArrayLike<number>, want: ArrayLike<number>): { c: number; residual: number } {
  let gw = 0;
  let ww = 0;
  let gg = 0;
  for (let i = 0; i < want.length; i++) {
    gw += got[i] * want[i];
    ww += want[i] * want[i];
    gg += got[i] * got[i];
  }
  if (ww === 0 || gg === 0) return { c: NaN, residual: Infinity };
  const c = gw / ww;
  let r = 0;
  for (let i = 0; i < want.length; i++) r += (got[i] - c * want[i]) ** 2;
  return { c, residual: Math.sqrt(r / gg) };
}

/** A hint when got is a constant multiple of want, else undefined. */
export function ratioHint(got: tf.Tensor, want: tf.Tensor): string | undefined {
  const { c, residual } = bestFactor(got.dataSync(), want.dataSync());
  if (!(residual < 1e-3) || Math.abs(c - 1) < 1e-4) return undefined;
  if (Math.abs(c + 1) < 1e-3) return 'it is exactly minus the expected value: a sign is flipped';
  const n = Math.round(c);
  if (n >= 2 && Math.abs(c - n) < 1e-3 * n) return `it is ${n} times the expected value: a missing 1/N (N = ${n})?`;
  const inv = Math.round(1 / c);
  if (inv >= 2 && Math.abs(1 / c - inv) < 1e-3 * inv) return `it is 1/${inv} of the expected value: an extra division by N (N = ${inv})?`;
  const unbiased = Math.round(1 / (c - 1)) + 1;
  if (unbiased >= 2 && unbiased <= 1000 && Math.abs(c - unbiased / (unbiased - 1)) < 1e-3 * (c - 1)) {
    return `it is N/(N-1) of the expected value (N = ${unbiased}): the unbiased variance? The course uses the biased one (divide by N)`;
  }
  return `it is ${c.toPrecision(6)} times the expected value: a scale factor is off`;
}

/** Per exercise: the mistake most learners make, shown when its check fails and no number says more. */
export const STATIC_HINTS: Record<string, string> = {
  compute_distances_no_loops: '||x - t||^2 = ||x||^2 + ||t||^2 - 2 x.t, with the norms broadcast as a column and a row',
  knn_predict_labels: 'take the k smallest distances, count the labels, and break ties towards the smaller label',
  svm_loss_naive: "each positive margin adds x_i to dW's column j and subtracts it from the correct class's column y_i",
  svm_loss_vectorized: "the correct class's column gets minus (number of positive margins) x_i; average over N and add 2 reg W",
  softmax_loss_naive: 'subtract the row max before exp; dW = X^T (p - onehot(y)) / N + 2 reg W',
  softmax_loss_vectorized: 'subtract the row max before exp; dW = X^T (p - onehot(y)) / N + 2 reg W',
  two_layer_net_loss: 'the loss adds 0.5 reg sum(W^2) for each weight matrix (not the biases), so each dW gains reg W',
  affine_backward: 'dx = dout w^T reshaped to x, dw = x_flat^T dout, db = sum of dout over the batch (axis 0)',
  relu_backward: 'pass dout where x > 0, zero elsewhere (use the cached input, not the output)',
  softmax_loss: 'dscores = (softmax - onehot(y)) / N',
  svm_loss: "a positive margin's column gets +1, the correct class's column minus their count; divide by N",
  fc_net_loss: 'backward in reverse layer order; the loss adds 0.5 reg sum(W^2), so each dW gains reg W',
  sgd_momentum: 'v = momentum v - lr dw; w = w + v',
  rmsprop: 'cache = decay cache + (1 - decay) dw^2; w -= lr dw / (sqrt(cache) + eps)',
  adam: 't increments before use; mt = m / (1 - beta1^t) and vt = v / (1 - beta2^t): divide, not multiply',
  batchnorm_forward: 'the running variance averages the biased batch variance (divide by N); test mode uses the running statistics',
  batchnorm_backward: 'sum over the batch axis (0) for dgamma and dbeta; dx has three terms through mean and variance',
  batchnorm_backward_alt: 'dx = gamma / (N sigma) (N dxhat - sum(dxhat) - xhat sum(dxhat xhat)), sums over axis 0',
  layernorm_forward: 'normalise each row (axis 1), not each column',
  layernorm_backward: "batchnorm's backward on the transposed problem: sums over axis 1",
  dropout_forward: 'inverted dropout: keep with probability p and divide the kept units by p in train mode; test mode is the identity',
  conv_backward_naive: 'db sums over N, H and W; dw correlates the padded x with dout; crop the padding off dx',
  max_pool_backward_naive: 'route each dout entry to the argmax of its window only',
  spatial_batchnorm_forward: 'reshape [N, H, W, C] to [N*H*W, C] and use batchnorm',
  spatial_groupnorm_forward: 'statistics per example and per group of C/G channels, over H, W and the group',
  spatial_groupnorm_backward: 'like layernorm backward, per (example, group), sums over H, W and the group channels',
  compute_saliency_maps: 'the gradient of the correct class score w.r.t. the image, max of |.| over channels',
  global_avg_pool: 'the mean over axes 1 and 2; backward, every position of a map gets dout / (H W)',
  smoothed_softmax_loss: 'the target is (1 - eps) onehot(y) + eps / C; dscores = (softmax - target) / N',
  residual_block_backward: 'back through the second sandwich, then the first; dx adds dout itself (the skip) to the branch dx',
};
