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

/**
 * Per exercise: the mistake most learners make, shown when its check fails and no number says more. Each points
 * at the idea to look at again, never at the finished formula (that is the exercise; docs/ derives it).
 */
export const STATIC_HINTS: Record<string, string> = {
  compute_distances_no_loops: 'expand the square of the difference into three terms, each computable for all pairs at once; mind which one broadcasts as a column and which as a row',
  knn_predict_labels: 'take the k smallest distances, count the labels, and break ties towards the smaller label',
  svm_loss_naive: "a violated margin involves two columns of W, the wrong class's and the correct class's",
  svm_loss_vectorized: "how many times does the correct class's column appear, per example, in the margins that count?",
  softmax_loss_naive: 'write the gradient of the loss with respect to the scores first, then chain it to W; the regulariser has a gradient too',
  softmax_loss_vectorized: 'write the gradient of the loss with respect to the scores first, then chain it to W; the regulariser has a gradient too',
  two_layer_net_loss: 'which parameters does the regulariser cover, and with which factor?',
  affine_backward: 'each gradient has the shape of what it differentiates; match the shapes and the product writes itself',
  relu_backward: 'which input values let the gradient through, and is that read from the input or the output?',
  softmax_loss: 'the loss is a mean over the batch: so is every gradient that comes out of it',
  svm_loss: "a violated margin involves two scores of its row, the wrong class's and the correct class's; the loss is a mean",
  fc_net_loss: 'go backward through the layers in reverse order; which parameters does the regulariser cover?',
  sgd_momentum: 'the velocity remembers past steps, and the weights move by the velocity',
  rmsprop: 'the cache is a moving average of squared gradients; where does epsilon go in the division?',
  adam: 'when is t incremented, and does the bias correction make the early moments larger or smaller?',
  batchnorm_forward: 'which variance does the course use, and which statistics does test mode read?',
  batchnorm_backward: 'draw the graph: x reaches the output through the mean, the variance and directly; sum over the batch axis',
  batchnorm_backward_alt: 'simplify the graph backward on paper: the gradient through the mean and the variance each become a sum over the batch',
  layernorm_forward: 'which axis holds one example\'s features?',
  layernorm_backward: "batchnorm's backward on the transposed problem",
  dropout_forward: 'p is the probability of keeping a unit; inverted dropout rescales in train mode so that test mode has nothing to do',
  conv_backward_naive: 'every output position touched a window of the padded input: send its gradient back to the same window, then drop the padding',
  max_pool_backward_naive: 'only the maximum of a window affects its output',
  spatial_batchnorm_forward: 'the statistics are per channel, over every example and position',
  spatial_groupnorm_forward: 'the statistics are per example and per group of neighbouring channels',
  spatial_groupnorm_backward: "layernorm's backward, per example and group",
  compute_saliency_maps: 'the gradient of the correct class score (not the loss) with respect to the image, reduced over the channels',
  global_avg_pool: 'every position of a map contributed equally to its mean',
  smoothed_softmax_loss: 'the target is no longer one-hot: how much probability does each class get?',
  residual_block_backward: 'the skip connection is a second path from x to the output: gradients of paths add',
  gelu_backward: 'x appears twice in x * Phi(x): the product rule, and the derivative of Phi is the normal density',
  sgd_nesterov: 'the velocity is updated first; the step then uses the gradient plus the new velocity times momentum, and the decay is not scaled by lrScale',
};
