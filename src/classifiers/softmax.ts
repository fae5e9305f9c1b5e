/**
 * Softmax (cross-entropy) loss of a linear classifier, and its gradient: once with explicit loops, for reading,
 * and once vectorised on tfjs ops. The course's `softmax.py`.
 *
 * For one example x_i with label y_i, scores s = x_i W, probabilities p_j = exp(s_j) / sum_k exp(s_k), and
 *
 *   L_i = -log p_{y_i} = -s_{y_i} + log sum_k exp(s_k).
 *
 * The loss is the mean of L_i plus reg * sum(W * W).
 *
 * Gradient (derived in docs/svm-softmax-gradients.md): d(log sum_k exp(s_k))/ds_j = p_j, and d(-s_{y_i})/ds_j is
 * -1 for j = y_i only, so
 *
 *   dL_i/ds_j = p_j - 1{j = y_i},
 *
 * and as s_j = x_i . W[:, j], dL_i/dW[:, j] = (p_j - 1{j = y_i}) x_i. The regulariser adds 2 * reg * W.
 *
 * Numerical stability: subtracting max_k s_k from every score leaves p unchanged (it cancels between numerator and
 * denominator) and keeps exp from overflowing.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Labels } from './labels';
import { LossAndGradW, averageWithL2, checkLinearLossArgs, oneHotLabels, rowScores } from './linear_loss';

/**
 * Softmax loss with explicit loops over plain arrays: the formulas above, one example and one class at a time.
 *
 * W: [D, C] weights. X: [N, D] examples. y: [N] labels in 0..C-1. reg: L2 strength.
 * Returns the loss and dW [D, C]. Sums run in float64 (JS numbers); dW is stored as float32.
 */
export function softmaxLossNaive(W: tf.Tensor2D, X: tf.Tensor2D, y: Labels, reg: number): LossAndGradW {
  const { n, dim, numClasses, labels } = checkLinearLossArgs('softmaxLossNaive', W, X, y);
  const w = W.dataSync();
  const x = X.dataSync();
  const dW = new Float64Array(dim * numClasses);
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const scores = rowScores(x, i, w, dim, numClasses);
    // Shifting by the largest score keeps exp from overflowing and changes no probability.
    const maxScore = Math.max(...scores);
    let sumExp = 0;
    for (let j = 0; j < numClasses; j++) sumExp += Math.exp(scores[j] - maxScore);
    const yi = labels[i];
    loss += -(scores[yi] - maxScore) + Math.log(sumExp);
    for (let j = 0; j < numClasses; j++) {
      const p = Math.exp(scores[j] - maxScore) / sumExp;
      const dScore = p - (j === yi ? 1 : 0);
      for (let d = 0; d < dim; d++) dW[d * numClasses + j] += dScore * x[i * dim + d];
    }
  }
  return averageWithL2(loss, dW, w, n, reg, [dim, numClasses]);
}

/**
 * Softmax loss without loops.
 *
 * W: [D, C]. X: [N, D]. y: [N] labels. reg: L2 strength. Returns the loss and dW [D, C].
 *
 * dW = X^T (P - Y) / N + 2 reg W with P [N, C] the probabilities and Y the one-hot labels. X^T is an explicit
 * transpose: on wasm a matMul with a transposed operand runs ~10x slower (docs/performance.md). Not as
 * ((P - Y)^T X)^T: see svmLossVectorized (it wins only while the same X comes back, never in training).
 */
export function softmaxLossVectorized(W: tf.Tensor2D, X: tf.Tensor2D, y: Labels, reg: number): LossAndGradW {
  const { n, numClasses, labels } = checkLinearLossArgs('softmaxLossVectorized', W, X, y);
  const [lossT, dW] = tf.tidy(() => {
    const isCorrect = oneHotLabels(labels, numClasses); // [N, C]
    const scores = tf.matMul(X, W); // [N, C]
    const shifted = tf.sub(scores, tf.max(scores, 1, true));
    const logProbs = tf.sub(shifted, tf.log(tf.sum(tf.exp(shifted), 1, true))); // log p, [N, C]
    const dataLoss = tf.neg(tf.div(tf.sum(tf.mul(logProbs, isCorrect)), n));
    const regLoss = tf.mul(reg, tf.sum(tf.square(W)));
    const dScores = tf.sub(tf.exp(logProbs), isCorrect); // p - 1{y}, [N, C]
    const grad = tf.add(tf.div(tf.matMul(tf.transpose(X), dScores), n), tf.mul(2 * reg, W)) as tf.Tensor2D;
    return [tf.add(dataLoss, regLoss), grad] as [tf.Tensor, tf.Tensor2D];
  });
  const loss = lossT.dataSync()[0];
  lossT.dispose();
  return { loss, dW };
}
