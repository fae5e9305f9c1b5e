/**
 * Multiclass SVM (hinge) loss on class scores, with its gradient: the course's svm_loss, margin delta = 1.
 *
 * Derivation. For example i with scores s_i (a row of C numbers) and label y_i, every wrong class j that scores
 * within delta of the right one pays the shortfall:
 *   margin_ij = max(0, s_ij - s_{i,y_i} + delta) for j != y_i,  margin_{i,y_i} = 0,   L_i = sum_j margin_ij.
 * A positive margin grows one-for-one with s_ij and shrinks one-for-one with s_{i,y_i}; a zero margin does not
 * move (at exactly 0 we take the subgradient 0, as the course's `margins > 0` does). So
 *   dL_i / ds_ij       = [margin_ij > 0]                        for j != y_i
 *   dL_i / ds_{i,y_i}  = -(number of j with margin_ij > 0).
 * The loss is the mean over the batch, so both are divided by N.
 *
 * See docs/fully-connected-nets.md for how the loss layers sit at the top of a net.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkLabels, checkRank } from './validate';

/** The margin by which the right class must beat every wrong one (the course's delta). */
const DELTA = 1;

/**
 * scores: [N, C] class scores. y: [N] int32 labels in 0..C-1.
 * Returns loss: the mean hinge loss over the batch (a scalar), and dscores: [N, C], its gradient.
 */
export function svmLoss(scores: tf.Tensor2D, y: tf.Tensor1D): { loss: tf.Scalar; dscores: tf.Tensor2D } {
  checkRank('svm loss', 'scores', scores, 2, '[N, C]');
  const [n, c] = scores.shape;
  checkLabels('svm loss', y, n, c);
  return tf.tidy(() => {
    // oneHot's own dtype argument is not used: wasm's OneHot kernel writes int32 bits into a float32 output.
    const oneHot = tf.cast(tf.oneHot(y, c), 'float32');
    const correct = tf.sum(tf.mul(scores, oneHot), 1, true);
    // Multiplying by (1 - oneHot) zeroes the right class's own margin, which would otherwise be delta.
    const margins = tf.mul(tf.relu(tf.add(tf.sub(scores, correct), DELTA)), tf.sub(1, oneHot));
    const loss = tf.div(tf.sum(margins), n) as tf.Scalar;
    const positive = tf.step(margins, 0);
    const numPositive = tf.sum(positive, 1, true);
    const dscores = tf.div(tf.sub(positive, tf.mul(oneHot, numPositive)), n) as tf.Tensor2D;
    return { loss, dscores };
  });
}
