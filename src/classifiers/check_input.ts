/** Input checks shared by the models: errors name the model, the argument and the shapes. */
import * as tf from '@tensorflow/tfjs-core';

/** X must be [N, ...] with N > 0 and, when inputDim is given, flatten to [N, inputDim]. */
export function checkInput(fn: string, X: tf.Tensor, inputDim?: number): void {
  if (X.rank < 2 || X.shape[0] === 0) throw new Error(`${fn}: X must be [N, ...] with N > 0, got shape [${X.shape}]`);
  if (inputDim !== undefined && X.size / X.shape[0] !== inputDim) {
    throw new Error(`${fn}: X [${X.shape}] flattens to ${X.size / X.shape[0]} features per example, expected ${inputDim}`);
  }
}

/** y must be [N] int32, matching X's batch size. */
export function checkLabels(fn: string, X: tf.Tensor, y: tf.Tensor): void {
  if (y.rank !== 1 || y.shape[0] !== X.shape[0]) {
    throw new Error(`${fn}: y must be [N] with N = ${X.shape[0]} (X's batch), got shape [${y.shape}]`);
  }
  if (y.dtype !== 'int32') throw new Error(`${fn}: y must be int32 labels, got ${y.dtype}`);
}
