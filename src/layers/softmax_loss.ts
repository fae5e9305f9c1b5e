/**
 * Softmax (cross-entropy) loss on class scores, with its gradient: the course's softmax_loss.
 *
 * Derivation. For example i with scores s_i (a row of C numbers) and label y_i, the softmax probabilities are
 *   p_ij = exp(s_ij) / sum_k exp(s_ik)
 * and the loss is the negative log-probability of the right class,
 *   L_i = -log p_{i,y_i} = -s_{i,y_i} + log sum_k exp(s_ik).
 * Differentiating, d(log sum_k exp(s_ik)) / ds_ij = p_ij and d(s_{i,y_i}) / ds_ij = [j = y_i], so
 *   dL_i / ds_ij = p_ij - [j = y_i].
 * The loss is the mean over the batch, L = (1/N) sum_i L_i, hence dscores = (P - Y) / N with Y the one-hot labels.
 *
 * Numerical stability: subtracting the row maximum m_i from every score of row i changes no probability
 * (numerator and denominator both scale by exp(-m_i)), but every exponent becomes <= 0, so exp cannot overflow,
 * and the largest term is exp(0) = 1, so the sum is >= 1 and its log is finite. We keep log p as
 * (s - m) - log sum exp(s - m) rather than log(p), which would be log(0) = -inf where p underflows.
 *
 * See docs/fully-connected-nets.md for how the loss layers sit at the top of a net.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkLabels, checkRank } from './validate';

/**
 * scores: [N, C] class scores. y: [N] int32 labels in 0..C-1.
 * Returns loss: the mean cross-entropy over the batch (a scalar), and dscores: [N, C], its gradient.
 */
export function softmaxLoss(scores: tf.Tensor2D, y: tf.Tensor1D): { loss: tf.Scalar; dscores: tf.Tensor2D } {
  checkRank('softmax loss', 'scores', scores, 2, '[N, C]');
  const [n, c] = scores.shape;
  checkLabels('softmax loss', y, n, c);
  return tf.tidy(() => {
    const shifted = tf.sub(scores, tf.max(scores, 1, true));
    const logProbs = tf.sub(shifted, tf.log(tf.sum(tf.exp(shifted), 1, true)));
    // oneHot's own dtype argument is not used: wasm's OneHot kernel writes int32 bits into a float32 output.
    const oneHot = tf.cast(tf.oneHot(y, c), 'float32');
    const loss = tf.div(tf.neg(tf.sum(tf.mul(oneHot, logProbs))), n) as tf.Scalar;
    const dscores = tf.div(tf.sub(tf.exp(logProbs), oneHot), n) as tf.Tensor2D;
    return { loss, dscores };
  });
}
