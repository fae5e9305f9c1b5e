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
