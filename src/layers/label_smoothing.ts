/**
 * Softmax loss with label smoothing (Szegedy et al. 2016, "Rethinking the Inception Architecture"): the target is
 * no longer the one-hot row of the right class but a blend of it with the uniform distribution,
 *
 *   q_ij = (1 - eps) [j = y_i] + eps / C,
 *
 * and the loss is the cross-entropy against that target, L_i = -sum_j q_ij log p_ij. With eps = 0 it is the
 * course's softmax loss (softmax_loss.ts). The one-hot target asks for p_{i,y_i} = 1, which only infinite score
 * gaps reach, so a net keeps growing its scores on examples it already gets right; with eps > 0 the best scores
 * are finite (p_{i,y_i} = 1 - eps + eps / C) and the net stops pushing there.
 *
 * Derivation. log p_ij = s_ij - log sum_k exp(s_ik) and every row of q sums to 1, so
 *   L_i = -sum_j q_ij s_ij + log sum_k exp(s_ik)
 *   dL_i / ds_ij = -q_ij + p_ij.
 * The same form as the plain loss (P - Y), with the smoothed target in place of the one-hot one; the mean over
 * the batch divides by N: dscores = (P - Q) / N.
 *
 * See docs/best-model.md for what it did to the residual net.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkLabels, checkRank } from './validate';

/**
 * scores: [N, C] class scores. y: [N] int32 labels in 0..C-1. eps: the smoothing, in [0, 1).
 * Returns loss: the mean cross-entropy against the smoothed targets (a scalar), and dscores: [N, C].
 */
export function smoothedSoftmaxLoss(scores: tf.Tensor2D, y: tf.Tensor1D, eps: number): { loss: tf.Scalar; dscores: tf.Tensor2D } {
  const fn = 'smoothed softmax loss';
  checkRank(fn, 'scores', scores, 2, '[N, C]');
  const [n, c] = scores.shape;
  checkLabels(fn, y, n, c);
  if (!(eps >= 0 && eps < 1)) throw new Error(`${fn}: eps must be in [0, 1), got ${eps}`);
  return tf.tidy(() => {
    const shifted = tf.sub(scores, tf.max(scores, 1, true));
    const logProbs = tf.sub(shifted, tf.log(tf.sum(tf.exp(shifted), 1, true)));
    // See softmax_loss.ts for the cast.
    const oneHot = tf.cast(tf.oneHot(y, c), 'float32');
    const target = tf.add(tf.mul(oneHot, 1 - eps), eps / c);
    const loss = tf.div(tf.neg(tf.sum(tf.mul(target, logProbs))), n) as tf.Scalar;
    const dscores = tf.div(tf.sub(tf.exp(logProbs), target), n) as tf.Tensor2D;
    return { loss, dscores };
  });
}
