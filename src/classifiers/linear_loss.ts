/**
 * What every linear-classifier loss takes and returns, shared by the SVM and softmax losses and by
 * LinearClassifier: `(W [D, C], X [N, D], y [N], reg) -> { loss, dW }`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkLabels, checkRank } from '../layers/validate';
import { Labels } from './labels';

/** A loss value and its gradient with respect to W. */
export interface LossAndGradW {
  /** Mean data loss over the batch plus the regularisation term reg * sum(W * W). */
  loss: number;
  /** dLoss/dW, W's shape [D, C]. The caller disposes it. */
  dW: tf.Tensor2D;
}

/** W: [D, C] weights. X: [N, D] examples, one per row. y: [N] labels in 0..C-1. reg: L2 strength. */
export type LinearLossFn = (W: tf.Tensor2D, X: tf.Tensor2D, y: Labels, reg: number) => LossAndGradW;

/** Checks W [D, C], X [N, D] and y [N]; returns the sizes and the labels as an Int32Array. */
export function checkLinearLossArgs(
  fn: string,
  W: tf.Tensor2D,
  X: tf.Tensor2D,
  y: Labels,
): { n: number; dim: number; numClasses: number; labels: Int32Array } {
  checkRank(fn, 'W', W, 2, '[D, C]');
  checkRank(fn, 'X', X, 2, '[N, D]');
  const [dim, numClasses] = W.shape;
  const n = X.shape[0];
  if (X.shape[1] !== dim) throw new Error(`${fn}: X must be [N, ${dim}] to match W [${W.shape}], got [${X.shape}]`);
  return { n, dim, numClasses, labels: checkLabels(fn, y, n, numClasses) };
}

/**
 * The naive losses' last step: the data loss and gradient summed over the N examples become means, and the L2
 * term is added, loss += reg * sum(W^2) and dW += 2 reg W.
 *
 * lossSum: the summed data loss. dWSum: the summed gradient, [D * C] row-major. w: W's values, [D * C].
 * n: N. reg: L2 strength. shape: [D, C]. Returns the loss and dW [D, C] as a new tensor.
 */
export function averageWithL2(lossSum: number, dWSum: ArrayLike<number>, w: ArrayLike<number>, n: number, reg: number, shape: [number, number]): LossAndGradW {
  let sumSq = 0;
  for (let k = 0; k < w.length; k++) sumSq += w[k] * w[k];
  const loss = lossSum / n + reg * sumSq;
  const grad = new Float32Array(w.length);
  for (let k = 0; k < grad.length; k++) grad[k] = dWSum[k] / n + 2 * reg * w[k];
  return { loss, dW: tf.tensor2d(grad, shape, 'float32') };
}

/**
 * Labels [N] as float32 one-hot rows [N, C]. tf.oneHot's own dtype argument is not used: wasm's OneHot kernel
 * writes int32 bits into a float32 output, so the int32 result is cast instead.
 */
export function oneHotLabels(labels: Int32Array, numClasses: number): tf.Tensor2D {
  return tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), numClasses), 'float32') as tf.Tensor2D);
}

/**
 * The class scores of example i, the course's `X[i].dot(W)`: scores[j] = sum over d of x[i, d] * w[d, j].
 * x: [N * D] and w: [D * C], row-major. Returns [C], summed in float64.
 */
export function rowScores(x: ArrayLike<number>, i: number, w: ArrayLike<number>, dim: number, numClasses: number): Float64Array {
  const scores = new Float64Array(numClasses);
  for (let j = 0; j < numClasses; j++) {
    let s = 0;
    for (let d = 0; d < dim; d++) s += x[i * dim + d] * w[d * numClasses + j];
    scores[j] = s;
  }
  return scores;
}
