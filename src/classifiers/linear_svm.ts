/**
 * Multiclass SVM loss (Weston-Watkins hinge, margin 1) of a linear classifier, and its gradient: once with explicit
 * loops, for reading, and once vectorised on tfjs ops, for speed. The course's `linear_svm.py`.
 *
 * For one example x_i (a row of X) with label y_i, the scores are s = x_i W and
 *
 *   L_i = sum over j != y_i of max(0, s_j - s_{y_i} + 1).
 *
 * The loss is the mean of L_i over the batch plus reg * sum(W * W).
 *
 * Gradient, one column of W at a time (the full derivation is in docs/svm-softmax-gradients.md). Column j of W
 * only touches score s_j = x_i . W[:, j], so dL_i/dW[:, j] = (dL_i/ds_j) x_i, and
 *
 *   dL_i/ds_j     = 1{s_j - s_{y_i} + 1 > 0}                      for j != y_i  (that margin is violated)
 *   dL_i/ds_{y_i} = -(number of j != y_i whose margin is violated)  (s_{y_i} appears, negated, in every margin)
 *
 * So each violating column collects +x_i and the correct-class column collects -x_i once per violation. The
 * regulariser adds 2 * reg * W. At a margin of exactly 0 the hinge has a kink; like the course we take the
 * subgradient 0 there (only margins > 0 count).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Labels } from './labels';
import { LossAndGradW, averageWithL2, checkLinearLossArgs, oneHotLabels, rowScores } from './linear_loss';

/**
 * SVM loss with explicit loops over plain arrays: a transcription of the formulas above, slow on purpose.
 *
 * W: [D, C] weights. X: [N, D] examples, one per row. y: [N] labels in 0..C-1. reg: L2 strength.
 * Returns the loss and dW [D, C]. Sums run in float64 (JS numbers); dW is stored as float32.
 */
export function svmLossNaive(W: tf.Tensor2D, X: tf.Tensor2D, y: Labels, reg: number): LossAndGradW {
  const { n, dim, numClasses, labels } = checkLinearLossArgs('svmLossNaive', W, X, y);
  const w = W.dataSync();
  const x = X.dataSync();
  const dW = new Float64Array(dim * numClasses);
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const yi = labels[i];
    const scores = rowScores(x, i, w, dim, numClasses);
    const row = i * dim;
    for (let j = 0; j < numClasses; j++) {
      if (j === yi) continue;
      const margin = scores[j] - scores[yi] + 1;
      if (margin > 0) {
        loss += margin;
        for (let d = 0; d < dim; d++) {
          dW[d * numClasses + j] += x[row + d];
          dW[d * numClasses + yi] -= x[row + d];
        }
      }
    }
  }
  return averageWithL2(loss, dW, w, n, reg, [dim, numClasses]);
}

/**
 * SVM loss without loops: the same maths on whole matrices.
 *
 * W: [D, C]. X: [N, D]. y: [N] labels. reg: L2 strength. Returns the loss and dW [D, C].
 *
 * The gradient is X^T M / N + 2 reg W, where M [N, C] holds the per-score derivatives from the file comment:
 * 1 where a margin is violated, minus the row's violation count in the correct-class column, 0 elsewhere.
 * X^T is taken with an explicit transpose: on wasm a matMul with a transposed operand runs ~10x slower. Not as
 * (M^T X)^T: that wins only while the same X comes back, never in training (docs/performance.md, change 5).
 */
export function svmLossVectorized(W: tf.Tensor2D, X: tf.Tensor2D, y: Labels, reg: number): LossAndGradW {
  const { n, numClasses, labels } = checkLinearLossArgs('svmLossVectorized', W, X, y);
  const [lossT, dW] = tf.tidy(() => {
    const scores = tf.matMul(X, W); // [N, C]
    const isCorrect = oneHotLabels(labels, numClasses); // [N, C]
    const correctScore = tf.sum(tf.mul(scores, isCorrect), 1, true); // [N, 1]
    // The correct class's own "margin" would be 1; the mask removes it, as the loop's `continue` does.
    const margins = tf.mul(tf.relu(tf.add(tf.sub(scores, correctScore), 1)), tf.sub(1, isCorrect));
    const dataLoss = tf.div(tf.sum(margins), n);
    const regLoss = tf.mul(reg, tf.sum(tf.square(W)));
    const violated = tf.cast(tf.greater(margins, 0), 'float32'); // [N, C]
    const violations = tf.sum(violated, 1, true); // [N, 1]
    const dScores = tf.sub(violated, tf.mul(isCorrect, violations)); // [N, C]
    const grad = tf.add(tf.div(tf.matMul(tf.transpose(X), dScores), n), tf.mul(2 * reg, W)) as tf.Tensor2D;
    return [tf.add(dataLoss, regLoss), grad] as [tf.Tensor, tf.Tensor2D];
  });
  const loss = lossT.dataSync()[0];
  lossT.dispose();
  return { loss, dW };
}
